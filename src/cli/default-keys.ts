/**
 * Embedded defaults: with no --key, sign uses the key pair in
 * `$ATTESTRY_HOME/keys` (default `~/.attestry/keys`), creating an Ed25519 pair
 * on first use, and verify uses its public half.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../core/atomic-file.js';
import { generateKeyPair, privateKeyToPem, publicKeyToPem } from '../crypto/keys.js';
import { AttestryError } from '../core/errors.js';

export function attestryHome(): string {
  return process.env['ATTESTRY_HOME'] ?? join(homedir(), '.attestry');
}

export function defaultKeyPaths(): { dir: string; privateKey: string; publicKey: string } {
  const dir = join(attestryHome(), 'keys');
  return { dir, privateKey: join(dir, 'private.pem'), publicKey: join(dir, 'public.pem') };
}

/** Returns the default private key path, creating the pair if there is none yet. */
export function ensureDefaultSigningKey(notice: (message: string) => void): string {
  const paths = defaultKeyPaths();
  if (existsSync(paths.privateKey)) return paths.privateKey;
  ensureDir(paths.dir, 0o700);
  const pair = generateKeyPair('ed25519');
  writeFileAtomic(paths.privateKey, privateKeyToPem(pair.privateKey), 0o600);
  writeFileAtomic(paths.publicKey, publicKeyToPem(pair.publicKey), 0o644);
  notice(`created a new Ed25519 signing key in ${paths.dir} (first run)`);
  return paths.privateKey;
}

export function defaultVerificationKey(): string {
  const paths = defaultKeyPaths();
  if (!existsSync(paths.publicKey)) {
    throw new AttestryError('E_USAGE', `give --key or --registry (no default key at ${paths.publicKey})`);
  }
  return paths.publicKey;
}
