import type { Kysely } from 'kysely';
import { AttestryError } from '../core/errors.js';
import type { Database } from '../store/db/schema.js';
import { HASH_SIZE } from './hash.js';
import { consistencyProof, inclusionProof, treeRoot } from './merkle.js';
import { leafPrefix, readTiles } from './log-store.js';
import { IndexLogWitnesses, type LogWitnesses } from './log-witnesses.js';
import { parseTileKey, TILE_WIDTH, tileHash, tileKeyString, TileTreeCache, withTiles, type TileKey, type TileNeed } from './tiles.js';
import type { PerfectNode } from './merkle.js';

export interface LogState {
  readonly origin: string | null;
  readonly size: number;
  readonly root: Buffer;
  /** The signed checkpoint for `size`, with any witness cosignatures appended. */
  readonly checkpoint: string;
}

/** The part of the state a proof is computed against. */
export type Current = Pick<LogState, 'size' | 'root'>;

export interface InclusionProof {
  readonly index: number;
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly hashes: Buffer[];
}

/**
 * Read side of the log: tiles, entries, proofs. Full tiles never change, so
 * they are cached (bounded); partial ones are read fresh. A proof costs at
 * most one tile read per 8 tree levels: 3–4 reads at 10^7 leaves.
 */
export class LogReader {
  // Level-0 tiles (one per 256 entries) apart from the few upper ones every proof uses.
  readonly #bottomTiles = new Map<string, Buffer>();
  readonly #upperTiles = new Map<string, Buffer>();
  readonly #mids = new Map<string, Buffer>();
  readonly #cacheLimit: number;
  readonly #trees = new TileTreeCache();
  /** Witness cosignatures, served appended to the checkpoint they sign. */
  readonly witnesses: LogWitnesses;

  constructor(
    private readonly db: Kysely<Database>,
    options: { cacheTiles?: number } = {},
  ) {
    this.#cacheLimit = options.cacheTiles ?? 1024;
    this.witnesses = new IndexLogWitnesses(db);
  }

  async state(): Promise<LogState> {
    const row = await this.db.selectFrom('tlog_state').selectAll().where('id', '=', 1).executeTakeFirst();
    if (row === undefined || row.checkpoint === null)
      throw new AttestryError('E_UNAVAILABLE', 'the transparency log has no checkpoint yet');
    const size = Number(row.size);
    const cosignatures = await this.witnesses.cosignatures(size);
    return {
      origin: row.origin,
      size,
      root: Buffer.from(row.root),
      checkpoint: row.checkpoint + cosignatures.map((c) => `${c.line}\n`).join(''),
    };
  }

  /**
   * Tiles with at least the given number of hashes. A tile only ever grows
   * by appending, so a cached copy at least that wide is as good as a fresh
   * read, partial or full.
   */
  async tiles(needs: readonly TileNeed[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    const missing: TileKey[] = [];
    for (const n of needs) {
      const id = tileKeyString(n.key);
      const cached = (n.key.level === 0 ? this.#bottomTiles : this.#upperTiles).get(id);
      if (cached !== undefined && cached.length >= n.width * HASH_SIZE) {
        out.set(id, cached);
        // Its tree may have left the (smaller) tree cache: rebuild it from the stored level-4 hashes.
        const m = this.#mids.get(id);
        if (m !== undefined && !this.#trees.has(n.key, cached)) this.#trees.prime(n.key, cached, m);
      } else missing.push(n.key);
    }
    const mids = new Map<string, Buffer>();
    for (const [id, tile] of await readTiles(this.db, missing, mids)) {
      out.set(id, tile);
      const m = mids.get(id);
      if (m !== undefined) {
        this.#trees.prime(parseTileKey(id), tile, m);
        if (this.#mids.size >= this.#cacheLimit) this.#mids.delete(this.#mids.keys().next().value as string);
        this.#mids.set(id, m);
      }
      const level0 = id.startsWith('0/');
      const cache = level0 ? this.#bottomTiles : this.#upperTiles;
      if (cache.size >= (level0 ? this.#cacheLimit : 4 * this.#cacheLimit)) cache.delete(cache.keys().next().value as string);
      cache.set(id, tile);
    }
    return out;
  }

  /** Tile bytes of `width` hashes (C2SP), or undefined when the log does not have that many yet. */
  async tile(level: number, index: number, width: number): Promise<Buffer | undefined> {
    const tile = (await this.tiles([{ key: { level, index }, width }])).get(tileKeyString({ level, index }));
    if (tile === undefined || tile.length < width * HASH_SIZE) return undefined;
    return tile.subarray(0, width * HASH_SIZE);
  }

  /** An entry bundle: `width` bodies from index·256, each behind a big-endian uint16 length. */
  async entryBundle(index: number, width: number): Promise<Buffer | undefined> {
    const start = index * TILE_WIDTH;
    const rows = await this.db
      .selectFrom('tlog_entries')
      .select(['idx', 'body'])
      .where('idx', '>=', start)
      .where('idx', '<', start + width)
      .orderBy('idx')
      .execute();
    if (rows.length < width) return undefined;
    const parts: Buffer[] = [];
    for (const r of rows) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(r.body.length);
      parts.push(len, Buffer.from(r.body));
    }
    return Buffer.concat(parts);
  }

  async entry(index: number): Promise<{ index: number; leafHash: Buffer; body: Buffer } | undefined> {
    const row = await this.db.selectFrom('tlog_entries').select('body').where('idx', '=', index).executeTakeFirst();
    if (row === undefined) return undefined;
    return { index, leafHash: await this.#leafAt(index), body: Buffer.from(row.body) };
  }

  async #leafAt(index: number): Promise<Buffer> {
    const key = { level: 0, index: Math.floor(index / TILE_WIDTH) };
    const position = index % TILE_WIDTH;
    const tile = (await this.tiles([{ key, width: position + 1 }])).get(tileKeyString(key));
    if (tile === undefined || tile.length < (position + 1) * HASH_SIZE)
      throw new AttestryError('E_INTEGRITY', `log entry ${index} has no leaf hash in its tile`);
    return Buffer.from(tileHash(tile, position));
  }

  /** The lowest index whose leaf hash is `leaf`, below `size`. */
  async findLeaf(leaf: Uint8Array, size: number): Promise<number | undefined> {
    if (leaf.length !== HASH_SIZE) throw new AttestryError('E_INVALID_INPUT', `leaf hash must be ${HASH_SIZE} bytes`);
    const rows = await this.db.selectFrom('tlog_entries').select('idx').where('prefix', '=', leafPrefix(leaf)).orderBy('idx').execute();
    for (const r of rows) {
      const idx = Number(r.idx);
      if (idx < size && (await this.#leafAt(idx)).equals(leaf)) return idx;
    }
    return undefined;
  }

  #withTiles<T>(compute: (node: PerfectNode) => T): Promise<T> {
    return withTiles(compute, (keys) => this.tiles(keys), this.#trees);
  }

  #checkSize(size: number, current: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new AttestryError('E_INVALID_INPUT', `${what} must be a non-negative integer`);
    if (size > current) throw new AttestryError('E_NOT_FOUND', `${what} ${size} is beyond the log's size ${current}`);
  }

  /** The root hash at any size up to the current one (`current`: the state already read, if any). */
  async root(size: number, current?: Current): Promise<Buffer> {
    const state = current ?? (await this.state());
    this.#checkSize(size, state.size, 'tree size');
    if (size === state.size) return state.root;
    return Buffer.from(await this.#withTiles((node) => treeRoot(size, node)));
  }

  async inclusion(index: number, size: number, current?: Current): Promise<InclusionProof> {
    const state = current ?? (await this.state());
    this.#checkSize(size, state.size, 'tree size');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      throw new AttestryError('E_INVALID_INPUT', `index ${index} is not below tree size ${size}`);
    const hashes = await this.#withTiles((node) => inclusionProof(index, size, node));
    return { index, treeSize: size, rootHash: await this.root(size, state), hashes: hashes.map((h) => Buffer.from(h)) };
  }

  async consistency(from: number, to: number, current?: Current): Promise<Buffer[]> {
    this.#checkSize(to, (current ?? (await this.state())).size, 'tree size "to"');
    if (!Number.isSafeInteger(from) || from < 0 || from > to)
      throw new AttestryError('E_INVALID_INPUT', `"from" (${from}) must be between 0 and "to" (${to})`);
    return (await this.#withTiles((node) => consistencyProof(from, to, node))).map((h) => Buffer.from(h));
  }
}
