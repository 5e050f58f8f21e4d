/**
 * Seed 000 §3.3 over the Signals rows: runtime-fact batches go 90 days after
 * ingest (rows, aggregates, blobs; the attestation stays), callgraphs no
 * batch names go after 30 days, referenced callgraphs and manifests never;
 * every deletion recorded once, however many nodes collect at once.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { collectOrphanBlobs, type GcDeps, type GcReport } from '../../src/evidence/gc.js';
import { BUILTIN_KINDS, builtinKinds } from '../../src/kinds/builtin.js';
import { signalsGcSources } from '../../src/signals/retention.js';
import { backends, type FreshDatabase } from '../helpers/databases.js';
import { BUCKET, gcNode, openGcFixture, type GcFixture } from '../helpers/gc-fixtures.js';
import type { GcNodeInput } from '../helpers/gc-node.js';
import { factCount, insertBatch, insertCallgraph, rowExists, SIGNALS_CONFIG } from '../helpers/gc-signals.js';

const HOUR = 3_600_000;
const kinds = builtinKinds();
const FACTS_REASON = 'retention: kind runtime-facts keeps batches (by ingest time) 90 days (Signals.CAS.RetentionDays.RuntimeFacts)';
const GRAPH_REASON = 'retention: kind callgraphs keeps callgraphs no batch references 30 days (Signals.CAS.RetentionDays.OrphanCallgraphs)';

for (const backend of await backends()) {
  describe(`Signals retention (${backend.name})`, { skip: backend.skip }, () => {
    let fresh: FreshDatabase;
    let f: GcFixture;
    const exists = (key: string): boolean => existsSync(join(f.blobRoot, BUCKET, ...key.split('/')));
    const deps = (config: unknown = SIGNALS_CONFIG): GcDeps => ({
      blobs: f.blobs,
      evidence: f.evidence,
      kinds,
      config,
      ...signalsGcSources({ db: f.index.db, blobs: f.blobs, kinds, config }),
    });
    const gc = (dryRun: boolean, config?: unknown): Promise<GcReport> =>
      collectOrphanBlobs(deps(config), { now: new Date(), minAgeMs: HOUR, dryRun });
    beforeEach(async () => {
      fresh = await backend.fresh();
      f = await openGcFixture(fresh);
    });
    afterEach(() => f.cleanup());

    it('deletes a batch 91 days old with its aggregates and blobs and records it; its attestation and an 89-day batch stay', async () => {
      const graph = await insertCallgraph(f, 400);
      const old = await insertBatch(f, graph.id, 91);
      const young = await insertBatch(f, graph.id, 89);
      assert.equal(await factCount(f, old.id), 2);

      const report = await gc(false);
      assert.deepEqual(report.expired, [{ id: old.id, tenant: 'acme', kind: 'runtime-facts', reason: FACTS_REASON }]);
      assert.equal(report.expiredBlobsRemoved, 2);
      assert.deepEqual(report.orphans, [], 'the expired blobs are not reported again as orphans');
      assert.equal(await rowExists(f, 'signals_batches', old.id), false);
      assert.equal(await factCount(f, old.id), 0, 'its aggregates went with it');
      for (const key of old.keys) assert.ok(!exists(key), `${key} removed`);
      // The attestation is a locker record of kind attestations: kept forever.
      assert.ok(old.attestation !== undefined);
      assert.ok((await f.evidence.get(old.id)) !== undefined, 'attestation record kept');
      assert.ok(exists(old.attestation.blobKey), 'attestation blob kept');
      assert.ok(await rowExists(f, 'signals_batches', young.id));
      assert.equal(await factCount(f, young.id), 2);
      for (const key of [...young.keys, ...graph.keys]) assert.ok(exists(key), `${key} kept`);

      const deletions = await f.evidence.deletions();
      assert.equal(deletions.length, 1);
      const d = deletions[0];
      assert.ok(d !== undefined);
      assert.deepEqual(
        { id: d.id, tenant: d.tenant, kind: d.kind, reason: d.reason, logIndex: d.logIndex },
        { id: old.id, tenant: 'acme', kind: 'runtime-facts', reason: FACTS_REASON, logIndex: null },
      );
      assert.deepEqual(
        d.blobs.map((b) => b.key),
        old.keys,
      );
      assert.match(d.digest, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(d.subjects, [{ digest: d.digest, name: `runtime-facts/${old.id}` }]);
      assert.deepEqual((await gc(false)).expired, [], 'nothing more the second time');
    });

    it('deletes an orphan callgraph 31 days old; keeps a 29-day orphan, one a batch names at 400 days, and every manifest', async () => {
      const orphan = await insertCallgraph(f, 31);
      const youngOrphan = await insertCallgraph(f, 29);
      const referenced = await insertCallgraph(f, 400);
      await insertBatch(f, referenced.id, 5);
      const intent = await insertCallgraph(f, 100, { state: 'writing' });

      const report = await gc(false);
      assert.deepEqual(report.expired, [{ id: orphan.id, tenant: 'acme', kind: 'callgraphs', reason: GRAPH_REASON }]);
      assert.equal(report.expiredBlobsRemoved, 2);
      assert.equal(await rowExists(f, 'signals_callgraphs', orphan.id), false);
      for (const key of orphan.keys.filter((k) => k !== orphan.manifestKey)) assert.ok(!exists(key), `${key} removed`);
      assert.ok(exists(orphan.manifestKey), 'the manifest of a deleted callgraph stays');
      for (const g of [youngOrphan, referenced, intent]) {
        assert.ok(await rowExists(f, 'signals_callgraphs', g.id), `${g.id} kept`);
        for (const key of g.keys) assert.ok(exists(key), `${key} kept`);
      }
      const deletions = await f.evidence.deletions();
      assert.deepEqual(
        deletions.map((d) => [d.id, d.kind, d.reason]),
        [[orphan.id, 'callgraphs', GRAPH_REASON]],
      );
      // Later runs, long after: the manifest is never taken for an orphan.
      const later = await collectOrphanBlobs(deps(), { now: new Date(Date.now() + 365 * 86_400_000), minAgeMs: HOUR, dryRun: true });
      assert.ok(!later.orphans.includes(orphan.manifestKey), 'a deleted callgraph keeps its manifest referenced');
    });

    it('rolls on: a callgraph whose only batch expires is an orphan in the same run', async () => {
      const graph = await insertCallgraph(f, 120);
      const batch = await insertBatch(f, graph.id, 100);
      const expected = [
        ['runtime-facts', batch.id],
        ['callgraphs', graph.id],
      ];
      const dry = await gc(true);
      assert.deepEqual(
        dry.expired.map((e) => [e.kind, e.id]),
        expected,
        'a dry run foresees it',
      );
      assert.ok(await rowExists(f, 'signals_batches', batch.id));
      const report = await gc(false);
      assert.deepEqual(
        report.expired.map((e) => [e.kind, e.id]),
        expected,
      );
      assert.equal(report.expiredBlobsRemoved, 4);
    });

    it('a dry run reports what a run deletes and removes nothing', async () => {
      const orphan = await insertCallgraph(f, 31);
      const graph = await insertCallgraph(f, 400);
      const batch = await insertBatch(f, graph.id, 91);
      await insertBatch(f, graph.id, 1);
      const dry = await gc(true);
      assert.deepEqual(
        dry.expired.map((e) => [e.kind, e.id]),
        [
          ['runtime-facts', batch.id],
          ['callgraphs', orphan.id],
        ],
      );
      assert.equal(dry.expiredBlobsRemoved, 0);
      assert.ok(await rowExists(f, 'signals_batches', batch.id));
      assert.ok(await rowExists(f, 'signals_callgraphs', orphan.id));
      assert.equal(await factCount(f, batch.id), 2);
      for (const key of [...batch.keys, ...orphan.keys]) assert.ok(exists(key), `${key} kept by the dry run`);
      assert.deepEqual(await f.evidence.deletions(), []);
      const real = await gc(false);
      assert.deepEqual(real.expired, dry.expired);
    });

    it('leaves unfinished writes (intent rows) to repair, however old', async () => {
      const graph = await insertCallgraph(f, 400);
      const intent = await insertBatch(f, graph.id, 200, { state: 'writing' });
      const report = await gc(false);
      assert.deepEqual(report.expired, []);
      assert.ok(await rowExists(f, 'signals_batches', intent.id));
      for (const key of intent.keys) assert.ok(exists(key), `${key} kept`);
    });

    it('refuses 0 days, naming the key', async () => {
      await assert.rejects(
        gc(true, { Signals: { CAS: { RetentionDays: { RuntimeFacts: 0, OrphanCallgraphs: 30 } } } }),
        (e: Error & { code?: string }) => e.code === 'E_CONFIG' && /Signals\.CAS\.RetentionDays\.RuntimeFacts.*0/.test(e.message),
      );
    });

    it('two GCs at once delete each batch and callgraph once and record each deletion once', async () => {
      const graphs = [];
      const batches = [];
      for (let i = 0; i < 10; i++) {
        const graph = await insertCallgraph(f, 400);
        graphs.push(graph);
        for (let j = 0; j < 3; j++) batches.push(await insertBatch(f, graph.id, 91 + i + j));
      }
      const orphans = [];
      for (let i = 0; i < 10; i++) orphans.push(await insertCallgraph(f, 31 + i));
      const kept = await insertCallgraph(f, 400);
      await insertBatch(f, kept.id, 3);

      const start = new SharedArrayBuffer(4);
      const input: GcNodeInput = {
        settings: fresh.settings,
        blobRoot: f.blobRoot,
        bucket: BUCKET,
        kinds: BUILTIN_KINDS,
        config: SIGNALS_CONFIG,
        signals: true,
        now: new Date().toISOString(),
        start,
      };
      const nodes = [gcNode(input), gcNode(input)];
      await new Promise((resolve) => setTimeout(resolve, 300));
      Atomics.store(new Int32Array(start), 0, 1);
      Atomics.notify(new Int32Array(start), 0);
      const [a, b] = (await Promise.all(nodes)) as [GcReport, GcReport];

      // Every batch expires; then every callgraph is an orphan (its batches went) except `kept`.
      const expected = [...batches, ...graphs, ...orphans].map((r) => r.id).sort();
      const deletedBy = [...a.expired, ...b.expired].map((e) => e.id).sort();
      assert.deepEqual(deletedBy, expected, 'each deleted by exactly one node');
      const deletions = await f.evidence.deletions();
      assert.deepEqual(
        deletions.map((d) => d.id),
        expected,
        'one deletion row each',
      );
      for (const r of [...batches, ...graphs, ...orphans])
        for (const key of r.keys.filter((k) => !k.startsWith('manifests/'))) assert.ok(!exists(key), `${key} removed`);
      for (const g of [...graphs, ...orphans]) assert.ok(exists(g.manifestKey), `manifest ${g.manifestKey} kept`);
      for (const key of kept.keys) assert.ok(exists(key), `${key} kept`);
      for (const r of batches) assert.ok((await f.evidence.get(r.id)) !== undefined, 'attestations kept');
    });
  });
}
