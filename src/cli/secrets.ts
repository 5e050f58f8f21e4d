/** Passphrases come from the environment, never from argv, so they stay out of `ps` and shell history. */
import { AttestryError } from '../core/errors.js';

export function passphraseFromEnv(variable: string | undefined): string | undefined {
  if (variable === undefined) return undefined;
  const value = process.env[variable];
  if (value === undefined || value === '') {
    throw new AttestryError('E_USAGE', `--passphrase-env names ${variable}, but that environment variable is not set`);
  }
  return value;
}
