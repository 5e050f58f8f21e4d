/**
 * Offline verification of any Sigstore bundle: a pipeline over
 * `@sigstore/verify` (certificate chain, SCTs, timestamps from Rekor and RFC
 * 3161 authorities, SET, inclusion proof against a signed checkpoint, log body
 * against the bundle, the signature itself), with the checks attestry adds in
 * front of it and after it. Each step that fails names itself (`details.check`).
 */
import { createHash, type KeyObject } from 'node:crypto';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { dsse as sigstoreDsse, type X509Certificate } from '@sigstore/core';
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import { Verifier, toSignedEntity, type SignedEntity, type Signer, type TrustMaterial } from '@sigstore/verify';
// Per-entry log checks of @sigstore/verify (no exports map; pinned to the 3.1 line in package.json).
import { verifyTLogBody, verifyTLogInclusion } from '@sigstore/verify/dist/tlog/index.js';
import { AttestryError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import { keyAlgorithmOf, keyFingerprint } from '../crypto/keys.js';
import { parseSigstoreBundle, type BundleVersion, type ParsedSigstoreBundle } from './bundle.js';
import {
  DigestMessageSignature,
  bytesMessageContent,
  dsseContent,
  signedBytesContent,
  verifiedWith,
  type SignatureContent,
} from './content.js';
import { asCheckFailure, checkFailed } from './failures.js';
import { checkIdentity, type SignerPolicy } from './policy.js';
import { checkSubject, summarizeStatement, type BundleArtifact, type StatementSummary } from './subject.js';
import { publicGoodTrustRoot, type SigstoreTrustRoot } from './trust-root.js';
import { checkChainHasNoRoot } from './chain.js';

export interface VerifyBundleOptions {
  policy: SignerPolicy;
  /** Default: the public-good root embedded in @sigstore/tuf. */
  trustRoot?: SigstoreTrustRoot;
  /**
   * Required for message signatures. For DSSE bundles, when given, an in-toto
   * subject must carry its digest; leave it out only when the caller checks the
   * payload itself (as `model verify` does with the model's root digest).
   */
  artifact?: BundleArtifact;
  /** Minimum verified transparency-log entries (default 1). */
  tlogThreshold?: number;
  /** Minimum SCTs on a Fulcio certificate (default 1). */
  ctlogThreshold?: number;
  /** Minimum verified timestamps, Rekor integrated time or RFC 3161 (default 1). */
  timestampThreshold?: number;
  /**
   * Key policy only: accept a bundle with no log entry and no timestamp (a
   * model_signing `model.sig`) on its signature alone, with no proof of when
   * it was made (`verify-bundle --offline-key-only`). Entries and timestamps
   * that are present are still verified.
   */
  keyOnly?: boolean;
}

/** The flag that accepts key-only bundles, named in the failure that refuses them. */
export const KEY_ONLY_FLAG = '--offline-key-only';

export interface BundleVerification {
  ok: true;
  mediaType: string;
  bundleVersion: BundleVersion;
  content: 'message-signature' | 'dsse';
  signer:
    | { kind: 'public-key'; hint: string; algorithm: string; keyFingerprint: Digest }
    | {
        kind: 'certificate';
        identity: string;
        issuer: string;
        algorithm: string;
        keyFingerprint: Digest;
        notBefore: string;
        notAfter: string;
        serialNumber: string;
      };
  tlogEntries: {
    logIndex: string;
    logId: string;
    kind: string;
    version: string;
    integratedTime?: string;
    inclusion: ('promise' | 'proof')[];
  }[];
  timestamps: { source: 'tlog' | 'rfc3161'; time: string }[];
  /** DSSE bundles: the signed statement's type, predicate type and subjects. */
  statement?: StatementSummary;
  /** DSSE bundles: the verified payload and its type (not part of the JSON output). */
  payload?: { payloadType: string; bytes: Buffer };
}

const NODE_HASH: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED]: 'sha256',
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
  /* eslint-disable @typescript-eslint/no-deprecated -- deprecated in the spec, still found in old bundles */
  [HashAlgorithm.SHA3_256]: 'sha3-256',
  [HashAlgorithm.SHA3_384]: 'sha3-384',
  /* eslint-enable @typescript-eslint/no-deprecated */
};

function isParsed(v: unknown): v is ParsedSigstoreBundle {
  return typeof v === 'object' && v !== null && 'bundle' in v && 'version' in v && 'mediaType' in v;
}

/** The key-based policy replaces the trusted root's key lookup: the caller's key is the trust. */
function materialFor(root: SigstoreTrustRoot, policy: SignerPolicy): TrustMaterial {
  if (policy.kind !== 'key') return root.material;
  const key: KeyObject = policy.publicKey;
  return { ...root.material, publicKey: () => ({ publicKey: key, validFor: () => true }) };
}

function checkMaterial(bundle: Bundle, policy: SignerPolicy): void {
  const material = bundle.verificationMaterial.content.$case;
  if (policy.kind === 'key' && material !== 'publicKey') {
    throw checkFailed(
      'verification-material',
      'the bundle is signed with a certificate (keyless); verify it with an identity and issuer, not a key',
    );
  }
  if (policy.kind !== 'key' && material === 'publicKey') {
    throw checkFailed('verification-material', 'the bundle is signed with a public key, not a certificate; verify it with that key');
  }
}

/** Builds sigstore-js's view of the bundle; a bundle whose certificate or timestamp does not parse is malformed. */
function signedEntity(bundle: Bundle, artifact: BundleArtifact | undefined, what: string): SignedEntity {
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, artifact?.kind === 'bytes' ? artifact.data : undefined);
  } catch (e) {
    throw new AttestryError('E_SIGNATURE_FORMAT', `${what}: cannot read its certificate or timestamps: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    return { ...entity, signature: dsseContent(entity.signature, sigstoreDsse.preAuthEncoding(env.payloadType, env.payload)) };
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- bundles built by callers are not re-validated
  if (bundle.content.$case !== 'messageSignature') return entity;
  const ms = bundle.content.messageSignature;
  if (artifact === undefined)
    throw new AttestryError('E_USAGE', 'a message-signature bundle is verified against an artifact: give its bytes or its sha256 digest');
  const signedDigest = ms.messageDigest as typeof ms.messageDigest | undefined; // bundles built by callers are not re-validated
  if (artifact.kind === 'digest') {
    if (signedDigest && NODE_HASH[signedDigest.algorithm] !== artifact.algorithm) {
      throw checkFailed(
        'artifact-digest',
        `the bundle's message digest is ${HashAlgorithm[signedDigest.algorithm]}, the artifact was given as ${artifact.algorithm}`,
      );
    }
    if (signedDigest && !signedDigest.digest.equals(artifact.digest))
      throw checkFailed('artifact-digest', "the artifact's digest differs from the bundle's message digest");
    return { ...entity, signature: new DigestMessageSignature(ms, artifact.digest) };
  }
  // The signature check covers the bytes; comparing the recorded digest too ties the log entry to this artifact.
  const alg = signedDigest ? NODE_HASH[signedDigest.algorithm] : undefined;
  if (signedDigest && alg !== undefined && !createHash(alg).update(artifact.data).digest().equals(signedDigest.digest)) {
    throw checkFailed('artifact-digest', "the artifact's digest differs from the bundle's message digest");
  }
  return { ...entity, signature: bytesMessageContent(entity.signature, artifact.data) };
}

/**
 * Log entries, one by one, with sigstore-js's inclusion (SET, or inclusion
 * proof + checkpoint) and body checks. A DSSE envelope logged as a Rekor v2
 * hashedrekord gets the PAE-digest view of its content (see content.ts).
 */
function verifyTLogs(
  bundle: Bundle,
  entries: TransparencyLogEntry[],
  content: SignatureContent,
  root: TrustMaterial,
  threshold: number,
): void {
  let pae: Buffer | undefined;
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    pae = sigstoreDsse.preAuthEncoding(env.payloadType, env.payload);
  }
  for (const entry of entries) {
    try {
      verifyTLogInclusion(entry, root.tlogs);
    } catch (e) {
      throw asCheckFailure(e, 'tlog');
    }
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- kindVersion is optional on the wire
    const entryContent = pae !== undefined && entry.kindVersion?.kind === 'hashedrekord' ? signedBytesContent(content, pae) : content;
    try {
      verifyTLogBody(entry, entryContent);
    } catch (e) {
      throw asCheckFailure(e, 'tlog-body');
    }
  }
  if (entries.length < threshold)
    throw checkFailed('tlog', `expected ${threshold} transparency log entr${threshold === 1 ? 'y' : 'ies'}, got ${entries.length}`);
}

/** attestry's algorithm name (ecdsa-p256, ed25519, …), or Node's key type for others (rsa). */
function keyAlgorithmName(key: KeyObject): string {
  try {
    return keyAlgorithmOf(key);
  } catch {
    return key.asymmetricKeyType ?? 'unknown';
  }
}

// A key-based policy verifies many bundles with one KeyObject: export it once.
const fingerprints = new WeakMap<KeyObject, Digest>();

function describeSigner(entity: SignedEntity, signer: Signer): BundleVerification['signer'] {
  let fingerprint = fingerprints.get(signer.key);
  if (fingerprint === undefined) {
    fingerprint = keyFingerprint(signer.key);
    fingerprints.set(signer.key, fingerprint);
  }
  const algorithm = keyAlgorithmName(signer.key);
  if (entity.key.$case === 'public-key') return { kind: 'public-key', hint: entity.key.hint, algorithm, keyFingerprint: fingerprint };
  const cert: X509Certificate = entity.key.certificate;
  return {
    kind: 'certificate',
    identity: signer.identity?.subjectAlternativeName ?? '',
    issuer: signer.identity?.extensions?.issuer ?? '',
    algorithm,
    keyFingerprint: fingerprint,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    serialNumber: cert.serialNumber.toString('hex'),
  };
}

/**
 * Verifies a Sigstore bundle offline. Throws `AttestryError`: `E_SIGNATURE_INVALID`
 * (exit 2) with `details.check` when a check fails, `E_SIGNATURE_FORMAT` /
 * `E_USAGE` (exit 1) when the input is not a usable bundle or request.
 */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the union names the two accepted inputs
export function verifySigstoreBundle(input: ParsedSigstoreBundle | unknown, options: VerifyBundleOptions): BundleVerification {
  const parsed = isParsed(input) ? input : parseSigstoreBundle(input);
  const { bundle } = parsed;
  const root = options.trustRoot ?? publicGoodTrustRoot();
  const keyOnly = options.keyOnly === true;
  if (keyOnly && options.policy.kind !== 'key')
    throw new AttestryError('E_USAGE', `${KEY_ONLY_FLAG} goes with --key: a keyless certificate is only valid at a verified time`);
  checkMaterial(bundle, options.policy);
  checkChainHasNoRoot(bundle);
  let entity = signedEntity(bundle, options.artifact, 'Sigstore bundle');
  const material = materialFor(root, options.policy);
  if (options.policy.kind === 'key') {
    // Checked first so that a changed signature is reported as such, not as
    // the timestamp over it no longer matching; the library's own check of
    // the same key then reuses the answer.
    const key = options.policy.publicKey;
    if (!entity.signature.verifySignature(key)) throw checkFailed('signature', 'the signature does not verify with the given key');
    entity = { ...entity, signature: verifiedWith(entity.signature, key) };
    const wantsProofOfTime = (options.timestampThreshold ?? 1) > 0 || (options.tlogThreshold ?? 1) > 0;
    if (!keyOnly && wantsProofOfTime && entity.tlogEntries.length === 0 && entity.timestamps.length === 0) {
      throw checkFailed(
        (options.timestampThreshold ?? 1) > 0 ? 'timestamp' : 'tlog',
        `the bundle has no transparency log entry and no timestamp, so nothing proves when it was signed (a key-only bundle, such as a model_signing model.sig); ${KEY_ONLY_FLAG} accepts the signature alone, with no proof of time`,
      );
    }
  }

  // The library checks timestamps, the signing key or certificate (chain, SCTs,
  // validity at every timestamp) and the signature; logs are checked per entry below.
  const verifier = new Verifier(material, {
    tlogThreshold: 0,
    ctlogThreshold: options.ctlogThreshold ?? 1,
    timestampThreshold: keyOnly ? 0 : (options.timestampThreshold ?? 1),
  });
  let signer: Signer;
  try {
    signer = verifier.verify({ ...entity, tlogEntries: [] });
  } catch (e) {
    throw asCheckFailure(e, 'signature');
  }
  verifyTLogs(bundle, entity.tlogEntries, entity.signature, material, keyOnly ? 0 : (options.tlogThreshold ?? 1));
  if (options.policy.kind !== 'key') {
    checkIdentity(options.policy, {
      subjectAlternativeName: signer.identity?.subjectAlternativeName,
      issuer: signer.identity?.extensions?.issuer,
    });
  }

  const result: BundleVerification = {
    ok: true,
    mediaType: parsed.mediaType,
    bundleVersion: parsed.version,
    content: bundle.content.$case === 'dsseEnvelope' ? 'dsse' : 'message-signature',
    signer: describeSigner(entity, signer),
    tlogEntries: entity.tlogEntries.map((e) => ({
      logIndex: e.logIndex,
      logId: e.logId.keyId.toString('base64'),
      kind: e.kindVersion.kind,
      version: e.kindVersion.version,
      ...(e.integratedTime && e.integratedTime !== '0' ? { integratedTime: new Date(Number(e.integratedTime) * 1000).toISOString() } : {}),
      inclusion: [...(e.inclusionPromise ? (['promise'] as const) : []), ...(e.inclusionProof ? (['proof'] as const) : [])],
    })),
    timestamps: entity.timestamps.map((t) =>
      t.$case === 'transparency-log'
        ? { source: 'tlog' as const, time: new Date(Number(t.tlogEntry.integratedTime) * 1000).toISOString() }
        : { source: 'rfc3161' as const, time: t.timestamp.signingTime.toISOString() },
    ),
  };
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    result.payload = { payloadType: env.payloadType, bytes: env.payload };
    if (options.artifact !== undefined) {
      result.statement = summarizeStatement(env.payloadType, env.payload);
      checkSubject(result.statement, options.artifact);
    } else if (env.payloadType === 'application/vnd.in-toto+json') {
      try {
        result.statement = summarizeStatement(env.payloadType, env.payload);
      } catch {
        // no artifact to match: the caller checks the payload itself
      }
    }
  }
  return result;
}
