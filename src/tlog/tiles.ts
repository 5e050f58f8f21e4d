import { AttestryError } from '../core/errors.js';
import { HASH_SIZE, nodeHash } from './hash.js';
import type { PerfectNode } from './merkle.js';

/**
 * C2SP tlog-tiles geometry with tile height 8: the tile at level L, index N
 * holds up to 256 consecutive hashes of tree level 8·L, starting at position
 * 256·N of that level. Level-0 tiles hold leaf hashes; a level-L+1 hash is the
 * MTH of a full level-L tile. Everything between those levels is recomputed.
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
export const FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE;

export interface TileKey {
  readonly level: number;
  readonly index: number;
}

export const tileKeyString = (k: TileKey): string => `${k.level}/${k.index}`;

/** Number of hashes at tile level `level` of a tree of `size` leaves. */
export function levelWidth(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/** The tiles a tree of `size` leaves has at each level: full ones, then at most one partial. */
export function rightEdge(size: number): { key: TileKey; width: number }[] {
  const edge: { key: TileKey; width: number }[] = [];
  for (let level = 0; levelWidth(size, level) > 0; level++) {
    const width = levelWidth(size, level) % TILE_WIDTH;
    if (width > 0) edge.push({ key: { level, index: Math.floor(levelWidth(size, level) / TILE_WIDTH) }, width });
  }
  return edge;
}

/** `<N>` of a tile path: 3-digit groups, all but the last prefixed with `x` (C2SP tlog-tiles). */
export function encodeTileIndex(index: number): string {
  let digits = String(index).padStart(3, '0');
  while (digits.length % 3 !== 0) digits = `0${digits}`;
  const groups = digits.match(/\d{3}/g) as string[];
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

export function tilePath(level: number | 'entries', index: number, width = TILE_WIDTH): string {
  return `tile/${level}/${encodeTileIndex(index)}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

/** Parses the part of a tile URL after `tile/<L>/` (or `tile/entries/`): `x001/234.p/17` → index 1234, width 17. */
export function parseTileIndexPath(path: string): { index: number; width: number } {
  const bad = (why: string) => new AttestryError('E_INVALID_INPUT', `tile path "${path.slice(0, 80)}": ${why}`);
  const m = /^((?:x\d{3}\/)*)(\d{3})(?:\.p\/([1-9]\d{0,2}))?$/.exec(path);
  if (m === null) throw bad('expected groups of 3 digits like x001/234, optionally .p/<width>');
  const groups = `${(m[1] as string).replace(/[x/]/g, '')}${m[2] as string}`;
  // The shortest encoding only: no leading all-zero x groups.
  if ((m[1] as string).startsWith('x000')) throw bad('leading zero group');
  const index = Number(groups);
  if (!Number.isSafeInteger(index)) throw bad('index too large');
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (m[3] !== undefined && width >= TILE_WIDTH) throw bad('partial width must be 1..255');
  return { index, width };
}

export function parseTileLevel(text: string): number {
  if (!/^(0|[1-9]\d?)$/.test(text) || Number(text) > 63) {
    throw new AttestryError('E_INVALID_INPUT', `tile level "${text.slice(0, 20)}" must be 0..63 without leading zeroes`);
  }
  return Number(text);
}

/** The hashes of one tile as stored: 32-byte hashes back to back. */
export function tileHash(tile: Uint8Array, position: number): Uint8Array {
  return tile.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE);
}

/**
 * Where a perfect subtree's hash comes from: height h = 8L + r is the MTH of
 * 2^r consecutive hashes in one tile at level L (they never straddle tiles,
 * since 2^r <= 128 and the run is aligned).
 */
export function tileRunFor(height: number, index: number): { key: TileKey; first: number; count: number } {
  const level = Math.floor(height / TILE_HEIGHT);
  const count = 2 ** (height % TILE_HEIGHT);
  const start = index * count;
  return { key: { level, index: Math.floor(start / TILE_WIDTH) }, first: start % TILE_WIDTH, count };
}

/**
 * Every complete subtree inside one tile: levels[r][j] is the hash of the
 * 2^r tile hashes from j·2^r. Computing it costs at most 255 hashes, once;
 * after that any node a proof needs from the tile is a lookup.
 */
export type TileTree = Uint8Array[][];

export function tileTree(tile: Uint8Array): TileTree {
  const levels: Uint8Array[][] = [Array.from({ length: Math.floor(tile.length / HASH_SIZE) }, (_, i) => tileHash(tile, i))];
  for (let r = 1; r <= TILE_HEIGHT; r++) {
    const below = levels[r - 1] as Uint8Array[];
    const row: Uint8Array[] = [];
    for (let j = 0; j + 1 < below.length; j += 2) row.push(nodeHash(below[j] as Uint8Array, below[j + 1] as Uint8Array));
    levels.push(row);
  }
  return levels;
}

/** Bounded caches of tile trees. A tile's content at a given width never changes, so entries never go stale. */
export class TileTreeCache {
  readonly #upper = new Map<string, TileTree>();
  readonly #bottom = new Map<string, TileTree>();

  // Level-0 tiles are many and each proof touches one at random; keep them
  // apart so they cannot evict the few upper-level trees every proof uses.
  constructor(private readonly upperLimit = 4096, private readonly bottomLimit = 256) {}

  get(key: TileKey, tile: Uint8Array): TileTree {
    const id = `${tileKeyString(key)}/${tile.length / HASH_SIZE}`;
    const map = key.level === 0 ? this.#bottom : this.#upper;
    let tree = map.get(id);
    if (tree === undefined) {
      tree = tileTree(tile);
      if (map.size >= (key.level === 0 ? this.bottomLimit : this.upperLimit)) map.delete(map.keys().next().value as string);
      map.set(id, tree);
    }
    return tree;
  }
}

/** A node reader over tiles already in hand; missing tiles are a bug in the caller's plan. */
export function nodesFromTiles(tiles: ReadonlyMap<string, Uint8Array>, cache: TileTreeCache = new TileTreeCache(0, 0)): PerfectNode {
  return (height, index) => {
    const run = tileRunFor(height, index);
    const tile = tiles.get(tileKeyString(run.key));
    if (tile === undefined || tile.length < (run.first + run.count) * HASH_SIZE) {
      throw new AttestryError('E_INTEGRITY', `log tile ${tileKeyString(run.key)} is missing or too short for node ${height}/${index}`);
    }
    if (run.count === 1) return tileHash(tile, run.first);
    const r = height % TILE_HEIGHT;
    return (cache.get(run.key, tile)[r] as Uint8Array[])[run.first >> r] as Uint8Array;
  };
}

/**
 * Runs `compute` once with a recording node reader to learn which tiles it
 * needs (the proof algorithms' control flow never depends on hash values),
 * fetches those in one go, then runs it for real.
 */
export async function withTiles<T>(compute: (node: PerfectNode) => T, fetch: (needs: TileNeed[]) => Promise<ReadonlyMap<string, Uint8Array>>, cache?: TileTreeCache): Promise<T> {
  const needed = new Map<string, TileNeed>();
  const dummy = new Uint8Array(HASH_SIZE);
  compute((height, index) => {
    const { key, first, count } = tileRunFor(height, index);
    const id = tileKeyString(key);
    needed.set(id, { key, width: Math.max(needed.get(id)?.width ?? 0, first + count) });
    return dummy;
  });
  const tiles = await fetch([...needed.values()]);
  return compute(nodesFromTiles(tiles, cache));
}

/** A tile and how many of its hashes a computation reads. */
export interface TileNeed {
  readonly key: TileKey;
  readonly width: number;
}
