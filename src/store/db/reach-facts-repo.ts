import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** A stored batch of a callgraph as a reachability answer cites it, with its attestation record's digest and log index. */
export interface WindowBatchRow {
  readonly batchId: string;
  readonly provenanceId: string;
  readonly provenanceHash: string;
  readonly receivedAt: string;
  readonly source: string;
  readonly attestationId: string | null;
  /** The attestation's locker record digest and log index (null when not attested, or the record is gone/unlogged). */
  readonly attestationDigest: string | null;
  readonly logIndex: number | null;
  readonly rekorUuid: string | null;
}

/** One signals_facts aggregate row of a queried symbol. */
export interface SymbolFactRow {
  readonly batchId: string;
  readonly symbolId: string;
  readonly hitCount: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
}

export interface WindowQuery {
  readonly tenant: string;
  readonly callgraphId: string;
  /**
   * Coarse SQL bounds on received_at as text (inclusive): the service
   * writes received_at with Date.toISOString (fixed-width UTC, ms), so text
   * order is time order; `accept` then applies the exact window.
   */
  readonly receivedFrom?: string | undefined;
  readonly receivedTo?: string | undefined;
  readonly accept: (receivedAt: string) => boolean;
  /** At most this many batches: the newest ones. */
  readonly max: number;
}

/** IN-lists stay well below SQLite's and PostgreSQL's bound-parameter limits. */
const IN_CHUNK = 500;
const PAGE = 1000;

/**
 * What a reachability answer reads of the runtime-fact tables: the window's
 * batches of a callgraph, and the queried symbols' aggregates in them.
 */
export class ReachFactsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Stored batches of the callgraph within the window, the newest `max` of
   * them, returned oldest first (receivedAt, then batch id). The batch
   * attestation's record (digest, log index) comes in the same query.
   */
  async windowBatches(q: WindowQuery): Promise<WindowBatchRow[]> {
    const picked: WindowBatchRow[] = [];
    let cursor: { receivedAt: string; batchId: string } | undefined;
    while (picked.length < q.max) {
      let query = this.db
        .selectFrom('signals_batches as b')
        .leftJoin('evidence as e', 'e.id', 'b.attestation_id')
        .select([
          'b.batch_id',
          'b.provenance_id',
          'b.provenance_hash',
          'b.received_at',
          'b.source',
          'b.attestation_id',
          'b.rekor_uuid',
          'e.digest',
          'e.log_index',
        ])
        .where('b.tenant', '=', q.tenant)
        .where('b.callgraph_id', '=', q.callgraphId)
        .where('b.state', '=', 'stored');
      if (q.receivedFrom !== undefined) query = query.where('b.received_at', '>=', q.receivedFrom);
      if (q.receivedTo !== undefined) query = query.where('b.received_at', '<=', q.receivedTo);
      const c = cursor;
      if (c !== undefined)
        query = query.where((eb) =>
          eb.or([
            eb('b.received_at', '<', c.receivedAt),
            eb.and([eb('b.received_at', '=', c.receivedAt), eb('b.batch_id', '<', c.batchId)]),
          ]),
        );
      const rows = await query.orderBy('b.received_at', 'desc').orderBy('b.batch_id', 'desc').limit(PAGE).execute();
      for (const r of rows) {
        if (picked.length >= q.max) break;
        if (!q.accept(r.received_at)) continue;
        picked.push({
          batchId: r.batch_id,
          provenanceId: r.provenance_id,
          provenanceHash: r.provenance_hash,
          receivedAt: r.received_at,
          source: r.source,
          attestationId: r.attestation_id,
          attestationDigest: r.attestation_id === null ? null : r.digest,
          logIndex: r.attestation_id === null || r.log_index === null ? null : Number(r.log_index),
          rekorUuid: r.rekor_uuid,
        });
      }
      const last = rows[rows.length - 1];
      if (rows.length < PAGE || last === undefined) break;
      cursor = { receivedAt: last.received_at, batchId: last.batch_id };
    }
    return picked.reverse();
  }

  /** The aggregates of `symbols` in `batchIds` (any order; min/max of the variable-length instants is the caller's). */
  async symbolFacts(
    tenant: string,
    callgraphId: string,
    symbols: readonly string[],
    batchIds: readonly string[],
  ): Promise<SymbolFactRow[]> {
    const out: SymbolFactRow[] = [];
    for (let s = 0; s < symbols.length; s += IN_CHUNK) {
      const symbolChunk = symbols.slice(s, s + IN_CHUNK);
      for (let b = 0; b < batchIds.length; b += IN_CHUNK) {
        const rows = await this.db
          .selectFrom('signals_facts')
          .select(['batch_id', 'symbol_id', 'hit_count', 'first_seen', 'last_seen'])
          .where('tenant', '=', tenant)
          .where('callgraph_id', '=', callgraphId)
          .where('symbol_id', 'in', symbolChunk)
          .where('batch_id', 'in', batchIds.slice(b, b + IN_CHUNK))
          .execute();
        for (const r of rows)
          out.push({
            batchId: r.batch_id,
            symbolId: r.symbol_id,
            hitCount: Number(r.hit_count),
            firstSeen: r.first_seen,
            lastSeen: r.last_seen,
          });
      }
    }
    return out;
  }
}
