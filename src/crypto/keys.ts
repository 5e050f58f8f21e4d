import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { sha256Digest, sha256Hex, type Digest } from '../core/digest.js';
import { encryptPrivateKeyPem } from './pkcs8-scrypt.js';
import { isSm2Key } from './sm2.js';

/** Signature schemes attestry signs and verifies with. */
export const KEY_ALGORITHMS = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'sm2'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

const CURVE_BY_ALGORITHM = {
  'ecdsa-p256': 'prime256v1',
  'ecdsa-p384': 'secp384r1',
  'ecdsa-p521': 'secp521r1',
  // OpenSSL's name; keys carry OID 1.2.156.10197.1.301. The SM2 scheme itself is in sm2.ts.
  sm2: 'SM2',
} as const;

export interface KeyPair {
  algorithm: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function parseKeyAlgorithm(value: string): KeyAlgorithm {
  // seed 001 spells P-256 as "ecdsa_p256"; accept it on input.
  const normalised = value.toLowerCase().replace(/_/g, '-');
  if ((KEY_ALGORITHMS as readonly string[]).includes(normalised)) return normalised as KeyAlgorithm;
  throw new AttestryError('E_USAGE', `unknown key algorithm "${value}"; expected one of ${KEY_ALGORITHMS.join(', ')}`);
}

export function generateKeyPair(algorithm: KeyAlgorithm = 'ed25519'): KeyPair {
  const { privateKey, publicKey } =
    algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: CURVE_BY_ALGORITHM[algorithm] });
  return { algorithm, privateKey, publicKey };
}

/** Which scheme a key belongs to; throws for keys attestry does not sign with. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (isSm2Key(key)) return 'sm2';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'ecdsa-p256';
    if (curve === 'secp384r1') return 'ecdsa-p384';
    if (curve === 'secp521r1') return 'ecdsa-p521';
    if (curve === 'SM2') return 'sm2';
    throw new AttestryError('E_KEY_UNSUPPORTED', `unsupported elliptic curve ${curve ?? 'unknown'}; use P-256, P-384, P-521 or SM2`);
  }
  throw new AttestryError('E_KEY_UNSUPPORTED', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}; use Ed25519 or ECDSA`);
}

export function privateKeyToPem(key: KeyObject, passphrase?: string): string {
  if (passphrase !== undefined && passphrase.length > 0) return encryptPrivateKeyPem(key, passphrase);
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function publicKeyToPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

export function publicKeyDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** attestry's key fingerprint: `sha256:` of the SPKI DER. */
export function keyFingerprint(publicKey: KeyObject): Digest {
  return sha256Digest(publicKeyDer(publicKey));
}

/**
 * The OMS / model_signing key hint: hex SHA-256 of the SPKI PEM text, exactly
 * as Python `cryptography` writes it (64-column base64, trailing newline),
 * which is also what Node writes.
 */
export function omsKeyHint(publicKey: KeyObject): string {
  return sha256Hex(publicKeyToPem(publicKey));
}

/**
 * Whether an OMS / Sigstore `publicKey.hint` names this key. The hint is an
 * unauthenticated label whose format is agreed out of band (sigstore
 * protobuf-specs `PublicKeyIdentifier`); attestry knows two conventions: hex
 * SHA-256 of the SPKI PEM text (model_signing) and of the SPKI DER (other OMS
 * signers; attestry's `sha256:` fingerprint is the same digest). A hint that
 * does not match is no proof of anything: the signature check decides.
 */
export function keyHintMatches(hint: string, publicKey: KeyObject): boolean {
  const h = hint.toLowerCase();
  const der = sha256Hex(publicKeyDer(publicKey));
  return h === omsKeyHint(publicKey) || h === der || h === `sha256:${der}`;
}

const privateCache = new Map<string, KeyObject>();
const publicCache = new Map<string, KeyObject>();
const CACHE_LIMIT = 256;

function remember(cache: Map<string, KeyObject>, pem: string, key: KeyObject): KeyObject {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pem, key);
  return key;
}

/**
 * Loads a PKCS#8 (or SEC1) private key PEM, decrypting it when a passphrase is
 * given. Unencrypted keys are cached by content; encrypted ones never are, so
 * the passphrase is checked on every load.
 */
export function loadPrivateKey(pem: string, source: string, passphrase?: string): KeyObject {
  const encrypted = pem.includes('ENCRYPTED');
  if (!encrypted) {
    const hit = privateCache.get(pem);
    if (hit) return hit;
  }
  // Without this, OpenSSL's "DECODER routines::unsupported" is all a user who passed public.pem would see.
  if (!pem.includes('PRIVATE KEY-----') && /-----BEGIN (PUBLIC KEY|CERTIFICATE)-----/.test(pem)) {
    throw new AttestryError(
      'E_KEY_FORMAT',
      `${source} is a public key; signing needs the private key (the private.pem that keygen wrote beside public.pem)`,
    );
  }
  if (encrypted && (passphrase === undefined || passphrase.length === 0)) {
    throw new AttestryError(
      'E_PASSPHRASE_REQUIRED',
      `${source} is passphrase-protected; supply the passphrase (e.g. --passphrase-env VAR)`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase: passphrase ?? '' } : { key: pem, format: 'pem' });
  } catch (e) {
    if (encrypted) {
      throw new AttestryError('E_BAD_PASSPHRASE', `cannot decrypt ${source}: wrong passphrase or damaged key file`, { cause: e });
    }
    throw new AttestryError('E_KEY_FORMAT', `${source} is not a PEM private key (${(e as Error).message})`, { cause: e });
  }
  if (key.type !== 'private') {
    throw new AttestryError('E_KEY_FORMAT', `${source} does not hold a private key`);
  }
  keyAlgorithmOf(key);
  return encrypted ? key : remember(privateCache, pem, key);
}

/**
 * Loads a public key from SPKI PEM. A private key PEM or an X.509 certificate
 * PEM are accepted too (the public half is taken), since users often have
 * only one of those at hand.
 */
export function loadPublicKey(pem: string, source: string): KeyObject {
  const hit = publicCache.get(pem);
  if (hit) return hit;
  if (pem.includes('ENCRYPTED PRIVATE KEY')) {
    throw new AttestryError('E_KEY_FORMAT', `${source} is an encrypted private key; give the public key (SPKI PEM) instead`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new AttestryError('E_KEY_FORMAT', `${source} is not a PEM public key, private key or certificate (${(e as Error).message})`, {
      cause: e,
    });
  }
  keyAlgorithmOf(key);
  return remember(publicCache, pem, key);
}

/** The schemes Sigstore's algorithm registry knows (bundles, Rekor entries); SM2 is not one. */
export type SigstoreKeyAlgorithm = Exclude<KeyAlgorithm, 'sm2'>;

export function sigstoreAlgorithm(algorithm: KeyAlgorithm): SigstoreKeyAlgorithm {
  if (algorithm === 'sm2') {
    throw new AttestryError(
      'E_KEY_UNSUPPORTED',
      'SM2 keys have no Sigstore algorithm (bundles and Rekor entries); sign with an Ed25519 or ECDSA key, or use a DSSE envelope',
    );
  }
  return algorithm;
}
