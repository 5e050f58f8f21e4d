import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { AttestryError } from '../core/errors.js';
import { parseWith } from '../core/validation.js';
import { BUNDLE_V03_MEDIA_TYPE } from '../crypto/bundle.js';
import { decodeBase64, DsseEnvelopeSchema, pae, type DsseEnvelope } from '../crypto/dsse.js';
import { keyFingerprint, publicKeyDer } from '../crypto/keys.js';
import { verifyBytes } from '../crypto/signer.js';
import { openCheckpoint, type VerifiedCheckpoint } from './checkpoint.js';
import { DSSE_ENTRY_KIND, DSSE_ENTRY_VERSION, parseDsseEntryBody } from './entry.js';
import { leafHash } from './hash.js';
import { HASHEDREKORD_ENTRY_KIND, HASHEDREKORD_ENTRY_VERSION } from './hashedrekord.js';
import { verifyInclusion } from './merkle.js';
import type { InclusionProof } from './log-reader.js';
import { ed25519Raw, noteKeyId, SIG_ED25519, type NoteVerifierKey } from './note.js';

/** Rekor's log id: SHA-256 of the log key's SPKI DER. */
export const logIdOf = (logKey: KeyObject): Buffer => createHash('sha256').update(publicKeyDer(logKey)).digest();

/** What the bundle carries: a DSSE envelope (logged as `dsse`) or a message signature (logged as `hashedrekord`). */
export type LoggedContent =
  | { readonly envelope: DsseEnvelope; readonly messageSignature?: undefined }
  | {
      readonly envelope?: undefined;
      readonly messageSignature: {
        readonly messageDigest: { readonly algorithm: string; readonly digest: string };
        readonly signature: string;
      };
    };

export type LogEntryInput = LoggedContent & {
  /** `verificationMaterial.publicKey.hint`: how the verifier finds the signer key. */
  readonly hint: string;
  readonly logIndex: number;
  readonly body: Buffer;
  readonly proof: InclusionProof;
  readonly checkpoint: string;
  readonly logKey: KeyObject;
  /** RFC 3161 TimeStampResp (DER) over the envelope's signature. */
  readonly timestamp?: Uint8Array | undefined;
};

/**
 * A Sigstore bundle v0.3 (sigstore/protobuf-specs, JSON mapping) holding the
 * DSSE envelope (or message signature) and its entry in this log: Rekor v2 style, an inclusion proof
 * with the signed checkpoint and no SET, so it verifies offline with nothing
 * but the log's public key; and the TSA's timestamp over the signature
 * (`signedTimestamp` is the whole TimeStampResp, as sigstore-js and
 * sigstore-go read it), which Sigstore verifiers need as proof of time.
 */
export function buildLogBundle(e: LogEntryInput): Record<string, unknown> {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: e.hint },
      tlogEntries: [
        {
          logIndex: String(e.logIndex),
          logId: { keyId: logIdOf(e.logKey).toString('base64') },
          kindVersion:
            e.messageSignature === undefined
              ? { kind: DSSE_ENTRY_KIND, version: DSSE_ENTRY_VERSION }
              : { kind: HASHEDREKORD_ENTRY_KIND, version: HASHEDREKORD_ENTRY_VERSION },
          integratedTime: '0',
          inclusionProof: {
            logIndex: String(e.proof.index),
            rootHash: e.proof.rootHash.toString('base64'),
            treeSize: String(e.proof.treeSize),
            hashes: e.proof.hashes.map((h) => h.toString('base64')),
            checkpoint: { envelope: e.checkpoint },
          },
          canonicalizedBody: e.body.toString('base64'),
        },
      ],
      ...(e.timestamp === undefined
        ? {}
        : { timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: Buffer.from(e.timestamp).toString('base64') }] } }),
    },
    ...(e.messageSignature === undefined ? { dsseEnvelope: e.envelope } : { messageSignature: e.messageSignature }),
  };
}

/**
 * trusted_root.json (sigstore/protobuf-specs TrustedRoot) naming this log, so
 * `@sigstore/verify`-style verifiers accept our bundles: the checkpoint key
 * id is the signed-note key ID and `baseUrl` contains the note key name.
 * With `tsa`, its certificate chain (leaf first) is the one timestamp
 * authority, valid from the leaf's notBefore.
 */
export function trustedRootFor(
  logKey: KeyObject,
  origin: string,
  validFrom: Date,
  tsa?: { readonly chainDer: readonly Uint8Array[]; readonly validFrom: Date; readonly uri?: string },
): Record<string, unknown> {
  const keyId = Buffer.alloc(4);
  keyId.writeUInt32BE(noteKeyId(origin, SIG_ED25519, ed25519Raw(logKey)));
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: `https://${origin}`,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: publicKeyDer(logKey).toString('base64'),
          keyDetails: 'PKIX_ED25519',
          validFor: { start: validFrom.toISOString() },
        },
        logId: { keyId: logIdOf(logKey).toString('base64') },
        checkpointKeyId: { keyId: keyId.toString('base64') },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities:
      tsa === undefined
        ? []
        : [
            {
              subject: { organization: 'attestry', commonName: 'attestry timestamp authority' },
              ...(tsa.uri === undefined ? {} : { uri: tsa.uri }),
              certChain: { certificates: tsa.chainDer.map((d) => ({ rawBytes: Buffer.from(d).toString('base64') })) },
              validFor: { start: tsa.validFrom.toISOString() },
            },
          ],
  };
}

const decimal = z.string().regex(/^(0|[1-9]\d{0,15})$/, 'not a decimal integer');
const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const LogBundleSchema = z.object({
  mediaType: z.string(),
  verificationMaterial: z.looseObject({
    tlogEntries: z
      .array(
        z.looseObject({
          logIndex: decimal,
          kindVersion: z.object({ kind: z.string(), version: z.string() }),
          inclusionProof: z.object({
            logIndex: decimal,
            rootHash: b64,
            treeSize: decimal,
            hashes: z.array(b64).max(64),
            checkpoint: z.object({ envelope: z.string().max(1 << 20) }),
          }),
          canonicalizedBody: b64,
        }),
      )
      .min(1, 'the bundle has no transparency log entry'),
  }),
  dsseEnvelope: DsseEnvelopeSchema,
});

export interface LogBundleVerification {
  readonly logIndex: number;
  readonly treeSize: number;
  readonly origin: string;
  /** `sha256:` fingerprint of the key that signed the envelope (from the log entry). */
  readonly signer: string;
  readonly cosigners: VerifiedCheckpoint['cosigners'];
  readonly payloadType: string;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

/**
 * Offline verification of a bundle this log issued: the checkpoint is signed
 * by the log key (and cosigned as required), the entry is included in it, the
 * entry commits to this envelope's payload and signature, and that signature
 * verifies. With `signerKey`, the signer must also be that key.
 */
export function verifyLogBundle(
  input: unknown,
  options: { logKey: NoteVerifierKey; signerKey?: KeyObject; witnesses?: readonly NoteVerifierKey[]; minCosigners?: number },
): LogBundleVerification {
  const bundle = parseWith(LogBundleSchema, input, 'log bundle', 'E_SIGNATURE_FORMAT');
  const entry = bundle.verificationMaterial.tlogEntries[0] as (typeof bundle.verificationMaterial.tlogEntries)[number];
  if (entry.kindVersion.kind !== DSSE_ENTRY_KIND || entry.kindVersion.version !== DSSE_ENTRY_VERSION) {
    throw new AttestryError(
      'E_SIGNATURE_FORMAT',
      `log entry kind ${entry.kindVersion.kind}/${entry.kindVersion.version} is not ${DSSE_ENTRY_KIND}/${DSSE_ENTRY_VERSION}`,
    );
  }
  const body = Buffer.from(entry.canonicalizedBody, 'base64');
  const proof = entry.inclusionProof;
  const checkpoint = openCheckpoint(proof.checkpoint.envelope, options.logKey, {
    ...(options.witnesses ? { witnesses: options.witnesses } : {}),
    ...(options.minCosigners !== undefined ? { minCosigners: options.minCosigners } : {}),
  });
  const index = Number(proof.logIndex);
  if (Number(entry.logIndex) !== index)
    throw new AttestryError('E_SIGNATURE_INVALID', `logIndex ${entry.logIndex} differs from the inclusion proof's ${proof.logIndex}`);
  if (Number(proof.treeSize) !== checkpoint.size)
    throw new AttestryError(
      'E_SIGNATURE_INVALID',
      `inclusion proof is for tree size ${proof.treeSize}, the checkpoint for ${checkpoint.size}`,
    );
  if (!same(Buffer.from(proof.rootHash, 'base64'), checkpoint.root))
    throw new AttestryError('E_SIGNATURE_INVALID', 'inclusion proof root hash differs from the checkpoint root hash');
  verifyInclusion(
    index,
    checkpoint.size,
    leafHash(body),
    proof.hashes.map((h) => Buffer.from(h, 'base64')),
    checkpoint.root,
  );

  const logged = parseDsseEntryBody(body);
  const envelope = bundle.dsseEnvelope;
  const payload = decodeBase64(envelope.payload);
  if (!same(logged.payloadHash, createHash('sha256').update(payload).digest()))
    throw new AttestryError('E_DIGEST_MISMATCH', 'the envelope payload is not the one the log entry records');
  const message = pae(envelope.payloadType, payload);
  const envelopeSigs = envelope.signatures.map((s) => decodeBase64(s.sig));
  for (const s of logged.signatures) {
    if (!envelopeSigs.some((sig) => same(sig, s.signature))) continue;
    if (!verifyBytes(s.publicKey, message, s.signature))
      throw new AttestryError('E_SIGNATURE_INVALID', 'the logged signature does not verify over the envelope');
    const signer = keyFingerprint(s.publicKey);
    if (options.signerKey !== undefined && keyFingerprint(options.signerKey) !== signer) {
      throw new AttestryError(
        'E_KEY_MISMATCH',
        `the envelope was signed by ${signer}, not by the given key ${keyFingerprint(options.signerKey)}`,
      );
    }
    return {
      logIndex: index,
      treeSize: checkpoint.size,
      origin: checkpoint.origin,
      signer,
      cosigners: checkpoint.cosigners,
      payloadType: envelope.payloadType,
    };
  }
  throw new AttestryError('E_SIGNATURE_INVALID', 'no envelope signature is the one the log entry records');
}
