/**
 * Shared test helpers for test/core and test/crypto (not a test file itself:
 * `npm test` only runs `*.test.js`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AttestryError, type ErrorCode } from '../../src/core/errors.js';

/**
 * Asserts that `fn` throws an AttestryError with the given code and, when
 * given, a message matching every pattern. Returns the error for further checks.
 */
export function expectAttestryError(fn: () => unknown, code: ErrorCode, ...messagePatterns: RegExp[]): AttestryError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected an AttestryError ${code}, but nothing was thrown`);
  assert.ok(caught instanceof AttestryError, `expected an AttestryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected code ${code}, got ${caught.code}: ${caught.message}`);
  for (const pattern of messagePatterns) assert.match(caught.message, pattern);
  return caught;
}

/** Reads a JSON fixture from test/fixtures/vectors, relative to the repo root (tests run from dist/test/<dir>/). */
export function readVector(name: string): unknown {
  const url = new URL(`../../../test/fixtures/vectors/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrowing accessors that fail the test (rather than cast) when a fixture has the wrong shape. */
export function field(obj: unknown, key: string): unknown {
  assert.ok(isRecord(obj), `fixture: expected an object holding "${key}"`);
  assert.ok(key in obj, `fixture: missing "${key}"`);
  return obj[key];
}

export function str(obj: unknown, key: string): string {
  const v = field(obj, key);
  assert.equal(typeof v, 'string', `fixture: "${key}" must be a string`);
  return v as string;
}

export function arr(obj: unknown, key: string): unknown[] {
  const v = field(obj, key);
  assert.ok(Array.isArray(v), `fixture: "${key}" must be an array`);
  return v;
}
