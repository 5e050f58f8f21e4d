import { linkSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, fsyncDir, writeFileAtomic } from '../core/atomic-file.js';
import { AttestryError, ioError } from '../core/errors.js';
import { KEY_ID_RE, parseKeyId } from '../core/key-id.js';
import {
  generateKeyPair,
  keyAlgorithmOf,
  keyFingerprint,
  loadPrivateKeyHandle,
  loadPublicKeyHandle,
  omsKeyHint,
  privateKeyToPem,
  publicKeyToPem,
  type KeyAlgorithm,
  type PublicKeyHandle,
} from './keys.js';
import { createSigner, type Signer } from './signer.js';

/** Seed 000 §9 `Signing.Algorithm` spellings → attestry key algorithms. */
export const SIGNING_ALGORITHMS: Readonly<Record<string, KeyAlgorithm>> = {
  'ECDSA-P256-SHA256': 'ecdsa-p256',
  Ed25519: 'ed25519',
};

// The library API has always offered it here.
export { parseKeyId };

export interface PublicKeyInfo {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKeyPem: string;
  readonly fingerprint: string;
  /** model_signing's `publicKey.hint` for this key. */
  readonly hint: string;
}

export function describePublicKey(keyId: string, publicKey: PublicKeyHandle): PublicKeyInfo {
  return {
    keyId,
    algorithm: keyAlgorithmOf(publicKey),
    publicKeyPem: publicKeyToPem(publicKey),
    fingerprint: keyFingerprint(publicKey),
    hint: omsKeyHint(publicKey),
  };
}

/**
 * The service's own signing keys, one PKCS#8 file per key id in a directory
 * (mode 0700, files 0600). Several nodes share keys by sharing the directory
 * or copying its files; public halves are served at /api/v1/keys.
 */
export class Keyring {
  constructor(readonly dir: string) {}

  #privatePath(keyId: string): string {
    return join(this.dir, `${parseKeyId(keyId)}.key.pem`);
  }

  /**
   * Returns the key, creating it on first use. Creation links a complete temp
   * file into place, which fails if another process won the race; the loser
   * then reads the winner's key, so two nodes never end up with two keys.
   */
  ensure(
    keyId: string,
    algorithm: KeyAlgorithm,
    /** The setting that chose the algorithm, named when the stored key is of another. */
    setting = 'Signals.Signing.Algorithm',
  ): { info: PublicKeyInfo; created: boolean } {
    const path = this.#privatePath(keyId);
    const existing = this.#tryLoad(keyId);
    if (existing !== undefined) {
      if (existing.algorithm !== algorithm) {
        throw new AttestryError(
          'E_CONFIG',
          `signing key "${keyId}" in ${this.dir} is ${existing.algorithm}, but ${setting} asks for ${algorithm}; choose another key id or remove the old key`,
        );
      }
      return { info: existing, created: false };
    }
    ensureDir(this.dir, 0o700);
    const pair = generateKeyPair(algorithm);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileAtomic(tmp, privateKeyToPem(pair.privateKey), 0o600);
    let created = true;
    try {
      linkSync(tmp, path);
      fsyncDir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(e, 'create signing key', path);
      created = false;
    } finally {
      unlinkSync(tmp);
    }
    const info = this.#tryLoad(keyId);
    if (info === undefined) throw new AttestryError('E_INTERNAL', `signing key ${keyId} vanished after creation`);
    return { info, created };
  }

  #tryLoad(keyId: string): PublicKeyInfo | undefined {
    const path = this.#privatePath(keyId);
    let pem: string;
    try {
      pem = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError(e, 'read signing key', path);
    }
    return describePublicKey(keyId, loadPublicKeyHandle(pem, path));
  }

  signer(keyId: string): Signer {
    return createSigner(loadPrivateKeyHandle(this.privateKeyPem(keyId), this.#privatePath(keyId)), keyId);
  }

  /** The PKCS#8 PEM of a key, for handing to a worker thread of this process; never log it. */
  privateKeyPem(keyId: string): string {
    const path = this.#privatePath(keyId);
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw ioError(e, 'read signing key', path);
    }
  }

  get(keyId: string): PublicKeyInfo {
    const info = this.#tryLoad(keyId);
    if (info === undefined) throw new AttestryError('E_NOT_FOUND', `no signing key "${keyId}"`, { details: { keyId } });
    return info;
  }

  list(): PublicKeyInfo[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError(e, 'list keys in', this.dir);
    }
    return names
      .filter((n) => n.endsWith('.key.pem'))
      .map((n) => n.slice(0, -'.key.pem'.length))
      .filter((id) => KEY_ID_RE.test(id))
      .sort()
      .map((id) => this.get(id));
  }
}
