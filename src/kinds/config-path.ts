import { AttestryError } from '../core/errors.js';

/**
 * Reads a dotted path (`Signals.CAS.RetentionDays.RuntimeFacts`) from the
 * resolved config. Declarations name config keys as data so a domain's kinds
 * need not import the config schema; a key that does not resolve is a
 * mistake in the declaration, hence E_CONFIG.
 */
export function readConfigPath(config: unknown, path: string): unknown {
  let node: unknown = config;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, part)) {
      throw new AttestryError('E_CONFIG', `config key ${path} does not exist`);
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export function readConfigBoolean(config: unknown, path: string): boolean {
  const value = readConfigPath(config, path);
  if (typeof value !== 'boolean') throw new AttestryError('E_CONFIG', `config key ${path} must be true or false`);
  return value;
}

export function readConfigDays(config: unknown, path: string): number {
  const value = readConfigPath(config, path);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new AttestryError('E_CONFIG', `config key ${path} must be a whole number of days`);
  }
  return value;
}
