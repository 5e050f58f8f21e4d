/**
 * `npm run bench:tlog`: the transparency log's hot paths, each against a
 * baseline measured in the same run.
 *
 * - appends/s in batches through the sequencer (tree, tiles, entries, leaf
 *   lookup, signed checkpoint, one transaction per batch) vs plain INSERTs
 *   of the same entry bodies into a bare table, one transaction per batch;
 *   on SQLite (the embedded default) and on PostgreSQL;
 * - inclusion-proof latency at 10^6 and 10^7 leaves (random indices, full
 *   proof generation from tiles) vs a primary-key point lookup of one entry;
 * - monitor verification rate (signed checkpoint + consistency proof
 *   verified) vs a raw Ed25519 `crypto.verify`;
 * - storage per leaf of the tree (tiles) and of the leaf-hash index vs the
 *   32-byte leaf hashes themselves.
 *
 * Env: BENCH_APPENDS (default 200000), BENCH_BATCH (default 1000),
 * BENCH_PROOF_SIZES (default 1000000,10000000), ATTESTRY_TEST_PG_URL,
 * BENCH_SKIP_PG=1.
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { openIndexDatabase, type DatabaseSettings, type IndexDatabase } from '../src/store/db/connect.js';
import type { Database } from '../src/store/db/schema.js';
import { openCheckpoint } from '../src/tlog/checkpoint.js';
import { LogReader } from '../src/tlog/log-reader.js';
import { LogSequencer } from '../src/tlog/log-store.js';
import { verifyConsistency } from '../src/tlog/merkle.js';
import { NoteSigner, parseVerifierKey } from '../src/tlog/note.js';

const APPENDS = Number(process.env['BENCH_APPENDS'] ?? 200_000);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 1000);
const PROOF_SIZES = (process.env['BENCH_PROOF_SIZES'] ?? '1000000,10000000').split(',').map(Number);
const PG_URL = process.env['ATTESTRY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORIGIN = 'bench.example/log';

const signer = new NoteSigner(ORIGIN, generateKeyPairSync('ed25519').privateKey);
/** About the size of a real entry: a Rekor v2 dsse body with an Ed25519 key is ~420 bytes. */
const entryBody = (i: number): Buffer => Buffer.from(`{"entry":${i},"pad":"${randomBytes(300).toString('base64')}"}`);

interface Opened {
  index: IndexDatabase;
  cleanup: () => Promise<void>;
}

async function openSqlite(): Promise<Opened> {
  const dir = mkdtempSync(join(tmpdir(), 'attestry-bench-tlog-'));
  const index = await openIndexDatabase({ driver: 'sqlite', path: join(dir, 'index.sqlite') });
  await index.migrate();
  return {
    index,
    cleanup: async () => {
      await index.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(): Promise<Opened> {
  const schema = `attestry_bench_${randomBytes(4).toString('hex')}`;
  const settings: DatabaseSettings = { driver: 'postgres', url: PG_URL, schema, poolSize: 4 };
  const index = await openIndexDatabase(settings);
  await index.migrate();
  return {
    index,
    cleanup: async () => {
      await index.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists "${schema}" cascade`);
      await c.end();
    },
  };
}

async function appendAll(
  index: IndexDatabase,
  total: number,
  batch: number,
  bodyOf: (i: number) => Buffer,
  progress = false,
): Promise<number> {
  const seq = new LogSequencer(signer, index.driver);
  const t = performance.now();
  for (let done = 0; done < total; done += batch) {
    const n = Math.min(batch, total - done);
    const bodies = Array.from({ length: n }, (_, i) => bodyOf(done + i));
    await index.db.transaction().execute((trx) => seq.append(trx, bodies));
    if (progress && (done / batch) % 100 === 0) process.stderr.write(`\r  building: ${done.toLocaleString()} / ${total.toLocaleString()}`);
  }
  if (progress) process.stderr.write('\n');
  return total / ((performance.now() - t) / 1000);
}

/** Baseline: the same bodies inserted as plain rows, one transaction per batch. */
async function plainInserts(index: IndexDatabase, total: number, batch: number, bodyOf: (i: number) => Buffer): Promise<number> {
  const db = index.db as unknown as Kysely<{ bench_plain: { idx: number; body: Buffer } }>;
  const [int64, bytes] = index.driver === 'sqlite' ? ['integer', 'blob'] : ['bigint', 'bytea'];
  await sql`create table bench_plain (idx ${sql.raw(int64)} primary key, body ${sql.raw(bytes)} not null)`.execute(db);
  const t = performance.now();
  for (let done = 0; done < total; done += batch) {
    const n = Math.min(batch, total - done);
    const rows = Array.from({ length: n }, (_, i) => ({ idx: done + i, body: bodyOf(done + i) }));
    await db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 8192)
        await trx
          .insertInto('bench_plain')
          .values(rows.slice(i, i + 8192))
          .execute();
    });
  }
  return total / ((performance.now() - t) / 1000);
}

const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;

async function proofLatency(index: IndexDatabase, size: number): Promise<{ p50: number; p99: number; baseP50: number; baseP99: number }> {
  const reader = new LogReader(index.db);
  const db = index.db as Kysely<Database>;
  const N = 2000;
  const state = await reader.state();
  const idx = Array.from({ length: N }, () => Math.floor(Math.random() * size));
  for (const i of idx.slice(0, 100)) await reader.inclusion(i, size, state); // warm the statement cache
  const times: number[] = [];
  for (const i of idx) {
    const t = performance.now();
    await reader.inclusion(i, size, state);
    times.push(performance.now() - t);
  }
  const base: number[] = [];
  for (const i of idx) {
    const t = performance.now();
    await db.selectFrom('tlog_entries').select('body').where('idx', '=', i).executeTakeFirst();
    base.push(performance.now() - t);
  }
  return { p50: pct(times, 50), p99: pct(times, 99), baseP50: pct(base, 50), baseP99: pct(base, 99) };
}

async function monitorRate(index: IndexDatabase, size: number): Promise<{ rate: number; raw: number }> {
  const reader = new LogReader(index.db);
  const key = parseVerifierKey(signer.verifierKey);
  const state = await reader.state();
  const note = state.checkpoint;
  // Pairs of (older size, proof) a monitor would check against the current checkpoint.
  const pairs: { from: number; root: Buffer; proof: Buffer[] }[] = [];
  for (let i = 0; i < 200; i++) {
    const from = 1 + Math.floor(Math.random() * (size - 1));
    pairs.push({ from, root: await reader.root(from, state), proof: await reader.consistency(from, size, state) });
  }
  const rounds = 5000;
  let t = performance.now();
  for (let i = 0; i < rounds; i++) {
    const p = pairs[i % pairs.length] as (typeof pairs)[number];
    const c = openCheckpoint(note, key);
    verifyConsistency(p.from, c.size, p.proof, p.root, c.root);
  }
  const rate = rounds / ((performance.now() - t) / 1000);
  const msg = Buffer.from(note.slice(0, note.indexOf('\n\n') + 1));
  const kp = generateKeyPairSync('ed25519');
  const sig = sign(null, msg, kp.privateKey);
  t = performance.now();
  for (let i = 0; i < rounds; i++) verify(null, msg, kp.publicKey, sig);
  const raw = rounds / ((performance.now() - t) / 1000);
  return { rate, raw };
}

async function storagePerLeaf(index: IndexDatabase, size: number): Promise<{ tiles: number; lookup: number } | undefined> {
  if (index.driver === 'sqlite') {
    const rows = await sql<{
      name: string;
      bytes: number;
    }>`select name, sum(pgsize) as bytes from dbstat where name in ('tlog_tiles', 'sqlite_autoindex_tlog_tiles_1', 'tlog_entries_prefix') group by name`.execute(
      index.db,
    );
    const by = new Map(rows.rows.map((r) => [r.name, Number(r.bytes)]));
    return {
      tiles: ((by.get('tlog_tiles') ?? 0) + (by.get('sqlite_autoindex_tlog_tiles_1') ?? 0)) / size,
      lookup: (by.get('tlog_entries_prefix') ?? 0) / size,
    };
  }
  const r = await sql<{
    tiles: string;
    lookup: string;
  }>`select pg_total_relation_size('tlog_tiles') as tiles, pg_relation_size('tlog_entries_prefix') as lookup`.execute(index.db);
  const row = r.rows[0];
  return row === undefined ? undefined : { tiles: Number(row.tiles) / size, lookup: Number(row.lookup) / size };
}

async function main(): Promise<void> {
  const backends: [string, () => Promise<Opened>][] = [['SQLite', openSqlite]];
  if (process.env['BENCH_SKIP_PG'] !== '1') backends.push(['PostgreSQL', openPostgres]);
  console.log(`appends: ${APPENDS.toLocaleString()} entries of ~${entryBody(0).length} bytes in batches of ${BATCH}\n`);
  console.log('| backend | log appends/s | plain INSERTs/s (baseline) | ratio | storage per leaf (tiles + lookup) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, open] of backends) {
    const o = await open();
    try {
      const bodies = Array.from({ length: Math.min(APPENDS, 50_000) }, (_, i) => entryBody(i));
      const bodyOf = (i: number): Buffer => bodies[i % bodies.length] as Buffer;
      const plain = await plainInserts(o.index, APPENDS, BATCH, bodyOf);
      const log = await appendAll(o.index, APPENDS, BATCH, bodyOf);
      const s = await storagePerLeaf(o.index, APPENDS);
      console.log(
        `| ${name} | ${log.toFixed(0)} | ${plain.toFixed(0)} | ${(log / plain).toFixed(2)} | ` +
          `${s ? `${s.tiles.toFixed(1)} + ${s.lookup.toFixed(1)} B = ${((s.tiles + s.lookup) / 32).toFixed(2)} × 32 B` : '-'} |`,
      );
    } finally {
      await o.cleanup();
    }
  }
  console.log(
    '\n| leaves | inclusion proof p50 / p99 ms | entry point lookup p50 / p99 ms (baseline) | monitor checks/s | raw Ed25519 verify/s | ratio | storage per leaf |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const size of PROOF_SIZES) {
    const o = await openSqlite();
    try {
      // Tiny bodies: this measures the tree, not the entry store.
      await appendAll(o.index, size, 16_384, (i) => Buffer.from(`e${i}`), true);
      const p = await proofLatency(o.index, size);
      const m = await monitorRate(o.index, size);
      const s = await storagePerLeaf(o.index, size);
      console.log(
        `| ${size.toLocaleString()} | ${p.p50.toFixed(3)} / ${p.p99.toFixed(3)} | ${p.baseP50.toFixed(3)} / ${p.baseP99.toFixed(3)} | ${m.rate.toFixed(0)} | ${m.raw.toFixed(0)} | ` +
          `${(m.rate / m.raw).toFixed(2)} | ${s ? `${((s.tiles + s.lookup) / 32).toFixed(2)} × 32 B` : '-'} |`,
      );
    } finally {
      await o.cleanup();
    }
  }
}

await main();
