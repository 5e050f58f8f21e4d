import type { Kysely, Transaction } from 'kysely';
import { AttestryError } from '../core/errors.js';
import type { Database } from '../store/db/schema.js';
import { appendLeaves, edgeKeys } from './append.js';
import { signCheckpoint } from './checkpoint.js';
import { leafHash } from './hash.js';
import { parseNote, type NoteSigner } from './note.js';
import { tileKeyString, type TileKey } from './tiles.js';

export type Dialect = 'sqlite' | 'postgres';
type Db = Kysely<Database> | Transaction<Database>;

/** Bodies travel in tile/entries bundles behind a uint16 length (C2SP tlog-tiles). */
export const MAX_ENTRY_BYTES = 65_535;

/** 48 bits of the leaf hash, as a lookup key: exact in a JS number, 6 bytes in either database. */
export const leafPrefix = (leaf: Uint8Array): number => Buffer.from(leaf).readUIntBE(0, 6);

export interface AppendOutcome {
  /** Index of the first appended entry; the rest follow in order. */
  readonly first: number;
  readonly size: number;
  readonly root: Buffer;
  readonly checkpoint: string;
}

/** Reads the tiles named by `keys` (absent ones are simply missing from the map); `mids` receives their level-4 hashes. */
export async function readTiles(db: Db, keys: readonly TileKey[], mids?: Map<string, Buffer>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (keys.length === 0) return out;
  const rows = await db
    .selectFrom('tlog_tiles')
    .select(mids === undefined ? ['level', 'idx', 'hashes'] : ['level', 'idx', 'hashes', 'mids'])
    .where((eb) => eb.or(keys.map((k) => eb.and([eb('level', '=', k.level), eb('idx', '=', k.index)]))))
    .execute();
  for (const r of rows) {
    const id = tileKeyString({ level: r.level, index: Number(r.idx) });
    out.set(id, Buffer.from(r.hashes));
    const m = (r as { mids?: Buffer | null }).mids;
    if (mids !== undefined && m !== null && m !== undefined) mids.set(id, Buffer.from(m));
  }
  return out;
}

/**
 * The single sequencer of the log. Every append runs inside the caller's
 * transaction (the one that stores the evidence rows), after locking the
 * state row: on PostgreSQL `SELECT … FOR UPDATE` makes appends from any
 * number of nodes take turns, so indices are dense and the tree never forks;
 * on SQLite the transaction already holds the database's one write lock.
 * The checkpoint for the new size is signed and stored in that same
 * transaction, so tree, entries and checkpoint commit or vanish together and
 * a checkpoint can never go backwards.
 */
export class LogSequencer {
  constructor(
    private readonly signer: NoteSigner,
    private readonly dialect: Dialect,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get origin(): string {
    return this.signer.name;
  }

  async #lockState(trx: Transaction<Database>): Promise<{ size: number; origin: string | null }> {
    let q = trx.selectFrom('tlog_state').select(['size', 'origin']).where('id', '=', 1);
    if (this.dialect === 'postgres') q = q.forUpdate();
    // SQLite (WAL): a transaction that reads before it writes cannot wait for
    // the write lock (its snapshot may be stale), so take the lock first.
    else await trx.updateTable('tlog_state').set({ id: 1 }).where('id', '=', 1).execute();
    const row = await q.executeTakeFirst();
    if (row === undefined) throw new AttestryError('E_INTERNAL', 'transparency log state row is missing; run attestry db migrate');
    if (row.origin !== null && row.origin !== this.signer.name) {
      throw new AttestryError(
        'E_CONFIG',
        `the log's origin is "${row.origin}" but Log.Origin is "${this.signer.name}"; an origin cannot change once entries exist`,
      );
    }
    return { size: Number(row.size), origin: row.origin };
  }

  /** Appends entry bodies in order; returns where they landed and the new signed checkpoint. */
  async append(trx: Transaction<Database>, bodies: readonly Uint8Array[]): Promise<AppendOutcome> {
    for (const b of bodies) {
      if (b.length > MAX_ENTRY_BYTES)
        throw new AttestryError('E_PAYLOAD_TOO_LARGE', `log entry of ${b.length} bytes exceeds ${MAX_ENTRY_BYTES}`);
    }
    const { size } = await this.#lockState(trx);
    const leaves = bodies.map(leafHash);
    const edge = await readTiles(trx, edgeKeys(size));
    const result = appendLeaves(size, edge, leaves);
    for (let i = 0; i < result.tiles.length; i += 1000) {
      await trx
        .insertInto('tlog_tiles')
        .values(result.tiles.slice(i, i + 1000).map((t) => ({ level: t.key.level, idx: t.key.index, hashes: t.hashes, mids: t.mids })))
        .onConflict((oc) =>
          oc.columns(['level', 'idx']).doUpdateSet({ hashes: (eb) => eb.ref('excluded.hashes'), mids: (eb) => eb.ref('excluded.mids') }),
        )
        .execute();
    }
    // Bound parameters: SQLite allows 32,766 per statement; three per row here.
    for (let i = 0; i < bodies.length; i += 8192) {
      const chunk = bodies.slice(i, i + 8192);
      await trx
        .insertInto('tlog_entries')
        .values(chunk.map((body, j) => ({ idx: size + i + j, prefix: leafPrefix(leaves[i + j] as Uint8Array), body: Buffer.from(body) })))
        .execute();
    }
    const checkpoint = signCheckpoint(this.signer, result.size, result.root);
    const at = this.now().toISOString();
    await trx
      .updateTable('tlog_state')
      .set({ size: result.size, root: result.root, checkpoint, origin: this.signer.name, updated_at: at })
      .where('id', '=', 1)
      .execute();
    await trx.insertInto('tlog_checkpoints').values({ size: result.size, note: checkpoint, created_at: at }).execute();
    return { first: size, size: result.size, root: result.root, checkpoint };
  }

  /**
   * Signs the checkpoint of the current tree if none exists yet, so
   * /tlog/checkpoint answers from the start. A log whose checkpoint another
   * key signed is refused: nodes sharing a database must share the log key,
   * or verifiers would see two keys and monitors a broken log.
   */
  async initialize(db: Kysely<Database>): Promise<string> {
    return db.transaction().execute(async (trx) => {
      await this.#lockState(trx);
      const row = await trx.selectFrom('tlog_state').select(['size', 'root', 'checkpoint']).where('id', '=', 1).executeTakeFirstOrThrow();
      if (row.checkpoint !== null) {
        if (this.#signedByUs(row.checkpoint)) return row.checkpoint;
        throw new AttestryError(
          'E_CONFIG',
          `the transparency log "${this.signer.name}" is signed by another key than ${this.signer.verifierKey}; every node must use the same log key (copy keys/log/ from the first node)`,
        );
      }
      const checkpoint = signCheckpoint(this.signer, Number(row.size), Buffer.from(row.root));
      const at = this.now().toISOString();
      await trx.updateTable('tlog_state').set({ checkpoint, origin: this.signer.name, updated_at: at }).where('id', '=', 1).execute();
      await trx
        .insertInto('tlog_checkpoints')
        .values({ size: Number(row.size), note: checkpoint, created_at: at })
        .onConflict((oc) => oc.column('size').doUpdateSet({ note: checkpoint }))
        .execute();
      return checkpoint;
    });
  }

  #signedByUs(note: string): boolean {
    return parseNote(note).signatures.some((s) => s.name === this.signer.name && s.keyId === this.signer.keyId);
  }
}
