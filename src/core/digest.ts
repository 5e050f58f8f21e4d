import { createHash } from 'node:crypto';
import { AttestryError } from './errors.js';

/** A content digest in attestry's wire form: `sha256:<64 lowercase hex>`. */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/**
 * Parses a digest string. Upper-case hex is accepted and normalised, because
 * people paste digests from tools that print either case; anything else fails.
 */
export function parseDigest(value: unknown, field = 'digest'): Digest {
  if (typeof value !== 'string') {
    throw new AttestryError('E_INVALID_INPUT', `${field}: expected a string "sha256:<64 hex>"`);
  }
  const lowered = value.startsWith('sha256:') ? `sha256:${value.slice(7).toLowerCase()}` : value;
  if (!DIGEST_RE.test(lowered)) {
    throw new AttestryError('E_INVALID_INPUT', `${field}: "${truncate(value)}" is not of the form sha256:<64 lowercase hex>`);
  }
  return lowered as Digest;
}

export function digestFromHex(hex: string): Digest {
  if (!HEX64_RE.test(hex)) {
    throw new AttestryError('E_INVALID_INPUT', `"${truncate(hex)}" is not 64 lowercase hex characters`);
  }
  return `sha256:${hex}`;
}

export function digestHex(d: Digest): string {
  return d.slice(7);
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${sha256Hex(data)}`;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
