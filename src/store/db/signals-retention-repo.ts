import type { Kysely, Transaction } from 'kysely';
import { insertDeletion, type EvidenceBlobRef, type EvidenceDeletion } from './evidence-repo.js';
import type { Database } from './schema.js';

/** One row retention may delete: its id and tenant (the blob keys follow from them). */
export interface SignalsRowRef {
  readonly id: string;
  readonly tenant: string;
}

/** What a conditional delete removes and records; the caller deletes `blobs` from the store afterwards. */
export interface SignalsDeletionInput {
  readonly id: string;
  /** ISO-8601: the row must still be older than this (its age is re-checked inside the transaction). */
  readonly before: string;
  readonly reason: string;
  readonly deletedAt: Date;
  /** The row's blobs, minted by the caller through the kind registry (this layer does not know the layout). */
  readonly blobs: readonly EvidenceBlobRef[];
}

const PAGE = 1000;

/**
 * What garbage collection needs from the Signals tables (migration
 * 0005_signals): which rows exist (their blobs are referenced by them, not
 * by evidence records), which rows are past retention, and their deletion.
 * Each delete is one conditional transaction whose first statement writes,
 * so two nodes deleting the same row serialise on it and exactly one of
 * them records the deletion (the other finds nothing and reports nothing).
 */
export class SignalsRetentionRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** id → tenant of those of `ids` that have a callgraph row, in any state (an intent's blobs are repair's, not GC's). */
  async callgraphTenants(ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < ids.length; i += PAGE) {
      const rows = await this.db
        .selectFrom('signals_callgraphs')
        .select(['graph_id', 'tenant'])
        .where('graph_id', 'in', ids.slice(i, i + PAGE))
        .execute();
      for (const r of rows) found.set(r.graph_id, r.tenant);
    }
    return found;
  }

  /** id → tenant of those of `ids` that have a batch row, in any state. */
  async batchTenants(ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < ids.length; i += PAGE) {
      const rows = await this.db
        .selectFrom('signals_batches')
        .select(['batch_id', 'tenant'])
        .where('batch_id', 'in', ids.slice(i, i + PAGE))
        .execute();
      for (const r of rows) found.set(r.batch_id, r.tenant);
    }
    return found;
  }

  /** Those of `ids` whose callgraph retention deleted (recorded in evidence_deletions): their manifests stay forever. */
  async deletedCallgraphs(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += PAGE) {
      const rows = await this.db
        .selectFrom('evidence_deletions')
        .select('id')
        .where('kind', '=', 'callgraphs')
        .where('id', 'in', ids.slice(i, i + PAGE))
        .execute();
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  /** Acknowledged batches ingested before `before`, in id order after a cursor. */
  async batchesIngestedBefore(query: { before: string; after?: string | undefined; limit: number }): Promise<SignalsRowRef[]> {
    let q = this.db
      .selectFrom('signals_batches')
      .select(['batch_id as id', 'tenant'])
      .where('state', '=', 'stored')
      .where('ingested_at', '<', query.before);
    if (query.after !== undefined) q = q.where('batch_id', '>', query.after);
    return q.orderBy('batch_id').limit(query.limit).execute();
  }

  /**
   * Acknowledged callgraphs created before `before` that no batch (stored or
   * in progress) and no reachability verdict names, in id order after a cursor. `ignoreBatchesBefore`
   * (a dry run's view) disregards stored batches ingested before it.
   */
  async orphanCallgraphsBefore(query: {
    before: string;
    after?: string | undefined;
    limit: number;
    ignoreBatchesBefore?: string | undefined;
  }): Promise<SignalsRowRef[]> {
    const ignore = query.ignoreBatchesBefore;
    let q = this.db
      .selectFrom('signals_callgraphs as c')
      .select(['c.graph_id as id', 'c.tenant'])
      .where('c.state', '=', 'stored')
      .where('c.created_at', '<', query.before)
      .where((eb) => {
        let named = eb
          .selectFrom('signals_batches as b')
          .select('b.batch_id')
          .whereRef('b.tenant', '=', 'c.tenant')
          .whereRef('b.callgraph_id', '=', 'c.graph_id');
        if (ignore !== undefined) named = named.where((b) => b.or([b('b.state', '!=', 'stored'), b('b.ingested_at', '>=', ignore)]));
        // A signed reachability verdict cites the graph: it stays as long as the verdict does (forever).
        const cited = eb.selectFrom('signals_verdicts as v').select('v.verdict_id').whereRef('v.callgraph_id', '=', 'c.graph_id');
        return eb.and([eb.not(eb.exists(named)), eb.not(eb.exists(cited))]);
      });
    if (query.after !== undefined) q = q.where('c.graph_id', '>', query.after);
    return q.orderBy('c.graph_id').limit(query.limit).execute();
  }

  /**
   * Deletes a stored batch ingested before `before` with its fact
   * aggregates, and records the deletion; undefined when there was nothing
   * (left) to delete. The batch attestation is a locker record and stays.
   */
  async deleteBatch(input: SignalsDeletionInput): Promise<EvidenceDeletion | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // Aggregates first (they reference the batch), only while the batch is still eligible.
      await trx
        .deleteFrom('signals_facts')
        .where('batch_id', '=', input.id)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('signals_batches')
              .select('batch_id')
              .where('batch_id', '=', input.id)
              .where('state', '=', 'stored')
              .where('ingested_at', '<', input.before),
          ),
        )
        .execute();
      const row = await trx
        .deleteFrom('signals_batches')
        .where('batch_id', '=', input.id)
        .where('state', '=', 'stored')
        .where('ingested_at', '<', input.before)
        .returning(['batch_id', 'tenant', 'provenance_hash', 'ingested_at'])
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const subjects = [{ digest: row.provenance_hash, name: `runtime-facts/${row.batch_id}` }];
      return record(trx, {
        ...input,
        tenant: row.tenant,
        kind: 'runtime-facts',
        digest: row.provenance_hash,
        subjects,
        createdAt: row.ingested_at,
      });
    });
  }

  /**
   * Deletes a stored callgraph created before `before` that no batch and no
   * verdict names, and records the deletion; undefined when there was nothing
   * (left) to delete or a batch or verdict names it by now. Its manifest stays (seed 000 §3.3).
   */
  async deleteOrphanCallgraph(input: SignalsDeletionInput): Promise<EvidenceDeletion | undefined> {
    return this.db.transaction().execute(async (trx) => {
      // signals_batches.callgraph_id references the row, so a batch committed after
      // this check makes the delete fail rather than leave a dangling batch.
      const row = await trx
        .deleteFrom('signals_callgraphs')
        .where('graph_id', '=', input.id)
        .where('state', '=', 'stored')
        .where('created_at', '<', input.before)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('signals_batches').select('batch_id').where('callgraph_id', '=', input.id))))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('signals_verdicts').select('verdict_id').where('callgraph_id', '=', input.id))))
        .returning(['graph_id', 'tenant', 'digest', 'created_at'])
        .executeTakeFirst();
      if (row === undefined) return undefined;
      return record(trx, { ...input, tenant: row.tenant, kind: 'callgraphs', digest: row.digest, subjects: [], createdAt: row.created_at });
    });
  }
}

async function record(
  trx: Transaction<Database>,
  d: Omit<EvidenceDeletion, 'deletedAt' | 'logIndex' | 'blobs'> & SignalsDeletionInput,
): Promise<EvidenceDeletion> {
  const deletion: EvidenceDeletion = {
    id: d.id,
    tenant: d.tenant,
    kind: d.kind,
    digest: d.digest,
    subjects: d.subjects,
    blobs: d.blobs,
    reason: d.reason,
    createdAt: d.createdAt,
    deletedAt: d.deletedAt.toISOString(),
    // The rows themselves are not logged; a batch's attestation (kept) is.
    logIndex: null,
  };
  await insertDeletion(trx, deletion);
  return deletion;
}
