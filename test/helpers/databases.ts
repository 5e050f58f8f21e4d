/**
 * Opens fresh index databases for the log tests: a SQLite file in a temp
 * directory, or a fresh schema on the real PostgreSQL (dropped afterwards).
 * An unreachable PostgreSQL fails the suite unless ATTESTRY_TEST_SKIP_PG=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openIndexDatabase, type DatabaseSettings, type IndexDatabase } from '../../src/store/db/connect.js';

export const PG_URL = process.env['ATTESTRY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const SKIP_PG = process.env['ATTESTRY_TEST_SKIP_PG'] === '1';

export interface FreshDatabase {
  readonly settings: DatabaseSettings;
  open(): Promise<IndexDatabase>;
  cleanup(): Promise<void>;
}

export async function freshSqlite(): Promise<FreshDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'attestry-tlog-'));
  const settings: DatabaseSettings = { driver: 'sqlite', path: join(dir, 'index.sqlite') };
  return { settings, open: () => openIndexDatabase(settings), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function freshPostgres(): Promise<FreshDatabase> {
  const schema = `attestry_tlog_${randomBytes(6).toString('hex')}`;
  const settings: DatabaseSettings = { driver: 'postgres', url: PG_URL, schema, poolSize: 10 };
  return {
    settings,
    open: () => openIndexDatabase(settings),
    cleanup: () => dropSchema(schema),
  };
}

/** Undefined when PostgreSQL answers, else why not. */
export async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The back ends to run a contract against; PostgreSQL is skipped only when told to and unreachable. */
export async function backends(): Promise<{ name: string; fresh: () => Promise<FreshDatabase>; skip: string | false }[]> {
  const unreachable = await probePostgres();
  return [
    { name: 'SQLite', fresh: freshSqlite, skip: false },
    {
      name: 'PostgreSQL',
      fresh: freshPostgres,
      skip: unreachable !== undefined && SKIP_PG ? `ATTESTRY_TEST_SKIP_PG=1 and PostgreSQL is unreachable: ${unreachable}` : false,
    },
  ];
}

/** Drops a test's own PostgreSQL schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}
