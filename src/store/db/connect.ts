import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { ensureDir } from '../../core/atomic-file.js';
import { AttestryError } from '../../core/errors.js';
import { migrateToLatest, type MigrationReport } from './migrations.js';
import { sqliteError } from './sqlite-errors.js';
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
  let handle: SqliteDatabase.Database | undefined;
  try {
    if (path !== ':memory:') ensureDir(dirname(path));
    handle = new SqliteDatabase(path);
    // WAL lets readers run beside the writer; FULL makes each commit durable
    // (the group-commit writer keeps that to one fsync per batch).
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = FULL');
    handle.pragma('busy_timeout = 5000');
    handle.pragma('foreign_keys = ON');
  } catch (e) {
    // A pragma can fail after the file opened (WAL on a read-only disk): do not leak the handle.
    if (handle?.open === true) handle.close();
    const mapped = sqliteError(e, 'open', path);
    // A cause we can name (read-only, full, no permission) says so; otherwise it is unavailable, as before.
    throw mapped.code === 'E_INTERNAL'
      ? new AttestryError('E_UNAVAILABLE', `cannot open SQLite index ${path}: ${(e as Error).message}`, { cause: e })
      : mapped;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(handle) }) });
  return {
    db,
    driver: 'sqlite',
    location: path,
    migrate: async () => {
      try {
        return await migrateToLatest(db as Kysely<unknown>, 'sqlite', { retries: 10 });
      } catch (e) {
        // A full or read-only disk at start is that, not a failed migration.
        const cause = e instanceof AttestryError ? e.cause : e;
        const mapped = sqliteError(cause, 'migrate', path);
        throw mapped.code === 'E_INTERNAL' ? e : mapped;
      }
    },
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
const NO_OP_STATEMENT = { reader: false, run: () => ({ changes: 0, lastInsertRowid: 0 }) } as unknown as SqliteDatabase.Statement;

function cachingStatements(handle: SqliteDatabase.Database): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => handle.close(),
    prepare: (sql: string) => {
      // SQLite ends a transaction by itself on some errors (SQLITE_FULL, SQLITE_IOERR);
      // Kysely's ROLLBACK would then fail with "no transaction is active" and
      // hide the error that matters, so a rollback with nothing to undo does nothing.
      if (sql === 'rollback' && !handle.inTransaction) return NO_OP_STATEMENT;
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
  // Imported here, not at the top: the embedded default (SQLite) never needs the driver.
  const { default: pg } = await import('pg');
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
    // Kysely's existence check lists the tables of every schema, which fails
    // ("schema … does not exist") while another client drops a schema; that
    // is transient, so the run is retried.
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'postgres', { schema: settings.schema, retries: 5 }),
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
