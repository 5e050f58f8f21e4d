import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendLeaves, edgeKeys, type AppendResult } from '../../src/tlog/append.js';
import { EMPTY_ROOT, HASH_SIZE } from '../../src/tlog/hash.js';
import { consistencyProof, inclusionProof, treeRoot } from '../../src/tlog/merkle.js';
import {
  FULL_TILE_BYTES,
  TILE_WIDTH,
  levelWidth,
  nodesFromTiles,
  rightEdge,
  tileKeyString,
  withTiles,
  type TileNeed,
} from '../../src/tlog/tiles.js';
import { expectAttestryError } from '../core/helpers.js';
import { hex, leafInputs } from './helpers.js';
import { ReferenceTree } from './reference.js';

/** The hashes a tile at `level` holds in a tree, from the reference: position p is MTH of leaves [p·256^level, (p+1)·256^level). */
function referenceLevel(tree: ReferenceTree, level: number): Buffer[] {
  const span = TILE_WIDTH ** level;
  return Array.from({ length: levelWidth(tree.size, level) }, (_, p) => tree.mth(p * span, (p + 1) * span));
}

/**
 * A log's tile table in memory, written only through appendLeaves results and
 * read only through edgeKeys, as a store would. Records which tiles were ever
 * full, to catch a full tile being rewritten.
 */
class MemoryTiles {
  readonly tiles = new Map<string, Buffer>();
  readonly full = new Set<string>();
  size = 0;
  writes = 0;

  append(leaves: readonly Uint8Array[]): AppendResult {
    const edge = new Map<string, Uint8Array>();
    for (const k of edgeKeys(this.size)) {
      const tile = this.tiles.get(tileKeyString(k));
      assert.ok(tile !== undefined, `edge tile ${tileKeyString(k)} of size ${this.size} was never written`);
      edge.set(tileKeyString(k), tile);
    }
    const result = appendLeaves(this.size, edge, leaves);
    assert.equal(result.size, this.size + leaves.length);
    const seen = new Set<string>();
    for (const w of result.tiles) {
      const key = tileKeyString(w.key);
      assert.ok(!seen.has(key), `tile ${key} appears twice in one append`);
      seen.add(key);
      assert.ok(!this.full.has(key), `tile ${key} was full and was written again at size ${result.size}`);
      assert.ok(
        w.hashes.length > 0 && w.hashes.length <= FULL_TILE_BYTES && w.hashes.length % HASH_SIZE === 0,
        `tile ${key} is ${w.hashes.length} bytes`,
      );
      this.tiles.set(key, w.hashes);
      if (w.hashes.length === FULL_TILE_BYTES) this.full.add(key);
      this.writes++;
    }
    this.size = result.size;
    return result;
  }

  /** withTiles' fetch: each needed tile, which must exist and hold at least the hashes the computation reads. */
  fetch = async (needs: TileNeed[]): Promise<Map<string, Buffer>> =>
    new Map(
      needs.map(({ key, width }) => {
        const tile = this.tiles.get(tileKeyString(key));
        assert.ok(tile !== undefined, `fetch of tile ${tileKeyString(key)}, which a tree of ${this.size} leaves does not have`);
        assert.ok(
          width >= 1 && width * HASH_SIZE <= tile.length,
          `fetch of ${width} hashes of tile ${tileKeyString(key)}, which holds ${tile.length / HASH_SIZE}`,
        );
        return [tileKeyString(key), tile];
      }),
    );
}

/** The store holds exactly the tiles of a tree of its size: every full tile (8,192 bytes) and each level's partial tile, with the reference's hashes. */
function assertTilesMatch(store: MemoryTiles, levels: readonly Buffer[][]): void {
  const expected = new Map<string, Buffer>();
  for (let level = 0; levelWidth(store.size, level) > 0; level++) {
    const width = levelWidth(store.size, level);
    const hashes = (levels[level] as Buffer[]).slice(0, width);
    for (let index = 0; index * TILE_WIDTH < width; index++) {
      expected.set(`${level}/${index}`, Buffer.concat(hashes.slice(index * TILE_WIDTH, (index + 1) * TILE_WIDTH)));
    }
  }
  assert.deepEqual([...store.tiles.keys()].sort(), [...expected.keys()].sort(), `tile set at size ${store.size}`);
  for (const [key, tile] of expected) {
    assert.ok((store.tiles.get(key) as Buffer).equals(tile), `tile ${key} content at size ${store.size}`);
    assert.equal(store.full.has(key), tile.length === FULL_TILE_BYTES, `tile ${key} fullness at size ${store.size}`);
  }
  for (const { key, width } of rightEdge(store.size)) {
    assert.equal((store.tiles.get(tileKeyString(key)) as Buffer).length, width * HASH_SIZE, `partial tile ${tileKeyString(key)}`);
  }
}

describe('appendLeaves against the RFC 6962 reference', () => {
  const TOTAL = 1500;
  const tree = new ReferenceTree(leafInputs(TOTAL, 'append leaf'));
  const leaves = Array.from({ length: TOTAL }, (_, i) => tree.leafHash(i));
  const levels = [0, 1, 2].map((l) => referenceLevel(tree, l));

  test('random batch splits of up to 1,500 leaves: every intermediate root and tile matches, full tiles never change', () => {
    const batch = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 250, max: 262 }), fc.integer({ min: 0, max: 400 }));
    fc.assert(
      fc.property(fc.array(batch, { minLength: 1, maxLength: 40 }), (sizes) => {
        const store = new MemoryTiles();
        for (const requested of sizes) {
          const b = Math.min(requested, TOTAL - store.size);
          const before = store.size;
          const result = store.append(leaves.slice(before, before + b));
          assert.equal(hex(result.root), hex(tree.mth(0, store.size)), `root after appending ${b} to ${before}`);
          assertTilesMatch(store, levels);
          assert.equal(hex(treeRoot(store.size, nodesFromTiles(store.tiles))), hex(result.root));
        }
      }),
      { numRuns: 60 },
    );
  });

  test('one leaf at a time: the root after every single append equals MTH(D[n])', () => {
    const store = new MemoryTiles();
    for (let n = 1; n <= 600; n++) {
      const result = store.append([leaves[n - 1] as Buffer]);
      assert.equal(hex(result.root), hex(tree.mth(0, n)), `size ${n}`);
    }
    assertTilesMatch(store, levels);
  });

  test('level-1 tile hashes are the MTH of each 256-leaf block', () => {
    const store = new MemoryTiles();
    store.append(leaves.slice(0, 700));
    store.append(leaves.slice(700));
    const tile = store.tiles.get('1/0');
    assert.ok(tile !== undefined);
    assert.equal(tile.length, 5 * HASH_SIZE, 'floor(1500 / 256) = 5 level-1 hashes');
    for (let p = 0; p < 5; p++) {
      assert.equal(hex(tile.subarray(p * HASH_SIZE, (p + 1) * HASH_SIZE)), hex(tree.mth(p * 256, (p + 1) * 256)), `level-1 hash ${p}`);
    }
    assert.equal((store.tiles.get('0/5') as Buffer).length, (1500 - 5 * 256) * HASH_SIZE);
  });

  test('an empty batch changes nothing', () => {
    assert.equal(hex(appendLeaves(0, new Map(), []).root), hex(EMPTY_ROOT));
    assert.deepEqual(appendLeaves(0, new Map(), []).tiles, []);
    const store = new MemoryTiles();
    store.append(leaves.slice(0, 300));
    const snapshot = new Map(store.tiles);
    const result = store.append([]);
    assert.equal(hex(result.root), hex(tree.mth(0, 300)));
    assert.deepEqual(store.tiles, snapshot);
  });

  test('proofs over the stored tiles (withTiles) equal the reference', async () => {
    const store = new MemoryTiles();
    store.append(leaves.slice(0, 1000));
    store.append(leaves.slice(1000));
    for (const [index, size] of [
      [0, 1500],
      [1499, 1500],
      [767, 1500],
      [256, 257],
      [1024, 1100],
    ] as const) {
      const proof = await withTiles((node) => inclusionProof(index, size, node), store.fetch);
      assert.deepEqual(proof.map(hex), tree.path(index, 0, size).map(hex), `PATH(${index}, D[${size}])`);
    }
    for (const [m, n] of [
      [1, 1500],
      [256, 1500],
      [1000, 1500],
      [1499, 1500],
    ] as const) {
      const proof = await withTiles((node) => consistencyProof(m, n, node), store.fetch);
      assert.deepEqual(proof.map(hex), tree.proof(m, n).map(hex), `PROOF(${m}, D[${n}])`);
    }
  });

  test('withTiles fetches once, only the tiles the computation reads', async () => {
    const store = new MemoryTiles();
    store.append(leaves);
    const fetched: string[][] = [];
    const proof = await withTiles(
      (node) => inclusionProof(3, 1500, node),
      async (needs) => {
        fetched.push(needs.map((n) => `${tileKeyString(n.key)}:${n.width}`).sort());
        return store.fetch(needs);
      },
    );
    assert.equal(proof.length, 11);
    // Leaf 3's siblings up to height 7 are in level-0 tile 0 (up to [128, 256)); [256, 512),
    // [512, 1024) and [1024, 1280) are level-1 hashes 1..4; [1280, 1500) is read from the partial tile 0/5.
    assert.deepEqual(fetched, [['0/0:256', '0/5:220', '1/0:5']]);
  });

  test('bad edges and bad leaves are refused', () => {
    const store = new MemoryTiles();
    store.append(leaves.slice(0, 5));
    expectAttestryError(
      () => appendLeaves(5, new Map(), [leaves[5] as Buffer]),
      'E_INTEGRITY',
      /log tile 0\/0 should hold 5 hashes for tree size 5/,
    );
    const short = new Map([['0/0', (store.tiles.get('0/0') as Buffer).subarray(0, 4 * HASH_SIZE)]]);
    expectAttestryError(() => appendLeaves(5, short, [leaves[5] as Buffer]), 'E_INTEGRITY', /should hold 5 hashes/);
    expectAttestryError(() => appendLeaves(5, store.tiles, [Buffer.alloc(31)]), 'E_INVALID_INPUT', /leaf hash must be 32 bytes, got 31/);
    expectAttestryError(() => appendLeaves(0, new Map(), [Buffer.alloc(33)]), 'E_INVALID_INPUT', /got 33/);
    expectAttestryError(() => nodesFromTiles(new Map())(0, 0), 'E_INTEGRITY', /log tile 0\/0 is missing or too short for node 0\/0/);
  });

  test('edgeKeys are the partial tiles of the right edge', () => {
    assert.deepEqual(edgeKeys(0), []);
    assert.deepEqual(edgeKeys(256), [{ level: 1, index: 0 }]);
    assert.deepEqual(edgeKeys(1500), [
      { level: 0, index: 5 },
      { level: 1, index: 0 },
    ]);
  });
});

describe('appendLeaves past 65,536 leaves (level-2 tiles)', () => {
  const TOTAL = 70_000;
  const tree = new ReferenceTree(leafInputs(TOTAL, 'big'));
  const leaves = Array.from({ length: TOTAL }, (_, i) => tree.leafHash(i));

  test('batches across the 65,536 boundary: roots, C2SP tile counts for size 70,000, level-2 hash', async () => {
    const store = new MemoryTiles();
    for (const b of [1, 255, 65_000, 279, 1, 1, 4_463]) {
      const before = store.size;
      const result = store.append(leaves.slice(before, before + b));
      assert.equal(hex(result.root), hex(tree.mth(0, store.size)), `root at size ${store.size}`);
    }
    assert.equal(store.size, 70_000);

    // C2SP tlog-tiles: 273 full level-0 tiles, one partial of width 112, one
    // full level-1 tile, one partial of width 17, one partial level-2 tile of width 1.
    const byLevel = (level: number, full: boolean): string[] =>
      [...store.tiles.entries()].filter(([k, t]) => k.startsWith(`${level}/`) && (t.length === FULL_TILE_BYTES) === full).map(([k]) => k);
    assert.equal(byLevel(0, true).length, 273);
    assert.deepEqual(byLevel(0, false), ['0/273']);
    assert.equal((store.tiles.get('0/273') as Buffer).length, 112 * HASH_SIZE);
    assert.deepEqual(byLevel(1, true), ['1/0']);
    assert.deepEqual(byLevel(1, false), ['1/1']);
    assert.equal((store.tiles.get('1/1') as Buffer).length, 17 * HASH_SIZE);
    assert.deepEqual(byLevel(2, false), ['2/0']);
    assert.equal(byLevel(2, true).length, 0);
    assert.equal(store.tiles.size, 273 + 1 + 1 + 1 + 1);
    assert.equal(hex(store.tiles.get('2/0') as Buffer), hex(tree.mth(0, 65_536)), 'the level-2 hash is the MTH of the first 65,536 leaves');

    const level1 = store.tiles.get('1/0') as Buffer;
    for (const p of [0, 1, 128, 255])
      assert.equal(hex(level1.subarray(p * 32, (p + 1) * 32)), hex(tree.mth(p * 256, (p + 1) * 256)), `level-1 hash ${p}`);
    const level1b = store.tiles.get('1/1') as Buffer;
    assert.equal(hex(level1b.subarray(16 * 32)), hex(tree.mth((256 + 16) * 256, (256 + 17) * 256)));

    for (const [index, size] of [
      [0, 70_000],
      [65_535, 70_000],
      [65_536, 70_000],
      [69_999, 70_000],
      [12_345, 65_537],
    ] as const) {
      const proof = await withTiles((node) => inclusionProof(index, size, node), store.fetch);
      assert.deepEqual(proof.map(hex), tree.path(index, 0, size).map(hex), `PATH(${index}, D[${size}])`);
    }
    for (const [m, n] of [
      [65_535, 70_000],
      [65_536, 65_537],
      [300, 70_000],
    ] as const) {
      const proof = await withTiles((node) => consistencyProof(m, n, node), store.fetch);
      assert.deepEqual(proof.map(hex), tree.proof(m, n).map(hex), `PROOF(${m}, D[${n}])`);
    }
  });
});
