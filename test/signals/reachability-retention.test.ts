/**
 * A callgraph a reachability verdict cites is referenced: Signals retention
 * (RetentionDays.OrphanCallgraphs) never deletes it, though no batch names
 * it; an uncited orphan of the same age still goes. SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ulid } from 'ulid';
import { collectOrphanBlobs, type GcDeps } from '../../src/evidence/gc.js';
import { builtinKinds } from '../../src/kinds/builtin.js';
import { signalsGcSources } from '../../src/signals/retention.js';
import { SignalsRetentionRepo } from '../../src/store/db/signals-retention-repo.js';
import { VerdictsRepo } from '../../src/store/db/verdicts-repo.js';
import { backends } from '../helpers/databases.js';
import { BUCKET, openGcFixture, type GcFixture } from '../helpers/gc-fixtures.js';
import { insertCallgraph, rowExists, SIGNALS_CONFIG } from '../helpers/gc-signals.js';

const HOUR = 3_600_000;
const kinds = builtinKinds();

for (const backend of await backends()) {
  describe(`retention keeps callgraphs that verdicts cite (${backend.name})`, { skip: backend.skip }, () => {
    let f: GcFixture;
    const exists = (key: string): boolean => existsSync(join(f.blobRoot, BUCKET, ...key.split('/')));
    const deps = (): GcDeps => ({
      blobs: f.blobs,
      evidence: f.evidence,
      kinds,
      config: SIGNALS_CONFIG,
      ...signalsGcSources({ db: f.index.db, blobs: f.blobs, kinds, config: SIGNALS_CONFIG }),
    });
    beforeEach(async () => {
      f = await openGcFixture(await backend.fresh());
    });
    afterEach(() => f.cleanup());

    const cite = async (graphId: string): Promise<void> => {
      const now = new Date().toISOString();
      const outcome = await new VerdictsRepo(f.index.db).insert({
        verdictId: ulid(),
        tenant: 'acme',
        callgraphId: graphId,
        symbol: 'sym:java:lib.V.reach()',
        sequence: 1,
        previousId: null,
        digest: `sha256:${'1'.repeat(64)}`,
        state: 'StaticReachable',
        evidenceDigest: `sha256:${'2'.repeat(64)}`,
        decidedAt: now,
        createdAt: now,
      });
      assert.deepEqual(outcome, { outcome: 'inserted' });
    };

    it('a 31-day-old callgraph no batch names but a verdict cites stays; an uncited one goes', async () => {
      const cited = await insertCallgraph(f, 31);
      const orphan = await insertCallgraph(f, 31);
      await cite(cited.id);

      const dry = await collectOrphanBlobs(deps(), { now: new Date(), minAgeMs: HOUR, dryRun: true });
      assert.deepEqual(
        dry.expired.map((e) => e.id),
        [orphan.id],
      );
      const report = await collectOrphanBlobs(deps(), { now: new Date(), minAgeMs: HOUR, dryRun: false });
      assert.deepEqual(
        report.expired.map((e) => [e.id, e.kind]),
        [[orphan.id, 'callgraphs']],
      );
      assert.equal(await rowExists(f, 'signals_callgraphs', orphan.id), false);
      assert.ok(await rowExists(f, 'signals_callgraphs', cited.id), 'the cited graph is kept');
      for (const key of cited.keys) assert.ok(exists(key), `${key} kept`);
      assert.deepEqual(
        (await f.evidence.deletions()).map((d) => d.id),
        [orphan.id],
      );
    });

    it('the conditional delete itself refuses a graph a verdict cites (a verdict added after the listing)', async () => {
      const graph = await insertCallgraph(f, 31);
      const repo = new SignalsRetentionRepo(f.index.db);
      const before = new Date(Date.now() - 30 * 86_400_000).toISOString();
      assert.deepEqual(
        (await repo.orphanCallgraphsBefore({ before, limit: 10 })).map((r) => r.id),
        [graph.id],
      );
      await cite(graph.id);
      assert.deepEqual(await repo.orphanCallgraphsBefore({ before, limit: 10 }), []);
      const deleted = await repo.deleteOrphanCallgraph({ id: graph.id, before, reason: 'test', deletedAt: new Date(), blobs: [] });
      assert.equal(deleted, undefined);
      assert.ok(await rowExists(f, 'signals_callgraphs', graph.id));
    });
  });
}
