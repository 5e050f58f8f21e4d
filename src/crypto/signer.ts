import { createPublicKey, KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { keyAlgorithmOf, keyFingerprint, type KeyAlgorithm } from './keys.js';
import { sm2Sign, sm2Verify } from './sm2.js';

/**
 * Digest used inside the signature scheme. Ed25519 hashes internally; ECDSA
 * uses the hash matching the curve size, as Sigstore's algorithm registry and
 * model_signing (`get_ec_key_hash`) do: P-256/SHA-256, P-384/SHA-384,
 * P-521/SHA-512. ECDSA signatures are DER-encoded. SM2 (GB/T 32918.2 with
 * SM3 and the default ID) is not what OpenSSL's one-shot sign does, so it
 * goes through sm2.ts.
 */
const HASH_BY_ALGORITHM: Record<Exclude<KeyAlgorithm, 'sm2'>, string | null> = {
  ed25519: null,
  'ecdsa-p256': 'sha256',
  'ecdsa-p384': 'sha384',
  'ecdsa-p521': 'sha512',
};

export interface Signer {
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: KeyObject;
  sign(data: Uint8Array): Buffer;
}

export interface Verifier {
  readonly keyid: string;
  /** `sha256:` of the SPKI DER: identifies the key whatever id it is listed under. */
  readonly fingerprint: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: KeyObject;
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  const algorithm = keyAlgorithmOf(privateKey);
  if (algorithm === 'sm2') return sm2Sign(privateKey, data);
  return nodeSign(HASH_BY_ALGORITHM[algorithm], data, privateKey);
}

/** Returns false for any malformed signature rather than throwing: attacker input. */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    const algorithm = keyAlgorithmOf(publicKey);
    if (algorithm === 'sm2') return sm2Verify(publicKey, data, signature);
    return nodeVerify(HASH_BY_ALGORITHM[algorithm], data, publicKey, signature);
  } catch {
    return false;
  }
}

export function createSigner(privateKey: KeyObject, keyid = ''): Signer {
  const algorithm = keyAlgorithmOf(privateKey);
  const sign =
    algorithm === 'sm2'
      ? (data: Uint8Array) => sm2Sign(privateKey, data)
      : (
          (hash) => (data: Uint8Array) =>
            nodeSign(hash, data, privateKey)
        )(HASH_BY_ALGORITHM[algorithm]);
  return { keyid, algorithm, publicKey: createPublicKey(privateKey), sign };
}

export function createVerifier(publicKey: KeyObject, keyid = ''): Verifier {
  const algorithm = keyAlgorithmOf(publicKey);
  return { keyid, algorithm, publicKey, fingerprint: keyFingerprint(publicKey), verify: (data, sig) => verifyBytes(publicKey, data, sig) };
}

/** A signer for a software key, or the given signer (e.g. a PKCS#11 one) as it is. */
export function asSigner(key: KeyObject | Signer): Signer {
  return key instanceof KeyObject ? createSigner(key) : key;
}
