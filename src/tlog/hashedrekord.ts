import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes } from '../core/canonical-json.js';
import { AttestryError } from '../core/errors.js';
import { parseWith } from '../core/validation.js';
import { parseJsonBounded } from '../core/bounded-json.js';
import { keyAlgorithmOf, publicKeyDer, sigstoreAlgorithm } from '../crypto/keys.js';
import { KEY_DETAILS } from './entry.js';

/**
 * The log entry of a stored message signature: a Rekor v2 `hashedrekord`
 * 0.0.2 entry (sigstore/protobuf-specs rekor/v2 HashedRekordLogEntryV002,
 * JSON mapping, RFC 8785): the signed digest, the signature and the key that
 * verified it. The file itself never reaches the service or the log.
 */
export const HASHEDREKORD_ENTRY_KIND = 'hashedrekord';
export const HASHEDREKORD_ENTRY_VERSION = '0.0.2';

export interface SignedDigest {
  /** Sigstore HashAlgorithm name: SHA2_256, SHA2_384. */
  readonly algorithm: string;
  readonly digest: Uint8Array;
}

export function hashedRekordEntryBody(digest: SignedDigest, signature: Uint8Array, publicKey: KeyObject): Buffer {
  return canonicalBytes({
    apiVersion: HASHEDREKORD_ENTRY_VERSION,
    kind: HASHEDREKORD_ENTRY_KIND,
    spec: {
      hashedRekordV002: {
        data: { algorithm: digest.algorithm, digest: Buffer.from(digest.digest).toString('base64') },
        signature: {
          content: Buffer.from(signature).toString('base64'),
          verifier: {
            keyDetails: KEY_DETAILS[sigstoreAlgorithm(keyAlgorithmOf(publicKey))],
            publicKey: { rawBytes: publicKeyDer(publicKey).toString('base64') },
          },
        },
      },
    },
  });
}

const b64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const HashedRekordSchema = z.object({
  apiVersion: z.literal(HASHEDREKORD_ENTRY_VERSION),
  kind: z.literal(HASHEDREKORD_ENTRY_KIND),
  spec: z.object({
    hashedRekordV002: z.object({
      data: z.object({ algorithm: z.string(), digest: b64 }),
      signature: z.object({ content: b64, verifier: z.object({ keyDetails: z.string(), publicKey: z.object({ rawBytes: b64 }) }) }),
    }),
  }),
});

export interface HashedRekordEntry extends SignedDigest {
  readonly digest: Buffer;
  readonly signature: Buffer;
  readonly publicKey: KeyObject;
}

export function parseHashedRekordEntryBody(body: Uint8Array): HashedRekordEntry {
  const json = parseJsonBounded(body, { what: 'log entry body', code: 'E_SIGNATURE_FORMAT' });
  const e = parseWith(HashedRekordSchema, json, 'log entry body', 'E_SIGNATURE_FORMAT').spec.hashedRekordV002;
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(e.signature.verifier.publicKey.rawBytes, 'base64'), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new AttestryError('E_SIGNATURE_FORMAT', 'log entry body: verifier public key is not an SPKI key', { cause });
  }
  return {
    algorithm: e.data.algorithm,
    digest: Buffer.from(e.data.digest, 'base64'),
    signature: Buffer.from(e.signature.content, 'base64'),
    publicKey,
  };
}
