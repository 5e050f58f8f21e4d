/**
 * The index contract against a REAL PostgreSQL server. Each test gets its own
 * fresh schema (attestry_test_<hex>), dropped afterwards with a separate
 * client. URL: $ATTESTRY_TEST_PG_URL or postgres://postgres@127.0.0.1:5432/test.
 * An unreachable server FAILS this file unless ATTESTRY_TEST_SKIP_PG=1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openIndexDatabase, redactUrl, type IndexDatabase } from '../../src/store/db/connect.js';
import { LATEST_MIGRATION } from '../../src/store/db/migrations.js';
import { TenantsRepo } from '../../src/store/db/tenants-repo.js';
import { expectCode } from './blob-contract.js';
import { indexDatabaseContract } from './index-contract.js';
import { PG_URL, probePostgres, SKIP_PG } from '../helpers/databases.js';

const freshSchema = (): string => `attestry_test_${randomBytes(8).toString('hex')}`;

/** Runs `fn` with a plain pg client that is not part of the code under test. */
async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropSchema(schema: string): Promise<void> {
  await withClient((c) => c.query(`drop schema if exists "${schema}" cascade`));
}

const openSchema = (schema: string, poolSize = 5): Promise<IndexDatabase> =>
  openIndexDatabase({ driver: 'postgres', url: PG_URL, schema, poolSize });

const unreachable = await probePostgres();

if (unreachable !== undefined && SKIP_PG) {
  describe(
    'PostgreSQL index',
    { skip: `ATTESTRY_TEST_SKIP_PG=1 and PostgreSQL at ${redactUrl(PG_URL)} is unreachable: ${unreachable}` },
    () => {
      it('contract', () => undefined);
    },
  );
} else if (unreachable !== undefined) {
  describe('PostgreSQL index', () => {
    it('needs a reachable PostgreSQL server', () => {
      assert.fail(
        `PostgreSQL at ${redactUrl(PG_URL)} is unreachable (${unreachable}). ` +
          'Start it, point ATTESTRY_TEST_PG_URL at one, or set ATTESTRY_TEST_SKIP_PG=1 to skip these tests.',
      );
    });
  });
} else {
  indexDatabaseContract('PostgreSQL index contract', async () => {
    const schema = freshSchema();
    const db = await openSchema(schema);
    return {
      db,
      reopen: () => openSchema(schema),
      async cleanup() {
        try {
          await db.close();
        } finally {
          await dropSchema(schema);
        }
      },
    };
  });

  describe('PostgreSQL index specifics', () => {
    const created: string[] = [];
    const track = (schema: string): string => {
      created.push(schema);
      return schema;
    };
    const dropped: string[] = [];
    // Dropped after EACH test, so that no test sees another test's schemas.
    afterEach(async () => {
      for (const schema of created.splice(0)) {
        await dropSchema(schema);
        dropped.push(schema);
      }
    });
    after(async () => {
      // No test schema of this run is left behind.
      const left = await withClient((c) =>
        c.query<{ n: string }>('select count(*) as n from pg_namespace where nspname = any($1)', [dropped]),
      );
      assert.equal(Number(left.rows[0]?.n), 0);
    });

    it('each run is isolated in its own schema: nothing lands in public', async () => {
      const schema = track(freshSchema());
      const db = await openSchema(schema);
      try {
        assert.equal(db.driver, 'postgres');
        await db.migrate();
        await new TenantsRepo(db.db).add('acme', 'Acme', new Date('2030-01-01T00:00:00Z'));
        await sql`create table isolation_probe (x integer)`.execute(db.db);
        await withClient(async (c) => {
          const where = await c.query<{ table_schema: string; table_name: string }>(
            `select table_schema, table_name from information_schema.tables
              where table_name in ('tenants', 'isolation_probe', 'kysely_migration') and table_schema in ($1, 'public')
              order by table_schema, table_name`,
            [schema],
          );
          assert.deepEqual(where.rows, [
            { table_schema: schema, table_name: 'isolation_probe' },
            { table_schema: schema, table_name: 'kysely_migration' },
            { table_schema: schema, table_name: 'tenants' },
          ]);
          const inPublic = await c.query<{ t: string | null }>(`select to_regclass('public.isolation_probe')::text as t`);
          assert.equal(inPublic.rows[0]?.t, null);
          // The row written through the index is in this schema's table.
          const rows = await c.query<{ id: string }>(`select id from "${schema}".tenants`);
          assert.deepEqual(rows.rows, [{ id: 'acme' }]);
        });
      } finally {
        await db.close();
      }
    });

    it('two schemas on one server are independent, each migrated on its own', async () => {
      const first = track(freshSchema());
      const second = track(freshSchema());
      const a = await openSchema(first);
      const b = await openSchema(second);
      try {
        assert.deepEqual((await a.migrate()).applied, [
          '0001_initial',
          '0002_transparency_log',
          '0003_timestamps',
          '0004_evidence_blobs',
          '0005_signals',
          '0006_reachability',
          '0007_ai',
          '0008_review',
        ]);
        const report = await b.migrate();
        assert.deepEqual(report, {
          applied: [
            '0001_initial',
            '0002_transparency_log',
            '0003_timestamps',
            '0004_evidence_blobs',
            '0005_signals',
            '0006_reachability',
            '0007_ai',
            '0008_review',
          ],
          current: LATEST_MIGRATION,
        });
        await new TenantsRepo(a.db).add('only-in-first', null, new Date('2030-01-01T00:00:00Z'));
        assert.deepEqual(await new TenantsRepo(b.db).list(), []);
        assert.deepEqual(
          (await new TenantsRepo(a.db).list()).map((t) => t.id),
          ['only-in-first'],
        );
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('several nodes opening the same new schema at once all succeed', async () => {
      for (let round = 0; round < 5; round++) {
        const schema = track(freshSchema());
        const results = await Promise.allSettled([1, 2, 3, 4].map(() => openSchema(schema, 1)));
        const opened = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        try {
          const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
          assert.deepEqual(failures, [], `round ${round}: concurrent opens failed`);
          const reports = await Promise.all(opened.map((db) => db.migrate()));
          assert.deepEqual(
            reports.flatMap((r) => r.applied),
            [
              '0001_initial',
              '0002_transparency_log',
              '0003_timestamps',
              '0004_evidence_blobs',
              '0005_signals',
              '0006_reachability',
              '0007_ai',
              '0008_review',
            ],
          );
        } finally {
          for (const db of opened) await db.close();
        }
      }
    });

    it('an unreachable server is E_UNAVAILABLE and the message never shows the password', async () => {
      const url = 'postgres://postgres:secretpw@127.0.0.1:1/test';
      const err = await expectCode(openIndexDatabase({ driver: 'postgres', url, schema: freshSchema(), poolSize: 1 }), 'E_UNAVAILABLE');
      assert.ok(!err.message.includes('secretpw'), `password leaked into: ${err.message}`);
      assert.ok(!JSON.stringify(err.toJSON()).includes('secretpw'));
      assert.match(err.message, /PostgreSQL/);
      assert.match(err.message, /127\.0\.0\.1:1/);
      assert.match(err.message, /postgres:\*\*\*@/);
    });

    it('close() releases every server connection, even when no query ran', async () => {
      const appName = `attestry_close_${randomBytes(6).toString('hex')}`;
      const url = new URL(PG_URL);
      url.searchParams.set('application_name', appName);
      const connections = (): Promise<number> =>
        withClient(async (c) =>
          Number(
            (await c.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [appName])).rows[0]?.n,
          ),
        );
      for (const useIt of [true, false]) {
        const schema = track(freshSchema());
        const db = await openIndexDatabase({ driver: 'postgres', url: url.toString(), schema, poolSize: 2 });
        if (useIt) await sql`select 1`.execute(db.db);
        assert.ok((await connections()) >= 1, 'the open database holds a connection');
        await db.close();
        let left = await connections();
        for (let i = 0; i < 20 && left > 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          left = await connections();
        }
        assert.equal(left, 0, `connections left open after close() (${useIt ? 'after a query' : 'no query ran'})`);
      }
    });

    it('location names the server without its password', async () => {
      const schema = track(freshSchema());
      const db = await openSchema(schema, 1);
      try {
        const u = new URL(PG_URL);
        assert.ok(db.location.includes(u.host), db.location);
        if (u.password !== '') assert.ok(!db.location.includes(u.password));
      } finally {
        await db.close();
      }
    });
  });
}
