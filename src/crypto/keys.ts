import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { sha256Digest, sha256Hex, type Digest } from '../core/digest.js';
import { encryptPrivateKeyPem } from './pkcs8-scrypt.js';
import { isSm2Key } from './sm2.js';
import { GostPrivateKey, GostPublicKey, generateGostKeyPair, parseGostPkcs8, parseGostSpki } from './gost-keys.js';
import { pemBody } from './der-read.js';

/**
 * A key attestry can sign or verify with. GOST R 34.10-2012 keys cannot be
 * Node KeyObjects (Node's OpenSSL has no GOST), so they have their own
 * classes; code that hands a key to Node or to Sigstore takes it through
 * requireKeyObject.
 */
export type PublicKeyHandle = KeyObject | GostPublicKey;
export type PrivateKeyHandle = KeyObject | GostPrivateKey;
export type KeyHandle = PublicKeyHandle | PrivateKeyHandle;

export function isGostKey(key: KeyHandle): key is GostPublicKey | GostPrivateKey {
  return key instanceof GostPublicKey || key instanceof GostPrivateKey;
}

/**
 * The key as a Node KeyObject, for the places that need one (Sigstore
 * bundles, Rekor entries, X.509, OMS bundles); GOST keys are refused there.
 */
export function requireKeyObject<K extends KeyHandle>(key: K, purpose: string): Exclude<K, GostPublicKey | GostPrivateKey> {
  if (isGostKey(key)) {
    throw new AttestryError(
      'E_KEY_UNSUPPORTED',
      `GOST R 34.10-2012 keys cannot be used for ${purpose} (they have no Sigstore algorithm and Node cannot load them); use a DSSE envelope, or an Ed25519/ECDSA key`,
    );
  }
  return key as Exclude<K, GostPublicKey | GostPrivateKey>;
}

/** Signature schemes attestry signs and verifies with. */
export const KEY_ALGORITHMS = ['ed25519', 'ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'sm2', 'gost3410'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

const CURVE_BY_ALGORITHM = {
  'ecdsa-p256': 'prime256v1',
  'ecdsa-p384': 'secp384r1',
  'ecdsa-p521': 'secp521r1',
  // OpenSSL's name; keys carry OID 1.2.156.10197.1.301. The SM2 scheme itself is in sm2.ts.
  sm2: 'SM2',
} as const;

/** Algorithms whose keys are Node KeyObjects: all but GOST, which Node's OpenSSL lacks. */
export type NodeKeyAlgorithm = Exclude<KeyAlgorithm, 'gost3410'>;
export const NODE_KEY_ALGORITHMS: readonly NodeKeyAlgorithm[] = KEY_ALGORITHMS.filter((a): a is NodeKeyAlgorithm => a !== 'gost3410');

export interface KeyPair {
  algorithm: NodeKeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A key pair of any algorithm; a GOST one holds GostPrivateKey / GostPublicKey. */
export interface KeyPairHandle {
  algorithm: KeyAlgorithm;
  privateKey: PrivateKeyHandle;
  publicKey: PublicKeyHandle;
}

export function parseKeyAlgorithm(value: string): KeyAlgorithm {
  // seed 001 spells P-256 as "ecdsa_p256"; accept it on input.
  const normalised = value.toLowerCase().replace(/_/g, '-');
  if ((KEY_ALGORITHMS as readonly string[]).includes(normalised)) return normalised as KeyAlgorithm;
  throw new AttestryError('E_USAGE', `unknown key algorithm "${value}"; expected one of ${KEY_ALGORITHMS.join(', ')}`);
}

/** 'gost3410' keys use the CryptoPro-A parameter set (1.2.643.2.2.35.1), as OpenSSL's gost engine does by default. */
export function generateKeyPair(algorithm?: NodeKeyAlgorithm): KeyPair;
export function generateKeyPair(algorithm: KeyAlgorithm): KeyPairHandle;
export function generateKeyPair(algorithm: KeyAlgorithm = 'ed25519'): KeyPairHandle {
  if (algorithm === 'gost3410') return { algorithm, ...generateGostKeyPair() };
  const { privateKey, publicKey } =
    algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: CURVE_BY_ALGORITHM[algorithm] });
  return { algorithm, privateKey, publicKey };
}

/** Which scheme a key belongs to; throws for keys attestry does not sign with. */
export function keyAlgorithmOf(key: KeyHandle): KeyAlgorithm {
  if (isGostKey(key)) return 'gost3410';
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

export function privateKeyToPem(key: PrivateKeyHandle, passphrase?: string): string {
  if (key instanceof GostPrivateKey) {
    // Reading an encrypted key goes through OpenSSL, which could decrypt it but not load the GOST key inside.
    if (passphrase !== undefined && passphrase.length > 0) {
      throw new AttestryError(
        'E_KEY_UNSUPPORTED',
        'GOST R 34.10-2012 private keys cannot be passphrase-protected by attestry; protect the file by its permissions instead',
      );
    }
    return key.pem();
  }
  if (passphrase !== undefined && passphrase.length > 0) return encryptPrivateKeyPem(key, passphrase);
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function publicKeyToPem(key: PublicKeyHandle): string {
  if (key instanceof GostPublicKey) return key.pem();
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

export function publicKeyDer(key: PublicKeyHandle): Buffer {
  if (key instanceof GostPublicKey) return key.spkiDer();
  return key.export({ type: 'spki', format: 'der' });
}

/** attestry's key fingerprint: `sha256:` of the SPKI DER. */
export function keyFingerprint(publicKey: PublicKeyHandle): Digest {
  return sha256Digest(publicKeyDer(publicKey));
}

/**
 * The OMS / model_signing key hint: hex SHA-256 of the SPKI PEM text, exactly
 * as Python `cryptography` writes it (64-column base64, trailing newline),
 * which is also what Node writes.
 */
export function omsKeyHint(publicKey: PublicKeyHandle): string {
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
export function keyHintMatches(hint: string, publicKey: PublicKeyHandle): boolean {
  const h = hint.toLowerCase();
  const der = sha256Hex(publicKeyDer(publicKey));
  return h === omsKeyHint(publicKey) || h === der || h === `sha256:${der}`;
}

const privateCache = new Map<string, PrivateKeyHandle>();
const publicCache = new Map<string, PublicKeyHandle>();
const CACHE_LIMIT = 256;

function remember<K extends KeyHandle>(cache: Map<string, K>, pem: string, key: K): K {
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pem, key);
  return key;
}

/**
 * Loads a PKCS#8 (or SEC1) private key PEM, decrypting it when a passphrase is
 * given. Unencrypted keys are cached by content; encrypted ones never are, so
 * the passphrase is checked on every load.
 */
export function loadPrivateKeyHandle(pem: string, source: string, passphrase?: string): PrivateKeyHandle {
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
  // GOST keys are recognised by their algorithm OID before OpenSSL, which cannot read them, sees the PEM.
  const der = encrypted ? undefined : pemBody(pem, 'PRIVATE KEY');
  const gost = der === undefined ? undefined : parseGostPkcs8(der, source);
  if (gost !== undefined) return remember(privateCache, pem, gost);
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
export function loadPublicKeyHandle(pem: string, source: string): PublicKeyHandle {
  const hit = publicCache.get(pem);
  if (hit) return hit;
  if (pem.includes('ENCRYPTED PRIVATE KEY')) {
    throw new AttestryError('E_KEY_FORMAT', `${source} is an encrypted private key; give the public key (SPKI PEM) instead`);
  }
  const spki = pemBody(pem, 'PUBLIC KEY');
  const pkcs8 = spki === undefined ? pemBody(pem, 'PRIVATE KEY') : undefined;
  const gost =
    spki !== undefined ? parseGostSpki(spki, source) : pkcs8 !== undefined ? parseGostPkcs8(pkcs8, source)?.publicKey : undefined;
  if (gost !== undefined) return remember(publicCache, pem, gost);
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

/** A public key from SPKI DER (log entries, bundles): Node's key types, or GOST, which Node cannot load. */
export function publicKeyHandleFromDer(der: Uint8Array, source: string): PublicKeyHandle {
  const gost = parseGostSpki(Buffer.from(der), source);
  if (gost !== undefined) return gost;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (e) {
    throw new AttestryError('E_KEY_FORMAT', `${source} is not an SPKI public key (${(e as Error).message})`, { cause: e });
  }
  keyAlgorithmOf(key);
  return key;
}

/**
 * loadPrivateKeyHandle for the many callers that hand the key to Node
 * (Sigstore, Rekor, OMS, X.509): a GOST key is refused with E_KEY_UNSUPPORTED.
 */
export function loadPrivateKey(pem: string, source: string, passphrase?: string): KeyObject {
  return requireKeyObject(loadPrivateKeyHandle(pem, source, passphrase), `${source} here`);
}

/** loadPublicKeyHandle, refusing GOST keys, for callers that need a Node KeyObject. */
export function loadPublicKey(pem: string, source: string): KeyObject {
  return requireKeyObject(loadPublicKeyHandle(pem, source), `${source} here`);
}

/** The schemes Sigstore's algorithm registry knows (bundles, Rekor entries); SM2 and GOST are not. */
export type SigstoreKeyAlgorithm = Exclude<KeyAlgorithm, 'sm2' | 'gost3410'>;

export function sigstoreAlgorithm(algorithm: KeyAlgorithm): SigstoreKeyAlgorithm {
  if (algorithm === 'sm2') {
    throw new AttestryError(
      'E_KEY_UNSUPPORTED',
      'SM2 keys have no Sigstore algorithm (bundles and Rekor entries); sign with an Ed25519 or ECDSA key, or use a DSSE envelope',
    );
  }
  if (algorithm === 'gost3410') {
    throw new AttestryError(
      'E_KEY_UNSUPPORTED',
      'GOST R 34.10-2012 keys have no Sigstore algorithm (bundles and Rekor entries); use a DSSE envelope or an Ed25519/ECDSA key',
    );
  }
  return algorithm;
}
