import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { AttestryError } from '../../core/errors.js';
import { migrateToLatest, type MigrationReport } from './migrations.js';
import type { Database } from './schema.js';

export type DatabaseSettings =
  | { readonly driver: 'sqlite'; readonly path: string }
  | { readonly driver: 'postgres'; readonly url: string; readonly schema: string; readonly poolSize: number };

export interface IndexDatabase {
  readonly db: Kysely<Database>;
  readonly driver: 'sqlite' | 'postgres';
  /** Where it is, for logs; a PostgreSQL URL has its password removed. */
  readonly location: string;
  migrate(): Promise<MigrationReport>;
  close(): Promise<void>;
}

export async function openIndexDatabase(settings: DatabaseSettings): Promise<IndexDatabase> {
  return settings.driver === 'sqlite' ? openSqlite(settings.path) : openPostgres(settings);
}

function openSqlite(path: string): IndexDatabase {
  let handle: SqliteDatabase.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    handle = new SqliteDatabase(path);
    // WAL lets readers run beside the writer; FULL makes each commit durable
    // (the group-commit writer keeps that to one fsync per batch).
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = FULL');
    handle.pragma('busy_timeout = 5000');
    handle.pragma('foreign_keys = ON');
  } catch (e) {
    throw new AttestryError('E_UNAVAILABLE', `cannot open SQLite index ${path}: ${(e as Error).message}`, { cause: e });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
  return {
    db,
    driver: 'sqlite',
    location: path,
    migrate: () => migrateToLatest(db as Kysely<unknown>),
    close: () => db.destroy(),
  };
}

async function openPostgres(settings: { url: string; schema: string; poolSize: number }): Promise<IndexDatabase> {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.poolSize,
    // Every connection resolves unqualified names in the configured schema,
    // so tests (and tenants of a shared server) can each have their own.
    options: `-c search_path=${settings.schema}`,
  });
  const location = redactUrl(settings.url);
  try {
    const client = await pool.connect();
    try {
      await client.query(`create schema if not exists "${settings.schema}"`);
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new AttestryError('E_UNAVAILABLE', `cannot reach PostgreSQL at ${location}: ${(e as Error).message}`, { cause: e });
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    driver: 'postgres',
    location,
    migrate: () => migrateToLatest(db as Kysely<unknown>),
    close: () => db.destroy(),
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

/** True when the error is a unique-constraint violation in either backend. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string } | undefined;
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

