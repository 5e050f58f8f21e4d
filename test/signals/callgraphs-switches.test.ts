/**
 * Seed 000 §9 switches on callgraph writes, and crash repair, over a real
 * app on SQLite and PostgreSQL. A crash is a locker that stops before (or
 * right after) storing the manifest record, as a killed process would.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { ulidSource } from '../../src/core/ids.js';
import type { EvidenceLocker } from '../../src/evidence/locker.js';
import { CallgraphService } from '../../src/signals/callgraphs.js';
import { verifyManifestSignature } from '../../src/signals/manifest.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { dropSchema, probePostgres, SKIP_PG } from '../helpers/databases.js';
import {
  bodyOf,
  ndjsonCallgraph,
  openSignalsTestApp,
  principalOf,
  readAll,
  rejectsWith,
  tripwireBody,
  type SignalsBackend,
} from '../helpers/signals.js';
import type { ResolvedConfig } from '../../src/core/config.js';

const pgUnreachable = await probePostgres();
const GRAPH = ndjsonCallgraph(3, [
  [0, 1],
  [1, 2],
]);
const scanner = principalOf('scanner-worker', ['acme']);
const policy = principalOf('policy-engine', ['acme']);
const query = (graphId?: string) => ({
  language: 'python',
  source: 'stella-callgraph-python',
  componentPurl: 'pkg:pypi/requests@2.31.0',
  ...(graphId === undefined ? {} : { graphId }),
});

/** The real locker, except that the process "dies" before or after it stores the manifest record. */
function crashingLocker(real: EvidenceLocker, when: 'before' | 'after'): EvidenceLocker {
  const crashing: Pick<EvidenceLocker, 'putRecord' | 'get' | 'logInfo'> = {
    putRecord: async (p, input) => {
      if (when === 'after') await real.putRecord(p, input);
      throw new Error(`simulated crash ${when} the manifest record`);
    },
    get: (p, id) => real.get(p, id),
    logInfo: (row) => real.logInfo(row),
  };
  return crashing as EvidenceLocker;
}

for (const backend of ['sqlite', 'postgres'] as const satisfies readonly SignalsBackend[]) {
  describe(`callgraph switches and repair on ${backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`, () => {
    const skip = backend === 'postgres' && pgUnreachable !== undefined && SKIP_PG ? `PostgreSQL unreachable: ${pgUnreachable}` : false;
    const schemas: string[] = [];
    const open = (configure?: (c: ResolvedConfig) => void) => {
      const schema = `attestry_sigsw_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return openSignalsTestApp(backend, schema, { tenants: ['acme'], ...(configure === undefined ? {} : { configure }) });
    };
    after(async () => {
      if (backend === 'postgres' && !skip) for (const s of schemas) await dropSchema(s);
    });

    it('Signals.CAS.WriteEnabled false: E_READ_ONLY 503 naming the key, before the body is read', { skip }, async () => {
      const t = await open((c) => {
        c.Signals.CAS.WriteEnabled = false;
      });
      try {
        const body = tripwireBody(GRAPH);
        await assert.rejects(
          new CallgraphService(t.deps).storeCallgraph(scanner, query(), body.body, 'ndjson'),
          rejectsWith('E_READ_ONLY', 503, /Signals\.CAS\.WriteEnabled is false/),
        );
        assert.equal(body.read(), false);
      } finally {
        await t.close();
      }
    });

    for (const [name, key, configure] of [
      ['SignManifests', 'Signals.Provenance.SignManifests', (c: ResolvedConfig) => (c.Signals.Provenance.SignManifests = false)],
      ['Provenance.Enabled', 'Signals.Provenance.Enabled', (c: ResolvedConfig) => (c.Signals.Provenance.Enabled = false)],
    ] as const) {
      it(`${name} false: the manifest is stored unsigned with a skipReason naming ${key}; it has no envelope`, { skip }, async () => {
        const t = await open(configure);
        try {
          const service = new CallgraphService(t.deps);
          const { manifest, created } = await service.storeCallgraph(scanner, query(), bodyOf(GRAPH), 'ndjson');
          assert.equal(created, true);
          assert.equal(manifest.signature, null);
          assert.equal(manifest.signerKeyId, null);
          assert.equal(manifest.rekorUuid, null);
          assert.match(manifest.skipReason ?? '', new RegExp(`${key.replace(/\./g, '\\.')} is false`));
          assert.deepEqual(await service.getManifest(policy, manifest.graphId), manifest);
          await assert.rejects(service.getManifestEnvelope(policy, manifest.graphId), rejectsWith('E_NOT_FOUND', 404, /unsigned/));
          await assert.rejects(t.app.locker.get(principalOf('admin', '*'), manifest.graphId), rejectsWith('E_NOT_FOUND', 404));
          assert.ok((await t.app.blobs.head(`manifests/${manifest.graphId}.json` as CasKey)) !== undefined);
          assert.equal((await readAll((await service.getCallgraph(policy, manifest.graphId)).content)).length > 0, true);
        } finally {
          await t.close();
        }
      });
    }

    it('RekorEnabled false: signed but not logged, skipReason names Signals.Provenance.RekorEnabled', { skip }, async () => {
      const t = await open((c) => {
        c.Signals.Provenance.RekorEnabled = false;
      });
      try {
        const service = new CallgraphService(t.deps);
        const { manifest } = await service.storeCallgraph(scanner, query(), bodyOf(GRAPH), 'ndjson');
        assert.ok(verifyManifestSignature(manifest, t.deps.signer.publicKey));
        assert.equal(manifest.rekorUuid, null);
        assert.match(manifest.skipReason ?? '', /Signals\.Provenance\.RekorEnabled is false/);
        assert.deepEqual(await service.getManifest(policy, manifest.graphId), manifest);
      } finally {
        await t.close();
      }
    });

    it(
      'a crash before or after the manifest record is repaired: the graph is acknowledged once, verifiable, logged',
      { skip },
      async () => {
        const t = await open();
        try {
          const real = new CallgraphService(t.deps);
          const ids: string[] = [];
          for (const when of ['before', 'after'] as const) {
            const crashing = new CallgraphService({ ...t.deps, locker: crashingLocker(t.app.locker, when) });
            const graphId = ulidSource().next();
            ids.push(graphId);
            await assert.rejects(crashing.storeCallgraph(scanner, query(graphId), bodyOf(GRAPH), 'ndjson'), /simulated crash/);
            // Not acknowledged: readers do not see it.
            await assert.rejects(real.getManifest(policy, graphId), rejectsWith('E_NOT_FOUND', 404));
          }
          assert.deepEqual(
            await real.repairCallgraphs({ olderThanMs: 60_000 }),
            { completed: [], removed: [] },
            'fresh intents are left alone',
          );
          const report = await real.repairCallgraphs();
          assert.deepEqual([...report.completed].sort(), [...ids].sort());
          assert.deepEqual(report.removed, []);
          for (const id of ids) {
            const manifest = await real.getManifest(policy, id);
            assert.ok(verifyManifestSignature(manifest, t.deps.signer.publicKey));
            assert.match(manifest.rekorUuid ?? '', /^[0-9a-f]{64}$/);
            const evidence = await t.deps.db.selectFrom('evidence').select('id').where('id', '=', id).execute();
            assert.equal(evidence.length, 1, 'one locker record per graph');
          }
          assert.deepEqual(await real.repairCallgraphs(), { completed: [], removed: [] });
        } finally {
          await t.close();
        }
      },
    );

    it(
      'the client retrying a crashed upload with its graphId completes it (created false); an intent missing a blob is removed',
      { skip },
      async () => {
        const t = await open();
        try {
          const real = new CallgraphService(t.deps);
          const crashing = new CallgraphService({ ...t.deps, locker: crashingLocker(t.app.locker, 'before') });
          const retried = ulidSource().next();
          await assert.rejects(crashing.storeCallgraph(scanner, query(retried), bodyOf(GRAPH), 'ndjson'), /simulated crash/);
          const again = await real.storeCallgraph(scanner, query(retried), bodyOf(GRAPH), 'ndjson');
          assert.equal(again.created, false);
          assert.deepEqual(await real.getManifest(policy, retried), again.manifest);

          const damaged = ulidSource().next();
          await assert.rejects(crashing.storeCallgraph(scanner, query(damaged), bodyOf(GRAPH), 'ndjson'), /simulated crash/);
          await t.app.blobs.delete(`callgraphs/acme/${damaged}.ndjson.zst` as CasKey);
          assert.deepEqual(await real.repairCallgraphs(), { completed: [], removed: [damaged] });
          assert.equal(
            await t.deps.db.selectFrom('signals_callgraphs').select('graph_id').where('graph_id', '=', damaged).executeTakeFirst(),
            undefined,
          );
          // The id is free again: a new upload under it is a new graph.
          assert.equal((await real.storeCallgraph(scanner, query(damaged), bodyOf(GRAPH), 'ndjson')).created, true);
        } finally {
          await t.close();
        }
      },
    );
  });
}
