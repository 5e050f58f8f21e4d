import type { Kysely } from 'kysely';
import type { Database } from '../store/db/schema.js';

/** One witness's cosignature line on the checkpoint of a tree size. */
export interface CosignatureLine {
  readonly name: string;
  /** The signed-note signature line, without the leading em dash's newline. */
  readonly line: string;
}

/**
 * The log's witness records: which checkpoint it issued for a size, and the
 * cosignatures witnesses returned on it. Callers above the log (the HTTP
 * routes) go through this, never through the tables.
 */
export interface LogWitnesses {
  /** The note this log signed for tree size `size`, or undefined when it signed none. */
  issuedCheckpoint(size: number): Promise<string | undefined>;
  /** The stored cosignature lines for `size`, ordered by witness name. */
  cosignatures(size: number): Promise<readonly CosignatureLine[]>;
  /** Stores (or replaces) a witness's cosignature on the checkpoint of `size`. */
  addCosignature(size: number, cosignature: CosignatureLine, at: Date): Promise<void>;
}

/** LogWitnesses over the index's `tlog_checkpoints` and `tlog_cosignatures` tables. */
export class IndexLogWitnesses implements LogWitnesses {
  constructor(private readonly db: Kysely<Database>) {}

  async issuedCheckpoint(size: number): Promise<string | undefined> {
    const row = await this.db.selectFrom('tlog_checkpoints').select('note').where('size', '=', size).executeTakeFirst();
    return row?.note;
  }

  async cosignatures(size: number): Promise<readonly CosignatureLine[]> {
    return this.db.selectFrom('tlog_cosignatures').select(['name', 'line']).where('size', '=', size).orderBy('name').execute();
  }

  async addCosignature(size: number, cosignature: CosignatureLine, at: Date): Promise<void> {
    const createdAt = at.toISOString();
    await this.db
      .insertInto('tlog_cosignatures')
      .values({ size, name: cosignature.name, line: cosignature.line, created_at: createdAt })
      .onConflict((oc) => oc.columns(['size', 'name']).doUpdateSet({ line: cosignature.line, created_at: createdAt }))
      .execute();
  }
}
