import { AttestryError } from './errors.js';

export const KEY_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Key ids name files in the keyring and rows in the trusted-keys table, so they are safe path segments. */
export function parseKeyId(value: unknown, field = 'keyId'): string {
  if (typeof value !== 'string' || !KEY_ID_RE.test(value) || value.includes('..')) {
    throw new AttestryError('E_INVALID_INPUT', `${field}: ${JSON.stringify(value)} is not a key id (1-128 of letters, digits, . _ -)`);
  }
  return value;
}
