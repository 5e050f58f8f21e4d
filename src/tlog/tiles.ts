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

export function parseTileKey(id: string): TileKey {
  const [level, index] = id.split('/').map(Number) as [number, number];
  return { level, index };
}

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

/** Level-0 tiles are stored with the hashes of their 16-leaf groups (tree level 4) beside them. */
export const MID_HEIGHT = 4;
const MID_SPAN = 2 ** MID_HEIGHT;

/** MTH of `count` (a power of two) consecutive hashes of a tile from `first`: count - 1 node hashes. */
function perfectRun(tile: Uint8Array, first: number, count: number): Uint8Array {
  if (count === 1) return tileHash(tile, first);
  const half = count / 2;
  return nodeHash(perfectRun(tile, first, half), perfectRun(tile, first + half, half));
}

/** The level-4 hashes of a tile: one per complete group of 16 hashes. */
export function midHashes(tile: Uint8Array): Buffer {
  const groups = Math.floor(tile.length / HASH_SIZE / MID_SPAN);
  const out = Buffer.allocUnsafe(groups * HASH_SIZE);
  for (let g = 0; g < groups; g++) out.set(perfectRun(tile, g * MID_SPAN, MID_SPAN), g * HASH_SIZE);
  return out;
}

/**
 * Every complete subtree inside one tile: node(r, j) is the hash of the 2^r
 * tile hashes from j·2^r. Levels 4–8 are kept (from the stored level-4
 * hashes when the tile has them: 15 hashes to build, not 255); levels 1–3
 * are recomputed on demand from the tile itself, at most 7 hashes each. So a
 * proof through an uncached level-0 tile costs about 25 hashes. All kept
 * levels share one buffer: one object for the collector, not hundreds.
 */
export class TileTree {
  readonly #tile: Uint8Array;
  readonly #upper: Buffer;
  readonly #offsets: number[] = [];
  readonly #widths: number[] = [];

  constructor(tile: Uint8Array, mids?: Uint8Array) {
    this.#tile = tile;
    for (let w = Math.floor(tile.length / HASH_SIZE), r = 0; r <= TILE_HEIGHT; r++, w = Math.floor(w / 2)) this.#widths.push(w);
    let total = 0;
    for (let r = MID_HEIGHT; r <= TILE_HEIGHT; r++) {
      this.#offsets[r] = total;
      total += this.width(r) * HASH_SIZE;
    }
    this.#upper = Buffer.allocUnsafe(total);
    const groups = this.width(MID_HEIGHT);
    if (mids !== undefined && mids.length >= groups * HASH_SIZE) this.#upper.set(mids.subarray(0, groups * HASH_SIZE), 0);
    else for (let g = 0; g < groups; g++) this.#upper.set(perfectRun(tile, g * MID_SPAN, MID_SPAN), g * HASH_SIZE);
    for (let r = MID_HEIGHT + 1; r <= TILE_HEIGHT; r++) {
      for (let j = 0; j < this.width(r); j++)
        this.#upper.set(nodeHash(this.node(r - 1, 2 * j), this.node(r - 1, 2 * j + 1)), (this.#offsets[r] as number) + j * HASH_SIZE);
    }
  }

  /** How many complete subtrees of height r the tile holds. */
  width(r: number): number {
    return this.#widths[r] ?? 0;
  }

  node(r: number, j: number): Uint8Array {
    if (r < MID_HEIGHT) return perfectRun(this.#tile, j * 2 ** r, 2 ** r);
    const at = (this.#offsets[r] as number) + j * HASH_SIZE;
    return this.#upper.subarray(at, at + HASH_SIZE);
  }
}

export const tileTree = (tile: Uint8Array): TileTree => new TileTree(tile);

/** Bounded caches of tile trees. A tile's content at a given width never changes, so entries never go stale. */
export class TileTreeCache {
  readonly #upper = new Map<string, TileTree>();
  readonly #bottom = new Map<string, TileTree>();

  // Level-0 tiles are many and each proof touches one at random; keep them
  // apart so they cannot evict the few upper-level trees every proof uses.
  constructor(
    private readonly upperLimit = 4096,
    private readonly bottomLimit = 64,
  ) {}

  get(key: TileKey, tile: Uint8Array): TileTree {
    return this.#map(key).get(this.#id(key, tile)) ?? this.prime(key, tile);
  }

  has(key: TileKey, tile: Uint8Array): boolean {
    return this.#map(key).has(this.#id(key, tile));
  }

  /** Builds and keeps the tree of a tile just read, with its stored level-4 hashes if it has them. */
  prime(key: TileKey, tile: Uint8Array, mids?: Uint8Array): TileTree {
    const map = this.#map(key);
    const tree = new TileTree(tile, mids);
    if (map.size >= (key.level === 0 ? this.bottomLimit : this.upperLimit)) map.delete(map.keys().next().value as string);
    if (map === this.#bottom ? this.bottomLimit > 0 : this.upperLimit > 0) map.set(this.#id(key, tile), tree);
    return tree;
  }

  #id(key: TileKey, tile: Uint8Array): string {
    return `${tileKeyString(key)}/${tile.length / HASH_SIZE}`;
  }

  #map(key: TileKey): Map<string, TileTree> {
    return key.level === 0 ? this.#bottom : this.#upper;
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
    return cache.get(run.key, tile).node(r, run.first >> r);
  };
}

/**
 * Runs `compute` once with a recording node reader to learn which tiles it
 * needs (the proof algorithms' control flow never depends on hash values),
 * fetches those in one go, then runs it for real.
 */
export async function withTiles<T>(
  compute: (node: PerfectNode) => T,
  fetch: (needs: TileNeed[]) => Promise<ReadonlyMap<string, Uint8Array>>,
  cache?: TileTreeCache,
): Promise<T> {
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
