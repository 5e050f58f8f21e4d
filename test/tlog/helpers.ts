/**
 * Shared helpers for test/tlog (not a test file itself: `npm test` only runs
 * `*.test.js`).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PerfectNode } from '../../src/tlog/merkle.js';
import type { ReferenceTree } from './reference.js';

/**
 * Reads a JSON fixture from test/fixtures/vectors. Tests normally run from
 * dist/test/tlog/ (three levels below the repo root); when compiled elsewhere
 * (a scratch outDir) the fixture is looked up from the working directory.
 */
export function readTlogVector(name: string): unknown {
  const besideDist = fileURLToPath(new URL(`../../../test/fixtures/vectors/${name}`, import.meta.url));
  const fromCwd = join(process.cwd(), 'test/fixtures/vectors', name);
  const path = existsSync(besideDist) ? besideDist : fromCwd;
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const fromHex = (s: string): Buffer => Buffer.from(s, 'hex');

/** A copy of `b` with bit `bit` (0 = most significant bit of byte 0) flipped. */
export function flipBit(b: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(b);
  const byte = Math.floor(bit / 8);
  assert.ok(byte < out.length, `bit ${bit} is outside a ${out.length}-byte value`);
  out[byte] = (out[byte] as number) ^ (0x80 >> (bit % 8));
  return out;
}

/**
 * A perfect-subtree reader over the reference tree that refuses to read
 * outside the first `size` leaves: src/tlog must never need a node beyond
 * the tree it is asked about.
 */
export function referenceNodes(tree: ReferenceTree, size: number): PerfectNode {
  return (height, index) => {
    assert.ok(Number.isInteger(height) && height >= 0 && Number.isInteger(index) && index >= 0, `bad node ${height}/${index}`);
    const lo = index * 2 ** height;
    const hi = lo + 2 ** height;
    assert.ok(hi <= size, `node ${height}/${index} covers leaves [${lo}, ${hi}), beyond tree size ${size}`);
    return tree.mth(lo, hi);
  };
}

/** A perfect-subtree reader over pinned node hashes levels[height][index], limited to the first `size` leaves. */
export function pinnedNodes(levels: readonly (readonly Buffer[])[], size: number): PerfectNode {
  return (height, index) => {
    const hi = (index + 1) * 2 ** height;
    assert.ok(hi <= size, `node ${height}/${index} is beyond tree size ${size}`);
    const h = levels[height]?.[index];
    assert.ok(h !== undefined, `no pinned node ${height}/${index}`);
    return h;
  };
}

/** Leaf inputs that are cheap to make and all distinct. */
export function leafInputs(count: number, tag = 'leaf'): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`${tag} ${i}`));
}
