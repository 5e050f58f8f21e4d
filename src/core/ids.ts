import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { AttestryError } from './errors.js';

/** Source of new ids; injectable so tests are deterministic. */
export interface IdSource {
  next(): string;
}

/** Wall-clock source; injectable so tests are deterministic. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * The ulid package draws one `crypto.randomBytes(1)` per character by
 * default, a syscall-sized cost per id on the request path. This pool draws
 * 4 KiB at a time from the same CSPRNG. 256 is a multiple of 32, so each
 * base32 character stays uniform.
 */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolPos = 0;
function pooledRandom(): number {
  if (poolPos >= POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolPos = 0;
  }
  return (pool[poolPos++] as number) / 256;
}

export function ulidSource(): IdSource {
  const factory = monotonicFactory(pooledRandom);
  return { next: () => factory() };
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** Validates a ULID (Crockford base32, 26 chars) and normalises it to upper case. */
export function parseUlid(value: unknown, field = 'id'): string {
  if (typeof value !== 'string') {
    throw new AttestryError('E_INVALID_INPUT', `${field}: expected a ULID string`);
  }
  const upper = value.toUpperCase();
  // The first character encodes the top 3 bits of a 48-bit timestamp, so it is at most 7.
  if (!ULID_RE.test(upper) || upper.charCodeAt(0) > '7'.charCodeAt(0)) {
    throw new AttestryError('E_INVALID_INPUT', `${field}: "${value.slice(0, 40)}" is not a valid ULID`);
  }
  return upper;
}
