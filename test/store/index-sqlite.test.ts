import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { openIndexDatabase, type IndexDatabase } from '../../src/store/db/connect.js';
import { expectCode } from './blob-contract.js';
import { indexDatabaseContract } from './index-contract.js';

const openFile = (path: string): Promise<IndexDatabase> => openIndexDatabase({ driver: 'sqlite', path });

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'attestry-index-sqlite-'));
}

indexDatabaseContract('SQLite index contract', async () => {
  const dir = await freshDir();
  const path = join(dir, 'nested', 'index.db');
  const db = await openFile(path);
  return {
    db,
    reopen: () => openFile(path),
    async cleanup() {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite index specifics', () => {
  it('uses WAL journaling, synchronous=FULL, foreign keys and a busy timeout', async () => {
    const dir = await freshDir();
    const path = join(dir, 'index.db');
    const db = await openFile(path);
    try {
      assert.equal(db.driver, 'sqlite');
      assert.equal(db.location, path);
      await db.migrate();
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(db.db);
      assert.equal(journal.rows[0]?.journal_mode, 'wal');
      const sync = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.db);
      assert.equal(sync.rows[0]?.synchronous, 2, 'synchronous must be FULL (2)');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db.db);
      assert.equal(fk.rows[0]?.foreign_keys, 1);
      const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(db.db);
      assert.ok((busy.rows[0]?.timeout ?? 0) > 0, 'busy_timeout must be set');
    } finally {
      await db.close();
    }
    // WAL mode is persistent in the file: a plain handle opened afterwards sees it too.
    const raw = new SqliteDatabase(path, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      const tables = raw.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as { name: string }[];
      for (const t of ['evidence', 'evidence_subjects', 'tenants', 'tokens', 'trusted_keys']) {
        assert.ok(
          tables.some((x) => x.name === t),
          `table ${t} missing`,
        );
      }
    } finally {
      raw.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('data survives closing and reopening the file', async () => {
    const dir = await freshDir();
    const path = join(dir, 'index.db');
    try {
      const first = await openFile(path);
      await first.migrate();
      await first.db.insertInto('tenants').values({ id: 'acme', display_name: 'Acme', created_at: '2030-01-01T00:00:00.000Z' }).execute();
      await first.close();
      const second = await openFile(path);
      try {
        assert.deepEqual((await second.migrate()).applied, []);
        const rows = await second.db.selectFrom('tenants').selectAll().execute();
        assert.deepEqual(rows, [{ id: 'acme', display_name: 'Acme', created_at: '2030-01-01T00:00:00.000Z' }]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unopenable path is E_UNAVAILABLE', async () => {
    const dir = await freshDir();
    try {
      // A directory cannot be opened as a database file.
      const err = await expectCode(openFile(dir), 'E_UNAVAILABLE');
      assert.match(err.message, /SQLite/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
