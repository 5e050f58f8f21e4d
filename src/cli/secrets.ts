/**
 * Passphrases come from the environment or a terminal prompt, never from
 * argv, so they stay out of `ps` and shell history. They are never echoed,
 * logged or put in a message.
 */
import type { KeyObject } from 'node:crypto';
import { AttestryError } from '../core/errors.js';
import { loadPrivateKey } from '../crypto/keys.js';
import { readText } from './files.js';
import { safeText } from './output.js';
import { canPrompt, readHidden } from './prompt.js';

/** Read when no --passphrase-env names another variable (as cosign reads COSIGN_PASSWORD). */
export const DEFAULT_PASSPHRASE_ENV = 'ATTESTRY_PASSWORD';

export function passphraseFromEnv(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (value === undefined)
    throw new AttestryError('E_USAGE', `--passphrase-env names ${variable}, but that environment variable is not set`);
  if (value === '') throw new AttestryError('E_USAGE', `--passphrase-env names ${variable}, but that environment variable is empty`);
  return value;
}

/** ATTESTRY_PASSWORD when set and not empty: what keygen encrypts with when no --passphrase-env is named (as cosign). */
export function defaultPassphrase(): string | undefined {
  const value = process.env[DEFAULT_PASSPHRASE_ENV];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Loads a private key, finding the passphrase for an encrypted one: the
 * variable --passphrase-env names, else ATTESTRY_PASSWORD, else a prompt on
 * the terminal; without a terminal, E_PASSPHRASE_REQUIRED says how to give one.
 */
export async function privateKeyWithPassphrase(path: string, passphraseEnv: string | undefined): Promise<KeyObject> {
  const pem = readText(path, 'private key');
  const named = passphraseFromEnv(passphraseEnv);
  if (named !== undefined) return loadPrivateKey(pem, path, named);
  try {
    return loadPrivateKey(pem, path);
  } catch (e) {
    if (!(e instanceof AttestryError) || e.code !== 'E_PASSPHRASE_REQUIRED') throw e;
  }
  const fromDefault = defaultPassphrase();
  if (fromDefault !== undefined) return loadPrivateKey(pem, path, fromDefault);
  if (canPrompt()) return loadPrivateKey(pem, path, await readHidden(`Enter passphrase for ${safeText(path)}: `));
  throw new AttestryError(
    'E_PASSPHRASE_REQUIRED',
    `${path} is passphrase-protected and there is no terminal to ask on: set ${DEFAULT_PASSPHRASE_ENV}${process.env[DEFAULT_PASSPHRASE_ENV] === '' ? ' (it is set but empty)' : ''}, or name another variable with --passphrase-env VAR`,
  );
}
