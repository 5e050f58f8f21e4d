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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(handle) }) });
  return {
    db,
    driver: 'sqlite',
    location: path,
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'sqlite', { retries: 10 }),
    close: async () => {
      await db.destroy();
      // Kysely's destroy() skips a driver that never ran a query.
      if (handle.open) handle.close();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs more
 * than running our small indexed queries. Kysely emits the same SQL text for
 * the same query shape, so caching by text is safe and the cache stays small.
 */
function cachingStatements(handle: SqliteDatabase.Database): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => handle.close(),
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement === undefined) {
        if (cache.size >= 512) cache.clear();
        statement = handle.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

async function openPostgres(settings: { url: string; schema: string; poolSize: number }): Promise<IndexDatabase> {
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: settings.poolSize,
    // Every connection resolves unqualified names in the configured schema,
    // so tests (and tenants of a shared server) can each have their own.
    options: `-c search_path="${settings.schema}"`,
  });
  // An idle connection the server drops (restart, failover, timeout) is
  // reported here; without a listener Node would treat it as fatal. The pool
  // discards that client and the next query connects afresh.
  pool.on('error', () => undefined);
  const location = redactUrl(settings.url);
  try {
    const client = await pool.connect();
    try {
      await client.query(`create schema if not exists "${settings.schema}"`);
    } catch (e) {
      // Nodes starting together race on "if not exists"; losing that race is fine.
      if ((e as { code?: string }).code !== '23505') throw e;
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
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'postgres', { schema: settings.schema }),
    close: async () => {
      await db.destroy();
      // Kysely's destroy() skips a driver that never ran a query.
      if (!pool.ended) await pool.end();
    },
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

