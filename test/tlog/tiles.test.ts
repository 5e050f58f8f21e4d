import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HASH_SIZE } from '../../src/tlog/hash.js';
import {
  midHashes,
  TileTree,
  FULL_TILE_BYTES,
  TILE_WIDTH,
  TileTreeCache,
  tileTree,
  encodeTileIndex,
  levelWidth,
  nodesFromTiles,
  parseTileIndexPath,
  parseTileLevel,
  rightEdge,
  tilePath,
  tileRunFor,
} from '../../src/tlog/tiles.js';
import { expectAttestryError } from '../core/helpers.js';
import { hex } from './helpers.js';
import { ReferenceTree } from './reference.js';

describe('C2SP tlog-tiles paths', () => {
  test('index encoding: 3-digit groups, all but the last prefixed with x (the spec’s 1234067 example)', () => {
    assert.equal(encodeTileIndex(1234067), 'x001/x234/067');
    assert.equal(encodeTileIndex(0), '000');
    assert.equal(encodeTileIndex(7), '007');
    assert.equal(encodeTileIndex(999), '999');
    assert.equal(encodeTileIndex(1000), 'x001/000');
    assert.equal(encodeTileIndex(999_999), 'x999/999');
    assert.equal(encodeTileIndex(1_000_000), 'x001/x000/000');
  });

  test('tile paths, full and partial', () => {
    assert.equal(tilePath(0, 1234067), 'tile/0/x001/x234/067');
    assert.equal(tilePath(2, 0), 'tile/2/000');
    assert.equal(tilePath(0, 273, 112), 'tile/0/273.p/112');
    assert.equal(tilePath(1, 1000, 17), 'tile/1/x001/000.p/17');
    assert.equal(tilePath('entries', 5, 1), 'tile/entries/005.p/1');
    assert.equal(tilePath(0, 5, 255), 'tile/0/005.p/255');
    assert.equal(tilePath(0, 5, TILE_WIDTH), 'tile/0/005', 'a full tile has no .p/ suffix');
  });

  test('parseTileIndexPath reads partial-tile paths', () => {
    assert.deepEqual(parseTileIndexPath('x001/234.p/17'), { index: 1234, width: 17 });
    assert.deepEqual(parseTileIndexPath('999.p/255'), { index: 999, width: 255 });
    assert.deepEqual(parseTileIndexPath('x001/000.p/1'), { index: 1000, width: 1 });
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 255 }), (index, width) => {
        const path = tilePath(0, index, width).slice('tile/0/'.length);
        assert.deepEqual(parseTileIndexPath(path), { index, width });
      }),
      { numRuns: 300 },
    );
  });

  test('parseTileIndexPath reads full-tile paths (no .p/ suffix) as width 256', () => {
    assert.deepEqual(parseTileIndexPath('x001/x234/067'), { index: 1234067, width: 256 });
    assert.deepEqual(parseTileIndexPath('000'), { index: 0, width: 256 });
    assert.deepEqual(parseTileIndexPath('x001/000'), { index: 1000, width: 256 });
    fc.assert(
      fc.property(fc.maxSafeNat(), (index) => {
        assert.deepEqual(parseTileIndexPath(tilePath(0, index).slice('tile/0/'.length)), { index, width: 256 });
      }),
      { numRuns: 100 },
    );
  });

  const rejected: [string, RegExp][] = [
    ['001.p/0', /expected groups of 3 digits/],
    ['001.p/256', /partial width must be 1\.\.255/],
    ['001.p/999', /partial width must be 1\.\.255/],
    ['001.p/017', /expected groups of 3 digits/],
    ['001.p/', /expected groups of 3 digits/],
    ['001.p/1x', /expected groups of 3 digits/],
    ['00a', /expected groups of 3 digits/],
    ['-01', /expected groups of 3 digits/],
    ['1', /expected groups of 3 digits/],
    ['0001', /expected groups of 3 digits/],
    ['x001/2345', /expected groups of 3 digits/],
    ['001/234', /expected groups of 3 digits/],
    ['x001', /expected groups of 3 digits/],
    ['x001/', /expected groups of 3 digits/],
    ['X001/234', /expected groups of 3 digits/],
    ['/x001/234', /expected groups of 3 digits/],
    ['x001/234/', /expected groups of 3 digits/],
    ['x000/123', /leading zero group/],
    ['x000/x001/123', /leading zero group/],
    ['x009/x007/x199/x254/x740/992', /index too large/],
    ['x001/x234/x067', /expected groups of 3 digits/],
    ['', /expected groups of 3 digits/],
  ];
  for (const [path, message] of rejected) {
    test(`parseTileIndexPath rejects ${JSON.stringify(path)}`, () => {
      expectAttestryError(() => parseTileIndexPath(path), 'E_INVALID_INPUT', message, /tile path/);
    });
  }

  test('the largest safe index still parses', () => {
    assert.deepEqual(parseTileIndexPath(`${encodeTileIndex(Number.MAX_SAFE_INTEGER)}.p/1`), { index: Number.MAX_SAFE_INTEGER, width: 1 });
  });

  test('tile levels: 0..63 without leading zeros', () => {
    assert.equal(parseTileLevel('0'), 0);
    assert.equal(parseTileLevel('7'), 7);
    assert.equal(parseTileLevel('63'), 63);
    for (const bad of ['64', '00', '01', '-1', '1.0', '', 'a', '100']) {
      expectAttestryError(() => parseTileLevel(bad), 'E_INVALID_INPUT', /must be 0\.\.63 without leading zeroes/);
    }
  });
});

describe('C2SP tlog-tiles geometry', () => {
  test('a tree of 70,000 leaves (the spec’s example)', () => {
    // "273 full level 0 tiles, one partial level 0 tile of width 112, one full
    // level 1 tile, one partial level 1 tile of width 17, and one partial level 2 tile of width 1."
    assert.deepEqual(rightEdge(70_000), [
      { key: { level: 0, index: 273 }, width: 112 },
      { key: { level: 1, index: 1 }, width: 17 },
      { key: { level: 2, index: 0 }, width: 1 },
    ]);
    const fullTiles = [0, 1, 2, 3].map((l) => Math.floor(levelWidth(70_000, l) / TILE_WIDTH));
    assert.deepEqual(fullTiles, [273, 1, 0, 0]);
    assert.equal(levelWidth(70_000, 3), 0);
  });

  test('a tree of 256 leaves: one full level-0 tile and a partial level-1 tile of width 1', () => {
    assert.deepEqual(rightEdge(256), [{ key: { level: 1, index: 0 }, width: 1 }]);
    assert.equal(Math.floor(levelWidth(256, 0) / TILE_WIDTH), 1);
  });

  test('small and boundary sizes', () => {
    assert.deepEqual(rightEdge(0), []);
    assert.deepEqual(rightEdge(1), [{ key: { level: 0, index: 0 }, width: 1 }]);
    assert.deepEqual(rightEdge(255), [{ key: { level: 0, index: 0 }, width: 255 }]);
    assert.deepEqual(rightEdge(257), [
      { key: { level: 0, index: 1 }, width: 1 },
      { key: { level: 1, index: 0 }, width: 1 },
    ]);
    assert.deepEqual(rightEdge(65_536), [{ key: { level: 2, index: 0 }, width: 1 }]);
    assert.equal(FULL_TILE_BYTES, 8192);
  });

  test('rightEdge per the spec formula: the partial tile at level l has floor(s / 256^l) mod 256 entries', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (s) => {
        const expected: { key: { level: number; index: number }; width: number }[] = [];
        for (let l = 0; Math.floor(s / 256 ** l) > 0; l++) {
          const w = Math.floor(s / 256 ** l) % 256;
          if (w > 0) expected.push({ key: { level: l, index: Math.floor(s / 256 ** (l + 1)) }, width: w });
        }
        assert.deepEqual(rightEdge(s), expected);
      }),
      { numRuns: 300 },
    );
  });

  test('tileRunFor: where a perfect subtree of height h lives', () => {
    assert.deepEqual(tileRunFor(0, 0), { key: { level: 0, index: 0 }, first: 0, count: 1 });
    assert.deepEqual(tileRunFor(0, 257), { key: { level: 0, index: 1 }, first: 1, count: 1 });
    assert.deepEqual(tileRunFor(3, 5), { key: { level: 0, index: 0 }, first: 40, count: 8 });
    assert.deepEqual(tileRunFor(7, 3), { key: { level: 0, index: 1 }, first: 128, count: 128 });
    assert.deepEqual(tileRunFor(8, 0), { key: { level: 1, index: 0 }, first: 0, count: 1 });
    assert.deepEqual(tileRunFor(9, 200), { key: { level: 1, index: 1 }, first: 144, count: 2 });
    assert.deepEqual(tileRunFor(16, 0), { key: { level: 2, index: 0 }, first: 0, count: 1 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.nat({ max: 2 ** 12 }), (h, i) => {
        const run = tileRunFor(h, i);
        // The run covers leaves [i·2^h, (i+1)·2^h) and never straddles a tile.
        assert.ok(run.first + run.count <= TILE_WIDTH);
        assert.equal((run.key.index * TILE_WIDTH + run.first) * TILE_WIDTH ** run.key.level, i * 2 ** h);
        assert.equal(run.count * TILE_WIDTH ** run.key.level, 2 ** h);
      }),
      { numRuns: 300 },
    );
  });

  test('nodesFromTiles computes in-tile subtrees as the reference MTH', () => {
    const tree = new ReferenceTree(Array.from({ length: 512 }, (_, i) => Buffer.from([i >> 8, i & 255])));
    const level0 = (t: number): Buffer => Buffer.concat(Array.from({ length: 256 }, (_, p) => tree.leafHash(t * 256 + p)));
    const tiles = new Map([
      ['0/0', level0(0)],
      ['0/1', level0(1).subarray(0, 100 * HASH_SIZE)],
      ['1/0', Buffer.concat([tree.mth(0, 256), tree.mth(256, 512)])],
    ]);
    const node = nodesFromTiles(tiles);
    assert.equal(hex(node(0, 5)), hex(tree.leafHash(5)));
    assert.equal(hex(node(4, 3)), hex(tree.mth(48, 64)));
    assert.equal(hex(node(7, 1)), hex(tree.mth(128, 256)));
    assert.equal(hex(node(5, 9)), hex(tree.mth(288, 320)));
    assert.equal(hex(node(8, 1)), hex(tree.mth(256, 512)));
    assert.equal(hex(node(9, 0)), hex(tree.mth(0, 512)));
    // Node 6/5 needs positions 64..127 of tile 0/1, which only holds 100.
    expectAttestryError(() => node(6, 5), 'E_INTEGRITY', /log tile 0\/1 is missing or too short for node 6\/5/);
    expectAttestryError(() => node(0, 600), 'E_INTEGRITY', /log tile 0\/2 is missing/);
  });

  test('tileTree: every complete subtree inside a tile, full or partial', () => {
    const tree = new ReferenceTree(Array.from({ length: 256 }, (_, i) => Buffer.from(`t${i}`)));
    const tile = Buffer.concat(Array.from({ length: 256 }, (_, p) => tree.leafHash(p)));
    const full = tileTree(tile);
    const widths = (t: ReturnType<typeof tileTree>): number[] => Array.from({ length: 9 }, (_, r) => t.width(r));
    assert.deepEqual(widths(full), [256, 128, 64, 32, 16, 8, 4, 2, 1]);
    for (let r = 0; r <= 8; r++)
      for (let j = 0; j < full.width(r); j++) assert.equal(hex(full.node(r, j)), hex(tree.mth(j * 2 ** r, (j + 1) * 2 ** r)), `${r}/${j}`);
    const partial = tileTree(tile.subarray(0, 100 * HASH_SIZE));
    assert.deepEqual(widths(partial), [100, 50, 25, 12, 6, 3, 1, 0, 0]);
    assert.equal(hex(partial.node(6, 0)), hex(tree.mth(0, 64)));
  });

  test('a TileTree built from stored level-4 hashes equals one computed from the tile; wrong mids are caught by proofs', () => {
    const tree = new ReferenceTree(Array.from({ length: 256 }, (_, i) => Buffer.from(`m${i}`)));
    const tile = Buffer.concat(Array.from({ length: 256 }, (_, p) => tree.leafHash(p)));
    for (const width of [256, 200, 17, 15]) {
      const t = tile.subarray(0, width * HASH_SIZE);
      const mids = midHashes(t);
      assert.equal(mids.length, Math.floor(width / 16) * HASH_SIZE);
      const fromMids = new TileTree(t, mids);
      const computed = new TileTree(t);
      for (let r = 0; r <= 8; r++) {
        assert.equal(fromMids.width(r), Math.floor(width / 2 ** r));
        for (let j = 0; j < fromMids.width(r); j++) {
          assert.equal(hex(fromMids.node(r, j)), hex(tree.mth(j * 2 ** r, (j + 1) * 2 ** r)), `${width}: ${r}/${j}`);
          assert.equal(hex(computed.node(r, j)), hex(fromMids.node(r, j)));
        }
      }
    }
  });

  test('a shared TileTreeCache tells a partial tile from the same tile grown wider', () => {
    const tree = new ReferenceTree(Array.from({ length: 256 }, (_, i) => Buffer.from(`g${i}`)));
    const tile = Buffer.concat(Array.from({ length: 256 }, (_, p) => tree.leafHash(p)));
    const cache = new TileTreeCache(4, 4);
    const narrow = nodesFromTiles(new Map([['0/0', tile.subarray(0, 100 * HASH_SIZE)]]), cache);
    assert.equal(hex(narrow(6, 0)), hex(tree.mth(0, 64)));
    expectAttestryError(() => narrow(7, 0), 'E_INTEGRITY', /too short for node 7\/0/);
    const wider = nodesFromTiles(new Map([['0/0', tile.subarray(0, 200 * HASH_SIZE)]]), cache);
    assert.equal(hex(wider(7, 0)), hex(tree.mth(0, 128)));
    assert.equal(hex(wider(6, 2)), hex(tree.mth(128, 192)));
    const whole = nodesFromTiles(new Map([['0/0', tile]]), cache);
    assert.equal(hex(whole(7, 1)), hex(tree.mth(128, 256)));
    assert.equal(hex(whole(3, 31)), hex(tree.mth(248, 256)));
  });
});
