import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.js';

/**
 * signals_facts: per-batch aggregates of runtime facts by (symbolId, codeId,
 * loaderBase), written inside the batch's acknowledging transaction
 * (batches-repo.ts `complete`) and read by queries.
 */
export interface BatchAggregate {
  readonly symbolId: string;
  readonly codeId: string;
  readonly loaderBase: string;
  readonly factTypes: readonly string[];
  readonly hitCount: number;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
}

/** A JSON array of strings as stored (fact_types columns). */
export const stringArray = (text: string): string[] => {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
};

/**
 * Aggregates go in as one JSON parameter per statement, unpacked by the
 * database (json_each / jsonb_to_recordset): a 10,000-fact batch has up to
 * 10,000 of them, and a multi-row VALUES list would cost 10 bound parameters
 * a row (SQLite allows 32,766 a statement) and, through the query builder,
 * more time compiling than the database spends inserting. Chunked anyway so
 * one statement's parameter text stays a few MiB.
 */
const AGGREGATE_ROWS_PER_INSERT = 20_000;

const AGGREGATE_COLUMNS = 'batch_id, tenant, callgraph_id, symbol_id, code_id, loader_base, fact_types, hit_count, first_seen, last_seen';

const INSERT_AGGREGATES: Readonly<Record<'sqlite' | 'postgres', string>> = {
  sqlite:
    `insert into signals_facts (${AGGREGATE_COLUMNS}) select ?, ?, ?, ` +
    `json_extract(value, '$.s'), json_extract(value, '$.c'), json_extract(value, '$.l'), json_extract(value, '$.t'), ` +
    `json_extract(value, '$.h'), json_extract(value, '$.f'), json_extract(value, '$.z') from json_each(?)`,
  postgres:
    `insert into signals_facts (${AGGREGATE_COLUMNS}) select $1, $2, $3, x.s, x.c, x.l, x.t, x.h, x.f, x.z ` +
    `from jsonb_to_recordset($4::jsonb) as x(s text, c text, l text, t text, h bigint, f text, z text)`,
};

/** Inserts a batch's aggregates in the caller's transaction. */
export async function insertAggregates(
  trx: Transaction<Database>,
  dialect: 'sqlite' | 'postgres',
  batch: { readonly batchId: string; readonly tenant: string; readonly callgraphId: string },
  aggregates: readonly BatchAggregate[],
): Promise<void> {
  for (let i = 0; i < aggregates.length; i += AGGREGATE_ROWS_PER_INSERT) {
    const rows = aggregates.slice(i, i + AGGREGATE_ROWS_PER_INSERT).map((a) => ({
      s: a.symbolId,
      c: a.codeId,
      l: a.loaderBase,
      t: JSON.stringify(a.factTypes),
      h: a.hitCount,
      f: a.firstSeen,
      z: a.lastSeen,
    }));
    await trx.executeQuery(
      CompiledQuery.raw(INSERT_AGGREGATES[dialect], [batch.batchId, batch.tenant, batch.callgraphId, JSON.stringify(rows)]),
    );
  }
}

export async function readAggregates(db: Kysely<Database>, batchId: string): Promise<BatchAggregate[]> {
  const rows = await db
    .selectFrom('signals_facts')
    .selectAll()
    .where('batch_id', '=', batchId)
    .orderBy('symbol_id')
    .orderBy('code_id')
    .orderBy('loader_base')
    .execute();
  return rows.map((r) => ({
    symbolId: r.symbol_id,
    codeId: r.code_id,
    loaderBase: r.loader_base,
    factTypes: stringArray(r.fact_types),
    hitCount: Number(r.hit_count),
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
  }));
}
