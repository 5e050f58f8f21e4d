import type { Kysely } from 'kysely';
import { insertAggregates, readAggregates, type BatchAggregate } from './batch-aggregates-repo.js';
import { isUniqueViolation } from './connect.js';
import { stringArray } from './batch-aggregates-repo.js';
import type { Database, SignalsBatchesTable } from './schema.js';

/**
 * Runtime-fact batches (signals_batches) and their per-symbol aggregates
 * (signals_facts). A batch row is first an intent (state 'writing', written
 * before any blob), then carries what the body said (`recordProgress`, once
 * the fact blob is durable), and is acknowledged by `complete`: the row turns
 * 'stored' and its aggregates are inserted in ONE transaction. Every state
 * change is conditional on the state it expects, so two nodes repairing (or a
 * repair racing a slow upload) cannot both act on one row.
 */

export interface BatchIntent {
  readonly batchId: string;
  readonly provenanceId: string;
  readonly tenant: string;
  /** Null until the body says, for the JSON document form that carries `callgraphId` itself. */
  readonly callgraphId: string | null;
  readonly source: string;
  readonly pipelineVersion: string;
  readonly receivedAt: string;
  readonly form: 'ndjson' | 'json';
  readonly now: string;
}

/** What the body said, recorded once the fact blob is durable. */
export interface BatchProgress {
  readonly callgraphId: string;
  readonly provenanceHash: string;
  readonly rawSize: number;
  readonly factCount: number;
  readonly factTypes: readonly string[];
  readonly firstObserved: string | null;
  readonly lastObserved: string | null;
  readonly ingestedAt: string;
  readonly contentDigest: string;
  readonly contentSize: number;
  readonly now: string;
}

export type { BatchAggregate };

export interface BatchCompletion {
  readonly batchId: string;
  readonly signerKeyId: string | null;
  readonly rekorUuid: string | null;
  readonly skipReason: string | null;
  readonly attestationId: string | null;
  readonly provenanceDigest: string;
  readonly provenanceSize: number;
  readonly aggregates: readonly BatchAggregate[];
  readonly now: string;
}

export interface BatchRow {
  readonly batchId: string;
  readonly provenanceId: string;
  readonly tenant: string;
  readonly callgraphId: string | null;
  readonly source: string;
  readonly pipelineVersion: string;
  readonly provenanceHash: string;
  readonly rawSize: number;
  readonly factCount: number;
  readonly factTypes: readonly string[];
  readonly receivedAt: string;
  readonly ingestedAt: string;
  readonly firstObserved: string | null;
  readonly lastObserved: string | null;
  readonly form: 'ndjson' | 'json';
  readonly signerKeyId: string | null;
  readonly rekorUuid: string | null;
  readonly skipReason: string | null;
  readonly attestationId: string | null;
  readonly contentDigest: string | null;
  readonly contentSize: number | null;
  readonly provenanceDigest: string | null;
  readonly provenanceSize: number | null;
  readonly state: 'writing' | 'stored';
  readonly updatedAt: string;
}

export interface BatchListQuery {
  /** '*' lists every tenant (admin). */
  readonly tenants: readonly string[] | '*';
  readonly callgraphId?: string | undefined;
  /** Normalised ISO-8601: batches that may hold a fact observed (or, lacking observedAt, received) after it. */
  readonly since?: string | undefined;
  /** Batch id cursor: only batches after it. */
  readonly after?: string | undefined;
  readonly limit: number;
}

const num = (v: number | string): number => Number(v);
const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

const fromRow = (r: SignalsBatchesTable): BatchRow => ({
  batchId: r.batch_id,
  provenanceId: r.provenance_id,
  tenant: r.tenant,
  callgraphId: r.callgraph_id,
  source: r.source,
  pipelineVersion: r.pipeline_version,
  provenanceHash: r.provenance_hash,
  rawSize: num(r.raw_size),
  factCount: num(r.fact_count),
  factTypes: stringArray(r.fact_types),
  receivedAt: r.received_at,
  ingestedAt: r.ingested_at,
  firstObserved: r.first_observed,
  lastObserved: r.last_observed,
  form: r.form === 'json' ? 'json' : 'ndjson',
  signerKeyId: r.signer_key_id,
  rekorUuid: r.rekor_uuid,
  skipReason: r.skip_reason,
  attestationId: r.attestation_id,
  contentDigest: r.content_digest,
  contentSize: numOrNull(r.content_size),
  provenanceDigest: r.provenance_digest,
  provenanceSize: numOrNull(r.provenance_size),
  state: r.state,
  updatedAt: r.updated_at,
});

export class BatchesRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /** Inserts the intent row; false when the batch id is already taken (by a stored batch or another upload). */
  async insertIntent(i: BatchIntent): Promise<boolean> {
    try {
      await this.db
        .insertInto('signals_batches')
        .values({
          batch_id: i.batchId,
          provenance_id: i.provenanceId,
          tenant: i.tenant,
          callgraph_id: i.callgraphId,
          source: i.source,
          pipeline_version: i.pipelineVersion,
          // Unknown until the body is read; recordProgress fills them in.
          provenance_hash: '',
          raw_size: 0,
          fact_count: 0,
          fact_types: '[]',
          received_at: i.receivedAt,
          ingested_at: i.now,
          first_observed: null,
          last_observed: null,
          form: i.form,
          signer_key_id: null,
          rekor_uuid: null,
          skip_reason: null,
          attestation_id: null,
          content_digest: null,
          content_size: null,
          provenance_digest: null,
          provenance_size: null,
          state: 'writing',
          updated_at: i.now,
        })
        .execute();
      return true;
    } catch (e) {
      if (isUniqueViolation(e)) return false;
      throw e;
    }
  }

  /** Records what the body said; false when the intent is gone (a repair removed it) or no longer 'writing'. */
  async recordProgress(batchId: string, p: BatchProgress): Promise<boolean> {
    const result = await this.db
      .updateTable('signals_batches')
      .set({
        callgraph_id: p.callgraphId,
        provenance_hash: p.provenanceHash,
        raw_size: p.rawSize,
        fact_count: p.factCount,
        fact_types: JSON.stringify(p.factTypes),
        first_observed: p.firstObserved,
        last_observed: p.lastObserved,
        ingested_at: p.ingestedAt,
        content_digest: p.contentDigest,
        content_size: p.contentSize,
        updated_at: p.now,
      })
      .where('batch_id', '=', batchId)
      .where('state', '=', 'writing')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * The acknowledgement: the row turns 'stored' and the aggregates go in, in
   * one transaction. False (nothing written) when the row is not a 'writing'
   * intent any more.
   */
  async complete(c: BatchCompletion): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('signals_batches')
        .set({
          signer_key_id: c.signerKeyId,
          rekor_uuid: c.rekorUuid,
          skip_reason: c.skipReason,
          attestation_id: c.attestationId,
          provenance_digest: c.provenanceDigest,
          provenance_size: c.provenanceSize,
          state: 'stored',
          updated_at: c.now,
        })
        .where('batch_id', '=', c.batchId)
        .where('state', '=', 'writing')
        .returning(['tenant', 'callgraph_id'])
        .executeTakeFirst();
      if (result === undefined || result.callgraph_id === null) return false;
      const { tenant, callgraph_id: callgraphId } = result;
      await insertAggregates(trx, this.dialect, { batchId: c.batchId, tenant, callgraphId }, c.aggregates);
      return true;
    });
  }

  /** Whether `graphId` is a stored callgraph of `tenant` (a batch must name one). */
  async callgraphExists(tenant: string, graphId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('signals_callgraphs')
      .select('graph_id')
      .where('graph_id', '=', graphId)
      .where('tenant', '=', tenant)
      .where('state', '=', 'stored')
      .executeTakeFirst();
    return row !== undefined;
  }

  async get(batchId: string): Promise<BatchRow | undefined> {
    const row = await this.db.selectFrom('signals_batches').selectAll().where('batch_id', '=', batchId).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /** Stored batches in batch id order, for streaming. */
  async list(q: BatchListQuery): Promise<BatchRow[]> {
    if (q.tenants !== '*' && q.tenants.length === 0) return [];
    let query = this.db.selectFrom('signals_batches').selectAll().where('state', '=', 'stored');
    if (q.tenants !== '*') query = query.where('tenant', 'in', q.tenants);
    if (q.callgraphId !== undefined) query = query.where('callgraph_id', '=', q.callgraphId);
    if (q.after !== undefined) query = query.where('batch_id', '>', q.after);
    const since = q.since;
    if (since !== undefined) query = query.where((eb) => eb.or([eb('last_observed', '>', since), eb('received_at', '>', since)]));
    const rows = await query.orderBy('batch_id').limit(q.limit).execute();
    return rows.map(fromRow);
  }

  /** Intents not touched since `before` (ISO-8601): uploads a crash abandoned, oldest first. */
  async abandoned(before: string, limit: number): Promise<BatchRow[]> {
    const rows = await this.db
      .selectFrom('signals_batches')
      .selectAll()
      .where('state', '=', 'writing')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .orderBy('batch_id')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /**
   * Takes an abandoned intent for one repairer: bumps `updated_at` only if
   * nobody changed the row since it was read. Of two nodes, one wins.
   */
  async claim(row: BatchRow, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('signals_batches')
      .set({ updated_at: now })
      .where('batch_id', '=', row.batchId)
      .where('state', '=', 'writing')
      .where('updated_at', '=', row.updatedAt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Removes an intent (never a stored batch); false when it was not there. */
  async deleteIntent(batchId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('signals_batches')
      .where('batch_id', '=', batchId)
      .where('state', '=', 'writing')
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Aggregates of a batch (tests, queries). */
  aggregates(batchId: string): Promise<BatchAggregate[]> {
    return readAggregates(this.db, batchId);
  }
}
