import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { InvalidArgumentError } from 'commander';
import { ioError } from '../core/errors.js';
import { loadPublicKey } from '../crypto/keys.js';

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw ioError(e, `read ${what}`, path);
  }
}

export function publicKeyFromFile(path: string): KeyObject {
  return loadPublicKey(readText(path, 'public key'), path);
}

export function parseIntOption(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return Number(value);
  };
}

export function parseDateOption(name: string): (value: string) => Date {
  return (value: string) => {
    const t = Date.parse(value);
    if (Number.isNaN(t)) throw new InvalidArgumentError(`${name} must be an ISO 8601 date, got "${value}"`);
    return new Date(t);
  };
}
