/**
 * Signals blobs are named by rows of the Signals tables, not by evidence
 * records: GC must ask those rows too (seed 000 §3.3), in `attestry gc` and
 * in the service's scheduled run alike.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { ulid } from 'ulid';
import { openIndexServices } from '../../src/app/index-services.js';
import { startGcJob, type GcJob } from '../../src/app/gc-job.js';
import type { ServiceLog } from '../../src/app/service.js';
import { loadConfig } from '../../src/core/config.js';
import { systemClock } from '../../src/core/ids.js';
import { collectOrphanBlobs, type GcDeps } from '../../src/evidence/gc.js';
import { builtinKinds } from '../../src/kinds/builtin.js';
import { signalsGcSources } from '../../src/signals/retention.js';
import { openBlobStore } from '../../src/store/blob/open.js';
import { startServer } from '../../src/server/serve.js';
import { TenantsRepo } from '../../src/store/db/tenants-repo.js';
import { expectAttestryError } from '../core/helpers.js';
import { expectExit, jsonOut, runCli } from '../helpers/cli.js';
import { backends } from '../helpers/databases.js';
import { BUCKET, openGcFixture, type GcFixture } from '../helpers/gc-fixtures.js';
import { insertBatch, insertCallgraph, rowExists, SIGNALS_CONFIG } from '../helpers/gc-signals.js';

const HOUR = 3_600_000;
const kinds = builtinKinds();

for (const backend of await backends()) {
  describe(`GC and the Signals rows (${backend.name})`, { skip: backend.skip }, () => {
    let f: GcFixture;
    const exists = (key: string): boolean => existsSync(join(f.blobRoot, BUCKET, ...key.split('/')));
    const deps = (): GcDeps => ({
      blobs: f.blobs,
      evidence: f.evidence,
      kinds,
      config: SIGNALS_CONFIG,
      ...signalsGcSources({ db: f.index.db, blobs: f.blobs, kinds, config: SIGNALS_CONFIG }),
    });
    before(async () => {
      f = await openGcFixture(await backend.fresh());
      await new TenantsRepo(f.index.db).add('globex', null, new Date());
    });
    after(() => f.cleanup());

    it('keeps every blob a callgraph or batch row names (intents too) and collects the same blobs without a row', async () => {
      const graph = await insertCallgraph(f, 2);
      const batch = await insertBatch(f, graph.id, 1);
      const intent = await insertCallgraph(f, 1, { state: 'writing' });
      const stranger = await insertCallgraph(f, 1, { tenant: 'globex' });
      const old = Date.now() - 2 * HOUR;
      const orphans = [
        kinds.blobKey('callgraphs', 'content', 'acme', ulid(old)),
        kinds.blobKey('callgraphs', 'primary', 'acme', ulid(old)),
        kinds.blobKey('runtime-facts', 'primary', 'acme', ulid(old)),
        kinds.blobKey('runtime-facts', 'content', 'acme', ulid(old)),
        kinds.blobKey('manifests', 'manifest', 'acme', ulid(old)),
        // Another tenant's row does not make this tenant's key of the same id referenced.
        kinds.blobKey('callgraphs', 'content', 'acme', stranger.id),
        kinds.blobKey('runtime-facts', 'content', 'globex', batch.id),
      ];
      for (const key of orphans) await f.blobs.put(key, Buffer.from('left by an interrupted write'));
      const named = [...graph.keys, ...batch.keys, ...intent.keys, ...stranger.keys];

      // What GC did before it asked the Signals rows: every row's blobs looked like orphans.
      const blind = await collectOrphanBlobs(
        { blobs: f.blobs, evidence: f.evidence, kinds },
        { now: new Date(), minAgeMs: HOUR, dryRun: true },
      );
      for (const key of named) assert.ok(blind.orphans.includes(key), `${key} is named by no evidence record`);

      const dry = await collectOrphanBlobs(deps(), { now: new Date(), minAgeMs: HOUR, dryRun: true });
      assert.deepEqual([...dry.orphans].sort(), [...orphans].sort());
      for (const key of orphans) assert.ok(exists(key), `dry run: ${key} still there`);

      const real = await collectOrphanBlobs(deps(), { now: new Date(), minAgeMs: HOUR, dryRun: false });
      assert.deepEqual([...real.orphans].sort(), [...orphans].sort());
      assert.equal(real.removed, orphans.length);
      assert.deepEqual(real.expired, [], 'nothing here is past retention');
      for (const key of orphans) assert.ok(!exists(key), `${key} removed`);
      for (const key of named) assert.ok(exists(key), `${key} kept`);
      assert.ok(batch.attestation !== undefined && exists(batch.attestation.blobKey), 'the attestation (an evidence record) kept');
      assert.ok(await rowExists(f, 'signals_callgraphs', graph.id));
      assert.ok(await rowExists(f, 'signals_batches', batch.id));
    });
  });
}

describe('attestry gc over an installation with Signals rows', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'attestry-gc-signals-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps what the rows name, applies Signals retention, and a dry run removes nothing', async () => {
    const config = loadConfig({ env: {}, dataDir });
    const services = await openIndexServices(config);
    const blobs = await openBlobStore(config);
    const target = { index: services.index, evidence: services.repos.evidence, blobs };
    await services.repos.tenants.add('acme', null, new Date());
    const graph = await insertCallgraph(target, 400);
    const live = await insertBatch(target, graph.id, 10);
    const expired = await insertBatch(target, graph.id, 91);
    const orphan = kinds.blobKey('callgraphs', 'content', 'acme', ulid(Date.now() - 3 * HOUR));
    await blobs.put(orphan, Buffer.from('{}'));
    await blobs.close();
    await services.close();
    const path = (key: string): string => join(dataDir, 'cas', 'signals', ...key.split('/'));

    const dry = jsonOut(expectExit(await runCli(['gc', '--data-dir', dataDir, '--dry-run', '--json']), 0));
    assert.deepEqual(dry['orphans'], [orphan]);
    assert.deepEqual(
      (dry['expired'] as { id: string; kind: string }[]).map((e) => [e.id, e.kind]),
      [[expired.id, 'runtime-facts']],
    );
    assert.ok(existsSync(path(orphan)));
    for (const key of expired.keys) assert.ok(existsSync(path(key)), `dry run keeps ${key}`);

    const real = jsonOut(expectExit(await runCli(['gc', '--data-dir', dataDir, '--json']), 0));
    assert.deepEqual(real['orphans'], [orphan]);
    assert.equal(real['removed'], 1);
    assert.equal(real['expiredBlobsRemoved'], 2);
    assert.ok(!existsSync(path(orphan)));
    for (const key of expired.keys) assert.ok(!existsSync(path(key)), `${key} expired`);
    for (const key of [...graph.keys, ...live.keys]) assert.ok(existsSync(path(key)), `${key} kept`);
    assert.ok(expired.attestation !== undefined && existsSync(path(expired.attestation.blobKey)), 'the expired batch attestation kept');
  });
});

test('the service runs GC on its schedule and stops it on close', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-gc-job-'));
  try {
    const config = loadConfig({ env: {}, dataDir, port: 0 });
    config.Server.LogLevel = 'silent';
    config.Gc.MinAgeSeconds = 60;
    const server = await startServer(config, { logLevel: 'silent', gcIntervalMs: 50 });
    let closed = false;
    try {
      const s = server.services;
      await s.repos.tenants.add('acme', null, new Date());
      const target = { index: s.index, evidence: s.repos.evidence, blobs: s.blobs };
      const graph = await insertCallgraph(target, 1);
      const expired = await insertBatch(target, graph.id, 91);
      const orphan = kinds.blobKey('runtime-facts', 'content', 'acme', ulid(Date.now() - 2 * HOUR));
      await s.blobs.put(orphan, Buffer.from('{}'));
      const path = (key: string): string => join(dataDir, 'cas', 'signals', ...key.split('/'));
      const job = server.gc as GcJob;
      assert.ok(job !== undefined, 'Gc.Enabled is on by default');
      const deadline = Date.now() + 10_000;
      while (existsSync(path(orphan)) || existsSync(path(expired.keys[0] as string))) {
        assert.ok(Date.now() < deadline, `the scheduled GC ran (runs ${job.runs}, error ${String(job.lastError)})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      for (const key of graph.keys) assert.ok(existsSync(path(key)), `${key} kept`);
      assert.equal(await rowExists(target, 'signals_batches', expired.id), false);
      await server.close();
      closed = true;
      const runs = job.runs;
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(job.runs, runs, 'no run after close');
    } finally {
      if (!closed) await server.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a failed scheduled run is logged, and the next tick runs again', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-gc-job-'));
  const errors: string[] = [];
  const log: ServiceLog = { info: () => undefined, error: (_fields, message) => errors.push(message) };
  let job: GcJob | undefined;
  try {
    const config = loadConfig({ env: {}, dataDir });
    const services = await openIndexServices(config);
    const blobs = await openBlobStore(config);
    // A closed index: every run fails, as it would with the database down.
    await services.close();
    job = startGcJob({ index: services.index, repos: services.repos, blobs, kinds, config }, log, {
      intervalMs: 20,
      minAgeMs: HOUR,
      clock: systemClock,
    });
    const deadline = Date.now() + 5_000;
    while (job.runs < 2) {
      assert.ok(Date.now() < deadline, 'runs go on after a failure');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(job.lastError instanceof Error);
    assert.ok(errors.length >= 2 && errors.every((m) => m.startsWith('gc: scheduled run failed')), errors.join('\n'));
    await job.stop();
    await blobs.close();
  } finally {
    await job?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the Gc section: on by default, strict, set from the environment', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c.Gc, { Enabled: true, IntervalMinutes: 60, MinAgeSeconds: 3600 });
  const set = loadConfig({ env: { ATTESTRY__Gc__Enabled: 'false', ATTESTRY__Gc__IntervalMinutes: '5' } });
  assert.equal(set.Gc.Enabled, false);
  assert.equal(set.Gc.IntervalMinutes, 5);
  expectAttestryError(() => loadConfig({ env: { ATTESTRY__Gc__IntervalMinutes: '0' } }), 'E_CONFIG', /Gc\.IntervalMinutes/);
  expectAttestryError(() => loadConfig({ env: { ATTESTRY__Gc__Interval: '5' } }), 'E_CONFIG', /Gc\.Interval: unknown key/);
});

test('a tick while a run is still going is skipped, never a second run beside it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-gc-job-'));
  const log: ServiceLog = { info: () => undefined, error: () => undefined };
  let job: GcJob | undefined;
  try {
    const config = loadConfig({ env: {}, dataDir });
    const services = await openIndexServices(config);
    const blobs = await openBlobStore(config);
    try {
      await services.repos.tenants.add('acme', null, new Date());
      const target = { index: services.index, evidence: services.repos.evidence, blobs };
      for (let i = 0; i < 20; i++) await insertBatch(target, (await insertCallgraph(target, 1)).id, 1);
      // Every run takes longer than a millisecond (it lists and looks up the rows above).
      job = startGcJob({ index: services.index, repos: services.repos, blobs, kinds, config }, log, {
        intervalMs: 1,
        minAgeMs: HOUR,
        clock: systemClock,
      });
      const deadline = Date.now() + 5_000;
      while (job.runs < 3 || job.skipped === 0) {
        assert.ok(Date.now() < deadline, `runs ${job.runs}, skipped ${job.skipped}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(job.lastError, undefined);
      await job.stop();
      const runs = job.runs;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(job.runs, runs, 'stopped');
    } finally {
      await job?.stop();
      await blobs.close();
      await services.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('Gc.Enabled: false starts no scheduled GC', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-gc-job-'));
  try {
    const config = loadConfig({ env: { ATTESTRY__Gc__Enabled: 'false' }, dataDir, port: 0 });
    config.Server.LogLevel = 'silent';
    const server = await startServer(config, { logLevel: 'silent', gcIntervalMs: 10 });
    assert.equal(server.gc, undefined);
    await server.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
