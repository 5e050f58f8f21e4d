import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GcReport } from '../../src/evidence/gc.js';
import type { KindDeclaration } from '../../src/kinds/declaration.js';
import { backends, type FreshDatabase } from '../helpers/databases.js';
import { BUCKET, gcNode, openGcFixture, RETENTION_CONFIG, TEST_KINDS, type GcFixture } from '../helpers/gc-fixtures.js';

const kind = (name: string): KindDeclaration => TEST_KINDS.find((k) => k.name === name) as KindDeclaration;

for (const backend of await backends()) {
  describe(`two GCs at once (${backend.name})`, { skip: backend.skip }, () => {
    let fresh: FreshDatabase;
    let f: GcFixture;
    before(async () => {
      fresh = await backend.fresh();
      f = await openGcFixture(fresh);
    });
    after(() => f.cleanup());

    it('delete each expired record and each orphan once, and record each deletion once', async () => {
      const expired = [];
      for (let i = 0; i < 30; i++) expired.push(await f.record(kind('runtime-facts'), 100 + i));
      const kept = [
        await f.record(kind('runtime-facts'), 10),
        await f.record(kind('attestations'), 5000),
        await f.record(kind('callgraphs'), 2),
      ];
      const orphans = [];
      for (let i = 0; i < 10; i++) orphans.push(await f.orphan(kind(i % 2 === 0 ? 'callgraphs' : 'attestations'), 'primary', 1));

      const start = new SharedArrayBuffer(4);
      const input = {
        settings: fresh.settings,
        blobRoot: f.blobRoot,
        bucket: BUCKET,
        kinds: TEST_KINDS,
        config: RETENTION_CONFIG,
        now: new Date().toISOString(),
        start,
      };
      const nodes = [gcNode(input), gcNode(input)];
      // Both are connected and waiting; let them go together.
      await new Promise((resolve) => setTimeout(resolve, 300));
      Atomics.store(new Int32Array(start), 0, 1);
      Atomics.notify(new Int32Array(start), 0);
      const [a, b] = (await Promise.all(nodes)) as [GcReport, GcReport];

      const deletedBy = [...a.expired, ...b.expired].map((e) => e.id).sort();
      assert.deepEqual(deletedBy, expired.map((r) => r.id).sort(), 'every expired record deleted by exactly one node');
      assert.equal(a.expiredBlobsRemoved + b.expiredBlobsRemoved, 2 * expired.length);
      const deletions = await f.evidence.deletions();
      assert.deepEqual(
        deletions.map((d) => d.id),
        expired.map((r) => r.id).sort(),
        'one deletion row per record',
      );
      for (const r of expired) {
        assert.equal(await f.evidence.get(r.id), undefined);
        for (const blob of r.blobs ?? []) assert.ok(!existsSync(join(f.blobRoot, BUCKET, ...blob.key.split('/'))), `${blob.key} removed`);
      }
      // Orphans: either node may remove one (a blob delete is idempotent); between them all are gone. A node
      // may also see the blobs of a record the other has just deleted from the index (and not yet from the
      // store) as orphans: removing them twice is fine, and nothing else is ever taken for one.
      const seen = new Set<string>([...a.orphans, ...b.orphans]);
      for (const key of orphans) assert.ok(seen.has(key), `${key} found`);
      const expiredBlobs = new Set(expired.flatMap((r) => (r.blobs ?? []).map((x) => x.key)));
      for (const key of seen)
        assert.ok((orphans as string[]).includes(key) || expiredBlobs.has(key), `${key} is an orphan or an expired record's blob`);
      for (const key of orphans) assert.ok(!existsSync(join(f.blobRoot, BUCKET, ...key.split('/'))), `${key} removed`);
      for (const r of kept) {
        assert.ok((await f.evidence.get(r.id)) !== undefined, `${r.kind} ${r.id} kept`);
        for (const blob of r.blobs ?? []) assert.ok(existsSync(join(f.blobRoot, BUCKET, ...blob.key.split('/'))), `${blob.key} kept`);
      }
    });
  });
}
