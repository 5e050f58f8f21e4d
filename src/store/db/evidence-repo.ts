import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, EvidenceTable } from './schema.js';

export interface EvidenceSubject {
  readonly digest: string;
  readonly name: string | null;
}

export interface EvidenceRecord {
  readonly id: string;
  readonly tenant: string;
  readonly kind: string;
  readonly mediaType: string;
  readonly payloadType: string;
  readonly predicateType: string | null;
  readonly blobKey: string;
  readonly digest: string;
  readonly size: number;
  readonly principal: string;
  readonly signerKeyId: string;
  readonly createdAt: string;
  readonly subjects: readonly EvidenceSubject[];
  /** The transparency-log entry body to append with the record (absent when logging is off). */
  readonly logEntry?: Uint8Array | undefined;
  /** Where the record sits in the transparency log; null when it was stored unlogged. */
  readonly logIndex?: number | null | undefined;
  /** RFC 3161 TimeStampResp (DER) over the record's signature, stored with the row. */
  readonly timestamp?: Uint8Array | undefined;
}

/** Outcome of one record of a batch insert: stored now, or already present under `id`. */
export interface InsertOutcome {
  readonly id: string;
  readonly created: boolean;
  readonly logIndex: number | null;
}

/**
 * Appends entry bodies to the transparency log inside the given transaction
 * and says where the first one landed (the rest follow in order). Supplied by
 * the log layer; the repository only calls it.
 */
export type LogAppend = (trx: Transaction<Database>, entries: readonly Uint8Array[]) => Promise<{ readonly first: number }>;

const toRow = (r: EvidenceRecord): EvidenceTable => ({
  id: r.id,
  tenant: r.tenant,
  kind: r.kind,
  media_type: r.mediaType,
  payload_type: r.payloadType,
  predicate_type: r.predicateType,
  blob_key: r.blobKey,
  digest: r.digest,
  size: r.size,
  principal: r.principal,
  signer_key_id: r.signerKeyId,
  created_at: r.createdAt,
  log_index: null,
  tsa_token: r.timestamp === undefined ? null : Buffer.from(r.timestamp),
  subjects: JSON.stringify(
    [...r.subjects]
      .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0))
      .map((x) => ({ digest: x.digest, name: x.name })),
  ),
});

/** A stored record; `subjects` come with the row. */
export type EvidenceRow = EvidenceRecord;

const fromRow = (row: EvidenceTable): EvidenceRow => ({
  id: row.id,
  tenant: row.tenant,
  kind: row.kind,
  mediaType: row.media_type,
  payloadType: row.payload_type,
  predicateType: row.predicate_type,
  blobKey: row.blob_key,
  digest: row.digest,
  size: row.size,
  principal: row.principal,
  signerKeyId: row.signer_key_id,
  createdAt: row.created_at,
  subjects: JSON.parse(row.subjects) as EvidenceSubject[],
  logIndex: row.log_index === null ? null : Number(row.log_index),
  ...(row.tsa_token === null ? {} : { timestamp: Buffer.from(row.tsa_token) }),
});

export class EvidenceRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Inserts many records in ONE transaction (one commit, one fsync) and with
   * multi-row INSERTs (one per table per thousand-odd rows, within the
   * bound-parameter limits), so a batch costs a handful of statements however
   * large it is: the group-commit writer hands whole batches here. A record
   * whose bytes the tenant already stored is not inserted again; its existing
   * id comes back with `created: false`.
   *
   * With `appendToLog`, every newly inserted record that carries a log entry
   * is appended to the transparency log in the same transaction, so a record
   * and its log entry commit together or not at all.
   */
  async insertBatch(records: readonly EvidenceRecord[], appendToLog?: LogAppend): Promise<InsertOutcome[]> {
    if (records.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      // Bound parameters: 16 per evidence row; SQLite allows 32,766 per statement, PostgreSQL 65,535.
      const inserted = new Set<string>();
      for (let i = 0; i < records.length; i += 1024) {
        const rows = await trx
          .insertInto('evidence')
          .values(records.slice(i, i + 1024).map(toRow))
          .onConflict((oc) => oc.columns(['tenant', 'digest']).doNothing())
          .returning('id')
          .execute();
        for (const r of rows) inserted.add(r.id);
      }
      const subjects = records
        .filter((r) => inserted.has(r.id))
        .flatMap((r) => [...new Set(r.subjects.map((s) => s.digest))].map((digest) => ({ tenant: r.tenant, digest, evidence_id: r.id })));
      // SQLite allows 32,766 bound parameters per statement; 3 per subject row.
      for (let i = 0; i < subjects.length; i += 4096) {
        await trx
          .insertInto('evidence_subjects')
          .values(subjects.slice(i, i + 4096))
          .onConflict((oc) => oc.columns(['digest', 'tenant', 'evidence_id']).doNothing())
          .execute();
      }
      const logIndex = new Map<string, number>();
      const toLog = records.filter((r) => inserted.has(r.id) && r.logEntry !== undefined);
      if (appendToLog !== undefined && toLog.length > 0) {
        const { first } = await appendToLog(
          trx,
          toLog.map((r) => r.logEntry as Uint8Array),
        );
        toLog.forEach((r, i) => logIndex.set(r.id, first + i));
        // One statement for the batch; VALUES columns are column1, column2 in both dialects.
        for (let i = 0; i < toLog.length; i += 4096) {
          const rows = toLog.slice(i, i + 4096).map((r) => sql`(${r.id}, ${logIndex.get(r.id)})`);
          await sql`update evidence set log_index = cast(v.column2 as bigint) from (values ${sql.join(rows)}) as v where evidence.id = v.column1`.execute(
            trx,
          );
        }
      }
      const duplicates = records.filter((r) => !inserted.has(r.id));
      const existing = new Map<string, { id: string; logIndex: number | null }>();
      for (const d of duplicates) {
        if (existing.has(`${d.tenant}\n${d.digest}`)) continue;
        const row = await trx
          .selectFrom('evidence')
          .select(['id', 'log_index'])
          .where('tenant', '=', d.tenant)
          .where('digest', '=', d.digest)
          .executeTakeFirstOrThrow();
        existing.set(`${d.tenant}\n${d.digest}`, { id: row.id, logIndex: row.log_index === null ? null : Number(row.log_index) });
      }
      return records.map((r) =>
        inserted.has(r.id)
          ? { id: r.id, created: true, logIndex: logIndex.get(r.id) ?? null }
          : { ...(existing.get(`${r.tenant}\n${r.digest}`) as { id: string; logIndex: number | null }), created: false },
      );
    });
  }

  /** The record a tenant stored with these exact bytes, if any. */
  async findByDigest(tenant: string, digest: string): Promise<EvidenceRow | undefined> {
    const row = await this.db
      .selectFrom('evidence')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /** id → blob key for those of `ids` that have a row (garbage collection). */
  async blobKeysOf(ids: readonly string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.selectFrom('evidence').select(['id', 'blob_key']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r.blob_key]));
  }

  async get(id: string): Promise<EvidenceRow | undefined> {
    const row = await this.db.selectFrom('evidence').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async subjects(id: string): Promise<readonly EvidenceSubject[]> {
    return (await this.get(id))?.subjects ?? [];
  }

  /** Evidence naming `digest` as a subject, in the given tenants and kinds, oldest first, after a cursor id. */
  async findBySubject(query: {
    readonly digest: string;
    /** '*' searches every tenant (admin). */
    readonly tenants: readonly string[] | '*';
    readonly kinds: readonly string[];
    readonly after?: string | undefined;
    readonly limit: number;
  }): Promise<EvidenceRow[]> {
    if (query.tenants.length === 0 || query.kinds.length === 0) return [];
    let q = this.db
      .selectFrom('evidence_subjects as s')
      .innerJoin('evidence as e', 'e.id', 's.evidence_id')
      .selectAll('e')
      .where('s.digest', '=', query.digest)
      .where('e.kind', 'in', query.kinds);
    if (query.tenants !== '*') q = q.where('s.tenant', 'in', query.tenants);
    if (query.after !== undefined) q = q.where('e.id', '>', query.after);
    const rows = await q.orderBy('e.id').limit(query.limit).execute();
    return rows.map(fromRow);
  }
}
