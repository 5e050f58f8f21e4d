/**
 * Shared helpers for test/signals (not a test file: `npm test` runs only `*.test.js`).
 */
import assert from 'node:assert/strict';
import { AttestryError, type ErrorCode } from '../../src/core/errors.js';

/** A body as the server would hand it over: `text` in chunks of `size` bytes (small sizes split lines and UTF-8 sequences). */
export async function* chunks(text: string | Buffer, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export function ndjson(records: readonly unknown[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/** Awaits `run` and asserts it rejects with an AttestryError of `code` whose message matches every pattern. */
export async function rejects(run: () => Promise<unknown>, code: ErrorCode, ...patterns: RegExp[]): Promise<AttestryError> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AttestryError, `expected AttestryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
