import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes } from '../core/canonical-json.js';
import { AttestryError } from '../core/errors.js';
import { parseWith } from '../core/validation.js';
import { decodeBase64, pae, type DsseEnvelope } from '../crypto/dsse.js';
import {
  keyAlgorithmOf,
  publicKeyDer,
  publicKeyHandleFromDer,
  type KeyAlgorithm,
  type PublicKeyHandle,
  type SigstoreKeyAlgorithm,
} from '../crypto/keys.js';
import { verifyBytes } from '../crypto/signer.js';
import { parseJsonBounded } from '../core/bounded-json.js';

/**
 * The log entry of a stored DSSE envelope: a Rekor v2 `dsse` 0.0.2 entry
 * (sigstore/protobuf-specs rekor/v2 Entry, JSON mapping) serialised with
 * RFC 8785. It commits to the payload's SHA-256, the signature and the key
 * that verified it, not to the payload itself, so the public log reveals no
 * evidence content. Standard Sigstore verifiers recognise the shape.
 */
export const DSSE_ENTRY_KIND = 'dsse';
export const DSSE_ENTRY_VERSION = '0.0.2';

export const KEY_DETAILS: Record<SigstoreKeyAlgorithm, string> = {
  ed25519: 'PKIX_ED25519',
  'ecdsa-p256': 'PKIX_ECDSA_P256_SHA_256',
  'ecdsa-p384': 'PKIX_ECDSA_P384_SHA_384',
  'ecdsa-p521': 'PKIX_ECDSA_P521_SHA_512',
};

/**
 * The schemes Sigstore's registry lacks (seed 002's sm2 and gost3410) get
 * names of attestry's own: the entry still commits to the payload hash, the
 * signature and the key, and attestry verifies it; Sigstore verifiers, which
 * could not check these signatures anyway, do not know the names.
 */
export const OTHER_KEY_DETAILS: Record<Exclude<KeyAlgorithm, SigstoreKeyAlgorithm>, string> = {
  sm2: 'ATTESTRY_SM2_SM3',
  gost3410: 'ATTESTRY_GOST3410_2012_256_STREEBOG256',
};

const keyDetailsOf = (algorithm: KeyAlgorithm): string =>
  algorithm === 'sm2' || algorithm === 'gost3410' ? OTHER_KEY_DETAILS[algorithm] : KEY_DETAILS[algorithm];

export function dsseEntryBody(envelope: DsseEnvelope, signature: Uint8Array, publicKey: PublicKeyHandle): Buffer {
  const payload = decodeBase64(envelope.payload);
  return canonicalBytes({
    apiVersion: DSSE_ENTRY_VERSION,
    kind: DSSE_ENTRY_KIND,
    spec: {
      dsseV002: {
        payloadHash: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
        signatures: [
          {
            content: Buffer.from(signature).toString('base64'),
            verifier: {
              keyDetails: keyDetailsOf(keyAlgorithmOf(publicKey)),
              publicKey: { rawBytes: publicKeyDer(publicKey).toString('base64') },
            },
          },
        ],
      },
    },
  });
}

/** Picks the envelope signature made by `publicKey` (checked again here so the log never records one that does not verify). */
export function signatureBy(envelope: DsseEnvelope, publicKey: PublicKeyHandle): Buffer {
  const message = pae(envelope.payloadType, decodeBase64(envelope.payload));
  for (const s of envelope.signatures) {
    const sig = decodeBase64(s.sig);
    if (verifyBytes(publicKey, message, sig)) return sig;
  }
  throw new AttestryError('E_SIGNATURE_INVALID', 'no signature in the envelope verifies with the signer key');
}

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const DsseEntrySchema = z.object({
  apiVersion: z.literal(DSSE_ENTRY_VERSION),
  kind: z.literal(DSSE_ENTRY_KIND),
  spec: z.object({
    dsseV002: z.object({
      payloadHash: z.object({ algorithm: z.literal('SHA2_256'), digest: b64 }),
      signatures: z
        .array(z.object({ content: b64, verifier: z.object({ keyDetails: z.string(), publicKey: z.object({ rawBytes: b64 }) }) }))
        .min(1)
        .max(16),
    }),
  }),
});

export interface DsseEntry {
  readonly payloadHash: Buffer;
  readonly signatures: { signature: Buffer; publicKey: PublicKeyHandle }[];
}

export function parseDsseEntryBody(body: Uint8Array): DsseEntry {
  const json = parseJsonBounded(body, { what: 'log entry body', code: 'E_SIGNATURE_FORMAT' });
  const e = parseWith(DsseEntrySchema, json, 'log entry body', 'E_SIGNATURE_FORMAT').spec.dsseV002;
  return {
    payloadHash: Buffer.from(e.payloadHash.digest, 'base64'),
    signatures: e.signatures.map((s) => {
      try {
        return {
          signature: Buffer.from(s.content, 'base64'),
          publicKey: publicKeyHandleFromDer(Buffer.from(s.verifier.publicKey.rawBytes, 'base64'), 'log entry verifier key'),
        };
      } catch (cause) {
        throw new AttestryError('E_SIGNATURE_FORMAT', 'log entry body: verifier public key is not an SPKI key', { cause });
      }
    }),
  };
}
