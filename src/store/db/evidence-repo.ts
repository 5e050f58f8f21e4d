import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, EvidenceDeletionsTable, EvidenceTable } from './schema.js';

export interface EvidenceSubject {
  readonly digest: string;
  readonly name: string | null;
}

/** One blob a record references: `primary` is the stored upload (what GET returns), other roles are the domain's. */
export interface EvidenceBlobRef {
  readonly role: string;
  readonly key: string;
}

export interface EvidenceRecord {
  readonly id: string;
  readonly tenant: string;
  readonly kind: string;
  readonly mediaType: string;
  readonly payloadType: string;
  readonly predicateType: string | null;
  /** The primary blob's key (the first of `blobs`). */
  readonly blobKey: string;
  /**
   * Every blob the record references, primary first; absent means the
   * primary alone. GC keeps exactly these (see blobsOf).
   */
  readonly blobs?: readonly EvidenceBlobRef[] | undefined;
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

/** A record deleted by retention, as evidence_deletions keeps it. */
export interface EvidenceDeletion {
  readonly id: string;
  readonly tenant: string;
  readonly kind: string;
  readonly digest: string;
  readonly subjects: readonly EvidenceSubject[];
  readonly blobs: readonly EvidenceBlobRef[];
  readonly reason: string;
  readonly createdAt: string;
  readonly deletedAt: string;
  /** The deleted record's transparency-log entry (the log keeps it), null when it was never logged. */
  readonly logIndex: number | null;
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

/** The blobs of a record, primary first (records written before 0004 have the primary alone). */
export const blobsOfRecord = (r: EvidenceRecord): readonly EvidenceBlobRef[] => r.blobs ?? [{ role: 'primary', key: r.blobKey }];

const fromDeletionRow = (row: EvidenceDeletionsTable): EvidenceDeletion => ({
  id: row.id,
  tenant: row.tenant,
  kind: row.kind,
  digest: row.digest,
  subjects: JSON.parse(row.subjects) as EvidenceSubject[],
  blobs: JSON.parse(row.blobs) as EvidenceBlobRef[],
  reason: row.reason,
  createdAt: row.created_at,
  deletedAt: row.deleted_at,
  logIndex: row.log_index === null ? null : Number(row.log_index),
});

/** A stored key's record id: the ULID its file name starts with (kind templates end in `{id}.…`). */
const RECORD_ID_IN_KEY = /([0-9A-HJKMNP-TV-Z]{26})\.[^/]*$/;

/**
 * A record's blobs from its primary key and its extra-blob rows. Databases
 * migrated by 0004 also hold a `primary` row, which this folds into one.
 */
const withPrimary = (primaryKey: string, rows: readonly EvidenceBlobRef[]): EvidenceBlobRef[] =>
  primaryFirst([{ role: 'primary', key: primaryKey }, ...rows.filter((r) => r.role !== 'primary')]);

const primaryFirst = (blobs: readonly EvidenceBlobRef[]): EvidenceBlobRef[] =>
  [...blobs].sort((a, b) => (a.role === 'primary' ? -1 : b.role === 'primary' ? 1 : a.role < b.role ? -1 : a.role > b.role ? 1 : 0));

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
      // Only a record's extra blobs get rows: the primary is evidence.blob_key, so
      // the common one-blob record costs no second insert. 3 parameters per row.
      const blobs = records
        .filter((r) => inserted.has(r.id))
        .flatMap((r) =>
          blobsOfRecord(r)
            .filter((b) => b.role !== 'primary')
            .map((b) => ({ blob_key: b.key, evidence_id: r.id, role: b.role })),
        );
      for (let i = 0; i < blobs.length; i += 4096) {
        await trx
          .insertInto('evidence_blobs')
          .values(blobs.slice(i, i + 4096))
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

  /** Those of `keys` that some record references (garbage collection). */
  async referencedBlobKeys(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 1000) {
      const slice = keys.slice(i, i + 1000);
      const extras = await this.db.selectFrom('evidence_blobs').select('blob_key').where('blob_key', 'in', slice).execute();
      for (const r of extras) found.add(r.blob_key);
      // Primaries by the record id their file name starts with (the primary key), not by a scan of blob_key.
      const ids = [...new Set(slice.flatMap((k) => RECORD_ID_IN_KEY.exec(k)?.[1] ?? []))];
      if (ids.length === 0) continue;
      const wanted = new Set(slice);
      const primaries = await this.db.selectFrom('evidence').select('blob_key').where('id', 'in', ids).execute();
      for (const r of primaries) if (wanted.has(r.blob_key)) found.add(r.blob_key);
    }
    return found;
  }

  /** Every blob record `id` references, primary first; empty when there is no such record. */
  async blobsOf(id: string): Promise<EvidenceBlobRef[]> {
    const row = await this.db.selectFrom('evidence').select('blob_key').where('id', '=', id).executeTakeFirst();
    if (row === undefined) return [];
    const rows = await this.db.selectFrom('evidence_blobs').select(['role', 'blob_key']).where('evidence_id', '=', id).execute();
    return withPrimary(
      row.blob_key,
      rows.map((r) => ({ role: r.role, key: r.blob_key })),
    );
  }

  /** Records of `kind` created before `createdBefore` (ISO-8601), in id order after a cursor id (retention). */
  async createdBefore(query: {
    readonly kind: string;
    readonly createdBefore: string;
    readonly after?: string | undefined;
    readonly limit: number;
  }): Promise<{ id: string; tenant: string }[]> {
    let q = this.db
      .selectFrom('evidence')
      .select(['id', 'tenant'])
      .where('kind', '=', query.kind)
      .where('created_at', '<', query.createdBefore);
    if (query.after !== undefined) q = q.where('id', '>', query.after);
    return q.orderBy('id').limit(query.limit).execute();
  }

  /**
   * Deletes record `id` with its subjects and blob references and records
   * the deletion, in one transaction; returns what was deleted, or undefined
   * when there was nothing to delete (another node deleted it first: row
   * locks make the second transaction wait, then find nothing). The caller
   * deletes the blobs afterwards; a crash before that leaves them
   * unreferenced, and the next GC collects them as orphans.
   */
  async deleteRecord(id: string, reason: string, deletedAt: Date): Promise<EvidenceDeletion | undefined> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('evidence_subjects').where('evidence_id', '=', id).execute();
      const blobs = await trx.deleteFrom('evidence_blobs').where('evidence_id', '=', id).returning(['role', 'blob_key']).execute();
      const row = await trx.deleteFrom('evidence').where('id', '=', id).returningAll().executeTakeFirst();
      if (row === undefined) return undefined;
      const deleted = fromRow(row);
      const refs = withPrimary(
        deleted.blobKey,
        blobs.map((b) => ({ role: b.role, key: b.blob_key })),
      );
      const deletion: EvidenceDeletion = {
        id: deleted.id,
        tenant: deleted.tenant,
        kind: deleted.kind,
        digest: deleted.digest,
        subjects: deleted.subjects,
        blobs: refs,
        reason,
        createdAt: deleted.createdAt,
        deletedAt: deletedAt.toISOString(),
        logIndex: deleted.logIndex ?? null,
      };
      await insertDeletion(trx, deletion);
      return deletion;
    });
  }

  /** Retention deletions, oldest record first, optionally of some tenants and after a cursor id. */
  async deletions(
    query: { readonly tenants?: readonly string[] | '*'; readonly after?: string; readonly limit?: number } = {},
  ): Promise<EvidenceDeletion[]> {
    const tenants = query.tenants ?? '*';
    if (tenants !== '*' && tenants.length === 0) return [];
    let q = this.db.selectFrom('evidence_deletions').selectAll();
    if (tenants !== '*') q = q.where('tenant', 'in', tenants);
    if (query.after !== undefined) q = q.where('id', '>', query.after);
    const rows = await q
      .orderBy('id')
      .limit(query.limit ?? 1000)
      .execute();
    return rows.map(fromDeletionRow);
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

/** Stores a deletion record; the one writer of evidence_deletions, for evidence and for Signals retention alike. */
export async function insertDeletion(trx: Transaction<Database>, deletion: EvidenceDeletion): Promise<void> {
  await trx
    .insertInto('evidence_deletions')
    .values({
      id: deletion.id,
      tenant: deletion.tenant,
      kind: deletion.kind,
      digest: deletion.digest,
      subjects: JSON.stringify(deletion.subjects),
      blobs: JSON.stringify(deletion.blobs),
      reason: deletion.reason,
      created_at: deletion.createdAt,
      deleted_at: deletion.deletedAt,
      log_index: deletion.logIndex,
    })
    .execute();
}
