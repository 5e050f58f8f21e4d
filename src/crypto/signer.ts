import { createPublicKey, KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import {
  keyAlgorithmOf,
  keyFingerprint,
  loadPublicKeyHandle,
  type KeyAlgorithm,
  type PrivateKeyHandle,
  type PublicKeyHandle,
} from './keys.js';
import { GostPrivateKey, GostPublicKey } from './gost-keys.js';
import { sm2Sign, sm2Verify } from './sm2.js';

/**
 * Digest used inside the signature scheme. Ed25519 hashes internally; ECDSA
 * uses the hash matching the curve size, as Sigstore's algorithm registry and
 * model_signing (`get_ec_key_hash`) do: P-256/SHA-256, P-384/SHA-384,
 * P-521/SHA-512. ECDSA signatures are DER-encoded. SM2 (GB/T 32918.2 with
 * SM3 and the default ID) is not what OpenSSL's one-shot sign does, so it
 * goes through sm2.ts; GOST R 34.10-2012 with Streebog-256 (signature s ‖ r)
 * has no OpenSSL support at all and goes through gost3410.ts.
 */
const HASH_BY_ALGORITHM: Record<Exclude<KeyAlgorithm, 'sm2' | 'gost3410'>, string | null> = {
  ed25519: null,
  'ecdsa-p256': 'sha256',
  'ecdsa-p384': 'sha384',
  'ecdsa-p521': 'sha512',
};

export interface Signer {
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: PublicKeyHandle;
  sign(data: Uint8Array): Buffer;
}

/** A signer whose key Node can load (every algorithm but GOST): what Sigstore bundles and Rekor entries need. */
export interface NodeSigner extends Signer {
  readonly publicKey: KeyObject;
}

export interface Verifier {
  readonly keyid: string;
  /** `sha256:` of the SPKI DER: identifies the key whatever id it is listed under. */
  readonly fingerprint: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: PublicKeyHandle;
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

export function signBytes(privateKey: PrivateKeyHandle, data: Uint8Array): Buffer {
  if (privateKey instanceof GostPrivateKey) return privateKey.sign(data);
  const algorithm = keyAlgorithmOf(privateKey);
  if (algorithm === 'sm2') return sm2Sign(privateKey, data);
  if (algorithm === 'gost3410') throw new Error('unreachable: a GOST key is a GostPrivateKey');
  return nodeSign(HASH_BY_ALGORITHM[algorithm], data, privateKey);
}

/** Returns false for any malformed signature rather than throwing: attacker input. */
export function verifyBytes(publicKey: PublicKeyHandle, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (publicKey instanceof GostPublicKey) return publicKey.verify(data, signature);
    const algorithm = keyAlgorithmOf(publicKey);
    if (algorithm === 'sm2') return sm2Verify(publicKey, data, signature);
    if (algorithm === 'gost3410') return false;
    return nodeVerify(HASH_BY_ALGORITHM[algorithm], data, publicKey, signature);
  } catch {
    return false;
  }
}

export function createSigner(privateKey: KeyObject, keyid?: string): NodeSigner;
export function createSigner(privateKey: PrivateKeyHandle, keyid?: string): Signer;
export function createSigner(privateKey: PrivateKeyHandle, keyid = ''): Signer {
  if (privateKey instanceof GostPrivateKey) {
    return { keyid, algorithm: 'gost3410', publicKey: privateKey.publicKey, sign: (data) => privateKey.sign(data) };
  }
  const algorithm = keyAlgorithmOf(privateKey);
  const sign =
    algorithm === 'sm2' || algorithm === 'gost3410'
      ? (data: Uint8Array) => signBytes(privateKey, data)
      : (
          (hash) => (data: Uint8Array) =>
            nodeSign(hash, data, privateKey)
        )(HASH_BY_ALGORITHM[algorithm]);
  return { keyid, algorithm, publicKey: createPublicKey(privateKey), sign };
}

export function createVerifier(publicKey: KeyObject, keyid?: string): Verifier & { readonly publicKey: KeyObject };
export function createVerifier(publicKey: PublicKeyHandle, keyid?: string): Verifier;
export function createVerifier(publicKey: PublicKeyHandle, keyid = ''): Verifier {
  const algorithm = keyAlgorithmOf(publicKey);
  return { keyid, algorithm, publicKey, fingerprint: keyFingerprint(publicKey), verify: (data, sig) => verifyBytes(publicKey, data, sig) };
}

/** A verifier for a public key PEM of any algorithm (GOST ones included); `source` names it in errors. */
export function verifierFromPem(pem: string, keyid = '', source = `public key ${keyid}`): Verifier {
  return createVerifier(loadPublicKeyHandle(pem, source), keyid);
}

/** A signer for a software key, or the given signer (e.g. a PKCS#11 one) as it is. */
export function asSigner(key: PrivateKeyHandle | Signer): Signer {
  return key instanceof KeyObject || key instanceof GostPrivateKey ? createSigner(key) : key;
}
