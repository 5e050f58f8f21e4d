import { AttestryError } from '../core/errors.js';
import { HASH_SIZE, perfectRoot } from './hash.js';
import { treeRoot } from './merkle.js';
import { levelWidth, midHashes, nodesFromTiles, rightEdge, TILE_WIDTH, tileHash, tileKeyString, type TileKey } from './tiles.js';

export interface TileWrite {
  readonly key: TileKey;
  /** The tile's whole content after the append (full: 8,192 bytes). */
  readonly hashes: Buffer;
  /** Level-0 tiles: their level-4 hashes (see TileTree), stored beside them. */
  readonly mids: Buffer | null;
}

export interface AppendResult {
  readonly size: number;
  readonly root: Buffer;
  /** Every tile whose content changed, full or partial; written in the same transaction. */
  readonly tiles: TileWrite[];
}

const write = (key: TileKey, hashes: Buffer): TileWrite => ({ key, hashes, mids: key.level === 0 ? midHashes(hashes) : null });

/** The tiles an append must read first: the partial tile at each level of the current tree. */
export function edgeKeys(size: number): TileKey[] {
  return rightEdge(size).map((e) => e.key);
}

/**
 * Appends leaf hashes to a tree of `size` leaves whose partial right-edge
 * tiles are `edge` (from edgeKeys). Touches only the right edge: O(batch +
 * log n) hashing, however large the tree.
 */
export function appendLeaves(size: number, edge: ReadonlyMap<string, Uint8Array>, leaves: readonly Uint8Array[]): AppendResult {
  const rows: Uint8Array[][] = [];
  const counts: number[] = [];
  for (const { key, width } of rightEdge(size)) {
    const tile = edge.get(tileKeyString(key));
    if (tile === undefined || tile.length < width * HASH_SIZE) {
      throw new AttestryError('E_INTEGRITY', `log tile ${tileKeyString(key)} should hold ${width} hashes for tree size ${size}`);
    }
    rows[key.level] = Array.from({ length: width }, (_, i) => tileHash(tile, i));
  }
  const levelCount = (level: number): number => (counts[level] ??= levelWidth(size, level));
  const changed = new Map<string, TileWrite>();
  const push = (level: number, hash: Uint8Array): void => {
    const row = (rows[level] ??= []);
    row.push(hash);
    const position = levelCount(level);
    counts[level] = position + 1;
    const key = { level, index: Math.floor(position / TILE_WIDTH) };
    if (row.length === TILE_WIDTH) {
      changed.set(tileKeyString(key), write(key, Buffer.concat(row)));
      rows[level] = [];
      push(level + 1, perfectRoot(row));
    } else {
      changed.set(tileKeyString(key), { key, hashes: Buffer.alloc(0), mids: null });
    }
  };
  for (const leaf of leaves) {
    if (leaf.length !== HASH_SIZE) throw new AttestryError('E_INVALID_INPUT', `leaf hash must be ${HASH_SIZE} bytes, got ${leaf.length}`);
    push(0, leaf);
  }
  const newSize = size + leaves.length;
  // Partial tiles are materialised once, after the whole batch.
  const partial = new Map<string, Uint8Array>();
  for (const { key, width } of rightEdge(newSize)) {
    const hashes = Buffer.concat((rows[key.level] ?? []).slice(0, width));
    partial.set(tileKeyString(key), hashes);
    changed.set(tileKeyString(key), write(key, hashes));
  }
  for (const [k, w] of changed) if (w.hashes.length === 0) changed.delete(k);
  return { size: newSize, root: Buffer.from(treeRoot(newSize, nodesFromTiles(partial))), tiles: [...changed.values()] };
}
