/**
 * The composition root opens every store from the config and closes them in
 * order, on SQLite and on PostgreSQL (a schema of its own, dropped after);
 * modules register use cases and their kinds, and close before the stores.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { logModule, evidenceModule, modelsModule, BUILTIN_MODULES } from '../../src/app/domains.js';
import type { AppModule } from '../../src/app/modules.js';
import { openApp, type AppCore } from '../../src/app/open-app.js';
import { AttestryError } from '../../src/core/errors.js';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import { dropSchema, PG_URL, probePostgres, SKIP_PG } from '../helpers/databases.js';

interface Backend {
  readonly name: string;
  readonly env: () => Record<string, string>;
  readonly skip: () => string | false;
}

let pgUnreachable: string | undefined;
const schema = `attestry_app_${randomBytes(6).toString('hex')}`;
before(async () => {
  pgUnreachable = await probePostgres();
});
after(async () => {
  if (pgUnreachable === undefined) await dropSchema(schema);
});

const BACKENDS: readonly Backend[] = [
  { name: 'SQLite', env: () => ({}), skip: () => false },
  {
    name: 'PostgreSQL',
    env: () => ({ ATTESTRY_DATABASE_URL: PG_URL, ATTESTRY__Storage__Database__Schema: schema }),
    skip: () => (pgUnreachable !== undefined && SKIP_PG ? `PostgreSQL unreachable: ${pgUnreachable}` : false),
  },
];

function configFor(backend: Backend, dataDir: string, env: Record<string, string> = {}): ResolvedConfig {
  const config = loadConfig({ env: { ...backend.env(), ...env }, dataDir });
  config.Server.LogLevel = 'silent';
  return config;
}

for (const backend of BACKENDS) {
  describe(`openApp on ${backend.name}`, () => {
    let dataDir: string;
    before(() => {
      dataDir = mkdtempSync(join(tmpdir(), 'attestry-app-'));
    });
    after(() => rmSync(dataDir, { recursive: true, force: true }));

    test('opens index, blobs, keys, log, TSA and locker; registers the built-in modules; closes', async (t) => {
      if (backend.skip()) return t.skip(String(backend.skip()));
      const app = await openApp(configFor(backend, dataDir), { verifyThreads: 1 });
      try {
        assert.equal(app.index.driver, backend.name === 'SQLite' ? 'sqlite' : 'postgres');
        assert.deepEqual(app.modules, ['evidence', 'log', 'models', 'signals', 'reachability', 'ai', 'review']);
        assert.equal(app.useCases(evidenceModule), app.locker);
        assert.deepEqual(app.useCases(modelsModule), {});
        assert.equal(app.settings.writer, backend.name === 'SQLite' ? 'thread' : 'direct');
        assert.equal(app.signingKey.keyId, app.config.Signals.Signing.KeyId);
        assert.equal(app.tlog.enabled, true);
        assert.equal(app.tlog.offReason, undefined);
        // The log is reached through its interfaces; there is no database handle on it.
        assert.equal('db' in app.tlog, false);
        const state = await app.useCases(logModule).state();
        assert.equal(state.size, 0);
        assert.equal(state.origin, app.config.Log.Origin);
        assert.deepEqual(await app.tlog.cosignatures.cosignatures(0), []);
        assert.equal(typeof (await app.tlog.cosignatures.issuedCheckpoint(0)), 'string');
        await assert.rejects(
          app.useCases(logModule).acceptCosignature('x'),
          (e: unknown) => e instanceof AttestryError && e.code === 'E_FORBIDDEN',
        );
        await app.pingIndex();
        await app.blobs.ping();
      } finally {
        await app.close();
      }
      // Closing twice is one close.
      await app.close();
      await assert.rejects(app.pingIndex());
    });

    test('a second open finds the index migrated and the keys in place', async (t) => {
      if (backend.skip()) return t.skip(String(backend.skip()));
      const app = await openApp(configFor(backend, dataDir), { verifyThreads: 1 });
      try {
        assert.deepEqual(app.migration.applied, []);
        assert.equal(app.signingKey.created, false);
        assert.equal(app.tlog.key.created, false);
        assert.equal(app.tsa.created, false);
      } finally {
        await app.close();
      }
    });

    test('Log.Enabled: false opens the log read-only and says why', async (t) => {
      if (backend.skip()) return t.skip(String(backend.skip()));
      const app = await openApp(configFor(backend, dataDir, { ATTESTRY__Log__Enabled: 'false' }), { verifyThreads: 1 });
      try {
        assert.equal(app.tlog.enabled, false);
        assert.equal(app.tlog.offReason, 'transparency logging is disabled (Log.Enabled: false)');
        assert.equal(app.policy.logSkipReason('model-signatures'), app.tlog.offReason);
        assert.equal((await app.tlog.reader.state()).size, 0);
      } finally {
        await app.close();
      }
    });

    test('a module registers its kinds and use cases, and closes while the stores are still open', async (t) => {
      if (backend.skip()) return t.skip(String(backend.skip()));
      const events: string[] = [];
      const probe: AppModule<{ ping(): Promise<void> }> = {
        name: 'probe',
        kinds: [
          {
            name: 'test-probes',
            blobs: { primary: 'test-probes/{tenant}/{id}.json' },
            access: { admin: 'rw' },
            retention: { keep: 'forever' },
            switches: { writeEnabled: 'Evidence.WriteEnabled' },
            description: 'a throwaway kind',
          },
        ],
        register: (core: AppCore) => {
          events.push('register');
          return { ping: () => core.pingIndex() };
        },
        close: async (useCases) => {
          await useCases.ping();
          events.push('closed with the index open');
        },
      };
      const app = await openApp(configFor(backend, dataDir), { verifyThreads: 1, modules: [...BUILTIN_MODULES, probe] });
      try {
        assert.deepEqual(app.modules, ['evidence', 'log', 'models', 'signals', 'reachability', 'ai', 'review', 'probe']);
        assert.equal(app.kinds.get('test-probes')?.description, 'a throwaway kind');
        assert.equal(app.policy.writeRefusal('test-probes'), undefined);
        await app.useCases(probe).ping();
      } finally {
        await app.close();
      }
      assert.deepEqual(events, ['register', 'closed with the index open']);
      assert.throws(
        () => app.useCases({ name: 'never-registered', register: () => undefined }),
        (e: unknown) => e instanceof AttestryError && e.code === 'E_INTERNAL',
      );
    });

    test('two modules of one name are refused before anything opens', async (t) => {
      if (backend.skip()) return t.skip(String(backend.skip()));
      await assert.rejects(
        openApp(configFor(backend, dataDir), { modules: [logModule, { name: 'log', register: () => undefined }] }),
        (e: unknown) => e instanceof AttestryError && e.code === 'E_CONFIG' && /two app modules are named log/.test(e.message),
      );
    });

    test('a module that fails to register fails the open, and what was opened is closed', async (t) => {
      if (backend.skip()) return t.skip(String(backend.skip()));
      let earlierClosed = false;
      const earlier: AppModule<undefined> = {
        name: 'earlier',
        register: () => undefined,
        close: async () => {
          earlierClosed = true;
        },
      };
      const broken: AppModule<never> = {
        name: 'broken',
        register: () => {
          throw new AttestryError('E_CONFIG', 'broken: refuses to start');
        },
      };
      await assert.rejects(
        openApp(configFor(backend, dataDir), { verifyThreads: 1, modules: [earlier, broken] }),
        (e: unknown) => e instanceof AttestryError && e.code === 'E_CONFIG' && /broken/.test(e.message),
      );
      assert.equal(earlierClosed, true);
      // Nothing is left holding the index: a fresh open works.
      const app = await openApp(configFor(backend, dataDir), { verifyThreads: 1 });
      await app.close();
    });
  });
}
