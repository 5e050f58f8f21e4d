import { createPublicKey, KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { keyAlgorithmOf, keyFingerprint, type KeyAlgorithm } from './keys.js';

/**
 * Digest used inside the signature scheme. Ed25519 hashes internally; ECDSA
 * uses the hash matching the curve size, as Sigstore's algorithm registry and
 * model_signing (`get_ec_key_hash`) do: P-256/SHA-256, P-384/SHA-384,
 * P-521/SHA-512. ECDSA signatures are DER-encoded.
 */
const HASH_BY_ALGORITHM: Record<KeyAlgorithm, string | null> = {
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
  return nodeSign(HASH_BY_ALGORITHM[keyAlgorithmOf(privateKey)], data, privateKey);
}

/** Returns false for any malformed signature rather than throwing: attacker input. */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return nodeVerify(HASH_BY_ALGORITHM[keyAlgorithmOf(publicKey)], data, publicKey, signature);
  } catch {
    return false;
  }
}

export function createSigner(privateKey: KeyObject, keyid = ''): Signer {
  const algorithm = keyAlgorithmOf(privateKey);
  const hash = HASH_BY_ALGORITHM[algorithm];
  return {
    keyid,
    algorithm,
    publicKey: createPublicKey(privateKey),
    sign: (data) => nodeSign(hash, data, privateKey),
  };
}

export function createVerifier(publicKey: KeyObject, keyid = ''): Verifier {
  const algorithm = keyAlgorithmOf(publicKey);
  return { keyid, algorithm, publicKey, fingerprint: keyFingerprint(publicKey), verify: (data, sig) => verifyBytes(publicKey, data, sig) };
}

/** A signer for a software key, or the given signer (e.g. a PKCS#11 one) as it is. */
export function asSigner(key: KeyObject | Signer): Signer {
  return key instanceof KeyObject ? createSigner(key) : key;
}
