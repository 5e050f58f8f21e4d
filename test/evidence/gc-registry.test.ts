import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectOrphanBlobs } from '../../src/evidence/gc.js';
import type { KindDeclaration } from '../../src/kinds/declaration.js';
import { KindRegistry } from '../../src/kinds/registry.js';
import { parseCasKey } from '../../src/kinds/cas-layout.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { ulid } from 'ulid';
import { backends, freshSqlite } from '../helpers/databases.js';
import { BUCKET, fillUnchecked, openGcFixture, RETENTION_CONFIG, TEST_KINDS, type GcFixture } from '../helpers/gc-fixtures.js';

const HOUR = 3_600_000;
const kind = (name: string): KindDeclaration => TEST_KINDS.find((k) => k.name === name) as KindDeclaration;
const ATTESTATIONS = kind('attestations');
const RUNTIME_FACTS = kind('runtime-facts');
const CALLGRAPHS = kind('callgraphs');

for (const backend of await backends()) {
  describe(`GC over the kind registry (${backend.name})`, { skip: backend.skip }, () => {
    let f: GcFixture;
    const exists = (key: string): boolean => existsSync(join(f.blobRoot, BUCKET, ...key.split('/')));
    before(async () => {
      f = await openGcFixture(await backend.fresh());
    });
    after(() => f.cleanup());

    it('without a registry, scans the prefix of every kind of the layout (not only the locker four)', async () => {
      const orphans = [
        await f.orphan(CALLGRAPHS, 'content', 1),
        await f.orphan(RUNTIME_FACTS, 'primary', 1),
        parseCasKey(`manifests/${ulid(Date.now() - 2 * HOUR)}.json`),
      ];
      await f.blobs.put(orphans[2] as CasKey, Buffer.from('{}'));
      const report = await collectOrphanBlobs({ blobs: f.blobs, evidence: f.evidence }, { now: new Date(), minAgeMs: HOUR, dryRun: false });
      for (const key of orphans) assert.ok(report.orphans.includes(key), `${key} is found`);
      assert.equal(report.retentionApplied, false);
      assert.deepEqual(report.expired, []);
      for (const key of orphans) assert.ok(!exists(key), `${key} removed`);
    });

    it('keeps both blobs of a record that references two, and removes an orphan next to them', async () => {
      const record = await f.record(CALLGRAPHS, 1);
      const [meta, content] = [record.blobs?.[0]?.key as string, record.blobs?.[1]?.key as string];
      assert.deepEqual(await f.evidence.blobsOf(record.id), [
        { role: 'primary', key: meta },
        { role: 'content', key: content },
      ]);
      const orphan = await f.orphan(CALLGRAPHS, 'content', 1);
      const report = await collectOrphanBlobs(
        { blobs: f.blobs, evidence: f.evidence, kinds: new KindRegistry(TEST_KINDS) },
        { now: new Date(), minAgeMs: HOUR, dryRun: false },
      );
      assert.deepEqual(report.orphans, [orphan]);
      assert.equal(report.removed, 1);
      assert.ok(exists(meta) && exists(content), 'both referenced blobs kept');
      assert.ok(!exists(orphan));
      assert.ok((await f.evidence.get(record.id)) !== undefined);
    });

    it('retention deletes expired records of a days kind with their blobs and records each deletion; forever kinds stay', async () => {
      const expired = await f.record(RUNTIME_FACTS, 91);
      const young = await f.record(RUNTIME_FACTS, 89);
      const ancient = await f.record(ATTESTATIONS, 3650);
      const deps = { blobs: f.blobs, evidence: f.evidence, kinds: new KindRegistry(TEST_KINDS), config: RETENTION_CONFIG };
      const reason = 'retention: kind runtime-facts keeps records 90 days (Signals.CAS.RetentionDays.RuntimeFacts)';

      const dry = await collectOrphanBlobs(deps, { now: new Date(), minAgeMs: HOUR, dryRun: true });
      assert.deepEqual(dry.expired, [{ id: expired.id, tenant: 'acme', kind: 'runtime-facts', reason }]);
      assert.ok((await f.evidence.get(expired.id)) !== undefined, 'a dry run deletes nothing');
      assert.deepEqual(await f.evidence.deletions(), []);

      const real = await collectOrphanBlobs(deps, { now: new Date(), minAgeMs: HOUR, dryRun: false });
      assert.deepEqual(real.expired, [{ id: expired.id, tenant: 'acme', kind: 'runtime-facts', reason }]);
      assert.equal(real.expiredBlobsRemoved, 2);
      assert.deepEqual(real.orphans, [], 'the expired blobs are not reported again as orphans');
      assert.equal(await f.evidence.get(expired.id), undefined);
      assert.deepEqual(await f.evidence.blobsOf(expired.id), []);
      assert.deepEqual(await f.evidence.subjects(expired.id), []);
      for (const b of expired.blobs ?? []) assert.ok(!exists(b.key), `${b.key} removed`);
      for (const r of [young, ancient]) {
        assert.ok((await f.evidence.get(r.id)) !== undefined, `${r.kind} ${r.id} kept`);
        for (const b of r.blobs ?? []) assert.ok(exists(b.key), `${b.key} kept`);
      }
      const deletions = await f.evidence.deletions();
      assert.equal(deletions.length, 1);
      assert.deepEqual(
        { ...deletions[0], deletedAt: undefined },
        {
          id: expired.id,
          tenant: 'acme',
          kind: 'runtime-facts',
          digest: expired.digest,
          subjects: expired.subjects,
          blobs: expired.blobs,
          reason,
          createdAt: expired.createdAt,
          deletedAt: undefined,
          logIndex: null,
        },
      );
      assert.deepEqual(await f.evidence.deletions({ tenants: ['globex'] }), []);
      // Nothing more to do the second time.
      const again = await collectOrphanBlobs(deps, { now: new Date(), minAgeMs: HOUR, dryRun: false });
      assert.deepEqual(again.expired, []);
    });

    it('refuses to guess a retention period the config does not give', async () => {
      await assert.rejects(
        collectOrphanBlobs(
          { blobs: f.blobs, evidence: f.evidence, kinds: new KindRegistry(TEST_KINDS), config: { Signals: {} } },
          { now: new Date(), minAgeMs: HOUR, dryRun: true },
        ),
        (e: Error & { code?: string }) => e.code === 'E_CONFIG' && /Signals\.CAS\.RetentionDays\.RuntimeFacts/.test(e.message),
      );
    });
  });
}

/** A kind declared only here: GC scans its prefix and applies its retention, from the declaration alone. */
const SBOM_SCANS: KindDeclaration = {
  name: 'sbom-scans',
  payloadTypes: ['application/vnd.example.sbom-scan+json'],
  blobs: { primary: 'sbom-scans/{tenant}/{id}.dsse.json', report: 'sbom-scans/{tenant}/{id}.report.json' },
  access: { admin: 'rw', 'signals-service': 'rw' },
  retention: { keep: 'days', configKey: 'Test.SbomScanDays' },
  description: 'a throwaway kind declared by the GC test',
};

describe('GC follows a throwaway kind declared in the test', () => {
  let f: GcFixture;
  before(async () => {
    f = await openGcFixture(await freshSqlite(), fillUnchecked);
  });
  after(() => f.cleanup());

  it('scans its prefix and applies its retention', async () => {
    const kinds = new KindRegistry([...TEST_KINDS, SBOM_SCANS]);
    const kept = await f.record(SBOM_SCANS, 1);
    const old = await f.record(SBOM_SCANS, 8);
    const orphan = await f.orphan(SBOM_SCANS, 'report', 1);
    const report = await collectOrphanBlobs(
      { blobs: f.blobs, evidence: f.evidence, kinds, config: { ...RETENTION_CONFIG, Test: { SbomScanDays: 7 } } },
      { now: new Date(), minAgeMs: HOUR, dryRun: false },
    );
    assert.deepEqual(report.orphans, [orphan]);
    assert.deepEqual(
      report.expired.map((e) => e.id),
      [old.id],
    );
    assert.equal(report.expiredBlobsRemoved, 2);
    assert.ok((await f.evidence.get(kept.id)) !== undefined);
    assert.equal((await f.evidence.deletions()).length, 1);
    // Without the declaration the prefix is not GC's to touch.
    const without = await collectOrphanBlobs(
      { blobs: f.blobs, evidence: f.evidence, kinds: new KindRegistry(TEST_KINDS), config: RETENTION_CONFIG },
      { now: new Date(), minAgeMs: 0, dryRun: true },
    );
    assert.ok(!without.orphans.some((k) => k.startsWith('sbom-scans/')));
  });
});
