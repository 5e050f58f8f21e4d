import type { Kysely } from 'kysely';
import { isUniqueViolation } from './connect.js';
import type { Database, SignalsVerdictsTable } from './schema.js';

/** One verdict of a (callgraph, symbol) chain as the reachability service sees it. */
export interface VerdictRow {
  /** = the locker record's id. */
  readonly verdictId: string;
  readonly tenant: string;
  readonly callgraphId: string;
  readonly symbol: string;
  readonly sequence: number;
  readonly previousId: string | null;
  /** sha256 of the DSSE envelope bytes (the locker record's digest). */
  readonly digest: string;
  readonly state: string;
  readonly evidenceDigest: string;
  readonly decidedAt: string;
  readonly createdAt: string;
}

/** What an insert did: `conflict` when another verdict holds that sequence number (or that id) already. */
export type VerdictInsert = { readonly outcome: 'inserted' } | { readonly outcome: 'conflict' };

const fromTable = (t: SignalsVerdictsTable): VerdictRow => ({
  verdictId: t.verdict_id,
  tenant: t.tenant,
  callgraphId: t.callgraph_id,
  symbol: t.symbol,
  sequence: Number(t.sequence),
  previousId: t.previous_id,
  digest: t.digest,
  state: t.state,
  evidenceDigest: t.evidence_digest,
  decidedAt: t.decided_at,
  createdAt: t.created_at,
});

/** Largest chain history returns: far more verdicts than a symbol ever gets, a bound on one response. */
export const MAX_VERDICT_HISTORY = 10_000;

/**
 * signals_verdicts (migration 0006_reachability) on SQLite and PostgreSQL.
 * The unique key (tenant, callgraph_id, symbol, sequence) is what orders a
 * chain: of two verdicts racing for the same next number, one insert wins
 * and the other gets `conflict` and retries on top of the winner.
 */
export class VerdictsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  /** The newest verdict of the chain (highest sequence), if any. */
  async latest(tenant: string, callgraphId: string, symbol: string): Promise<VerdictRow | undefined> {
    const row = await this.db
      .selectFrom('signals_verdicts')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('callgraph_id', '=', callgraphId)
      .where('symbol', '=', symbol)
      .orderBy('sequence', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : fromTable(row);
  }

  async insert(row: VerdictRow): Promise<VerdictInsert> {
    try {
      await this.db
        .insertInto('signals_verdicts')
        .values({
          verdict_id: row.verdictId,
          tenant: row.tenant,
          callgraph_id: row.callgraphId,
          symbol: row.symbol,
          sequence: row.sequence,
          previous_id: row.previousId,
          digest: row.digest,
          state: row.state,
          evidence_digest: row.evidenceDigest,
          decided_at: row.decidedAt,
          created_at: row.createdAt,
        })
        .execute();
      return { outcome: 'inserted' };
    } catch (e) {
      if (isUniqueViolation(e)) return { outcome: 'conflict' };
      throw e;
    }
  }

  /** The chain, oldest first (at most MAX_VERDICT_HISTORY verdicts: the oldest ones). */
  async history(tenant: string, callgraphId: string, symbol: string): Promise<VerdictRow[]> {
    const rows = await this.db
      .selectFrom('signals_verdicts')
      .selectAll()
      .where('tenant', '=', tenant)
      .where('callgraph_id', '=', callgraphId)
      .where('symbol', '=', symbol)
      .orderBy('sequence', 'asc')
      .limit(MAX_VERDICT_HISTORY)
      .execute();
    return rows.map(fromTable);
  }

  /** The row of a verdict id, if it is in a chain. */
  async get(verdictId: string): Promise<VerdictRow | undefined> {
    const row = await this.db.selectFrom('signals_verdicts').selectAll().where('verdict_id', '=', verdictId).executeTakeFirst();
    return row === undefined ? undefined : fromTable(row);
  }
}
