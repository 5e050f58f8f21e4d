/**
 * GET /signals/runtime-facts/ndjson's use case (seed 000 §6.2, §6.3) on
 * SQLite and PostgreSQL: facts of stored batches in batch order, with and
 * without provenance, `since`, pages that end at batch boundaries and resume
 * by cursor, tenant isolation, and a body that is pulled, not buffered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { deleteBatchBlobs } from '../../src/signals/batch-blobs.js';
import type { RuntimeFactProvenance, StreamFactsQuery } from '../../src/signals/types.js';
import { hasCode as code, principalOf } from '../helpers/signals.js';
import {
  BACKENDS,
  chunks,
  factLinesOf,
  ingestQuery,
  insertGraph,
  ndjson,
  openFactsEnv,
  readAll,
  skipReason,
  type FactsEnv,
} from './facts-fixture.js';

const HOUR = 3_600_000;
const BASE = Date.UTC(2025, 0, 1);
const SIZES = [10, 20, 30, 40];

for (const backend of BACKENDS) {
  describe(`streaming runtime facts on ${backend}`, () => {
    let env: FactsEnv;
    let skip: string | false = false;
    let graph: string;
    const batches: { provenance: RuntimeFactProvenance; lines: string[] }[] = [];

    before(async () => {
      skip = await skipReason(backend);
      if (skip !== false) return;
      env = await openFactsEnv(backend);
      graph = await insertGraph(env.t.deps, 'acme');
      // Batch k: facts observed from hour k on, one a minute (batch 3 runs past hour 3 into hour 4).
      for (const [k, n] of SIZES.entries()) {
        const lines = factLinesOf(n, { observedAt: (i) => new Date(BASE + k * HOUR + i * 60_000).toISOString() });
        const { provenance } = await env.service.ingestFacts(
          env.agent,
          { ...ingestQuery(graph), receivedAt: new Date(BASE + (k + 1) * HOUR) },
          chunks(ndjson(lines)),
          'ndjson',
        );
        batches.push({ provenance, lines });
      }
      // A batch without observedAt: its facts count as observed when it was received (hour 10).
      const lines = factLinesOf(5);
      const { provenance } = await env.service.ingestFacts(
        env.agent,
        { ...ingestQuery(graph), receivedAt: new Date(BASE + 10 * HOUR) },
        chunks(ndjson(lines)),
        'ndjson',
      );
      batches.push({ provenance, lines });
    });
    after(async () => {
      if (skip === false) await env.close();
    });

    const stream = async (q: Partial<StreamFactsQuery>, principal = env.agent) => {
      const { next, body } = await env.service.streamFacts(principal, { includeProvenance: false, callgraphId: graph, ...q });
      const text = (await readAll(body)).toString('utf8');
      return { next, lines: text === '' ? [] : text.slice(0, -1).split('\n') };
    };

    test('every fact of every batch, in batch order, as stored', async (t) => {
      if (skip) return t.skip(skip);
      const { next, lines } = await stream({});
      assert.equal(next, undefined);
      assert.deepEqual(
        lines,
        batches.flatMap((b) => b.lines),
      );
    });

    test('include_provenance adds provenance_hash and callgraph_id to each fact', async (t) => {
      if (skip) return t.skip(skip);
      const { lines } = await stream({ includeProvenance: true });
      const expected = batches.flatMap((b) =>
        b.lines.map((l) => ({ ...(JSON.parse(l) as object), provenance_hash: b.provenance.provenanceHash, callgraph_id: graph })),
      );
      assert.deepEqual(
        lines.map((l) => JSON.parse(l) as unknown),
        expected,
      );
    });

    test('since keeps facts observed after it (received time for facts without observedAt)', async (t) => {
      if (skip) return t.skip(skip);
      const since = BASE + HOUR + 5 * 60_000 + 30_000; // inside batch 1
      const { lines } = await stream({ since: new Date(since).toISOString() });
      const expected = batches.flatMap((b) =>
        b.lines.filter((l) => {
          const observed = (JSON.parse(l) as { observedAt?: string }).observedAt;
          return (observed === undefined ? Date.parse(b.provenance.receivedAt) : Date.parse(observed)) > since;
        }),
      );
      assert.equal(expected.length, 14 + 30 + 40 + 5);
      assert.deepEqual(lines, expected);
      assert.deepEqual((await stream({ since: new Date(BASE + 11 * HOUR).toISOString() })).lines, []);
      await assert.rejects(stream({ since: 'yesterday' }), code('E_INVALID_INPUT', /since/));
    });

    test('limit pages end at batch boundaries; the cursor resumes after the page', async (t) => {
      if (skip) return t.skip(skip);
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await stream({ limit: 25, ...(cursor === undefined ? {} : { cursor }) });
        pages.push(page.lines);
        cursor = page.next;
      } while (cursor !== undefined && pages.length < 10);
      assert.deepEqual(
        pages.map((p) => p.length),
        [30, 30, 40, 5],
        'batches 10+20, then 30, then 40, then 5',
      );
      assert.deepEqual(
        pages.flat(),
        batches.flatMap((b) => b.lines),
      );
      assert.match((await stream({ limit: 1 })).next ?? '', /^[A-Za-z0-9_-]+$/, 'the cursor is opaque base64url');
      await assert.rejects(stream({ cursor: 'bm9wZQ' }), code('E_INVALID_INPUT', /cursor/));
    });

    test('tenants see only their own facts; roles follow §3.2', async (t) => {
      if (skip) return t.skip(skip);
      const outsider = principalOf('policy-engine', ['other']);
      assert.deepEqual((await stream({}, outsider)).lines, []);
      assert.deepEqual((await stream({ tenant: 'acme' }, outsider)).lines, []);
      assert.equal((await stream({}, principalOf('policy-engine', ['acme']))).lines.length, 105);
      assert.equal((await stream({ tenant: 'acme' }, principalOf('admin', '*'))).lines.length, 105);
      await assert.rejects(stream({}, principalOf('scanner-worker', ['acme'])), code('E_FORBIDDEN'));
    });

    test('facts of a JSON document batch stream as one object per line', async (t) => {
      if (skip) return t.skip(skip);
      const docGraph = await insertGraph(env.t.deps, 'acme');
      const events = [
        { symbolId: 'sym:a', hitCount: 2, observedAt: '2025-01-01T00:00:01Z' },
        { symbolId: 'sym:b', type: 'socket_connect', socketAddress: '10.0.0.1:443', metadata: { pid: 7 } },
      ];
      const doc = Buffer.from(JSON.stringify({ subject: { image: 'x' }, callgraphId: docGraph, events }, null, 2));
      const { provenance } = await env.service.ingestFacts(env.agent, { source: 's', pipelineVersion: 'v' }, chunks(doc, 5), 'json');
      const { lines } = await stream({ callgraphId: docGraph, includeProvenance: true });
      assert.deepEqual(
        lines.map((l) => JSON.parse(l) as unknown),
        events.map((e) => ({ ...e, provenance_hash: provenance.provenanceHash, callgraph_id: docGraph })),
      );
    });

    test('a batch retention deletes after the page was listed is skipped, not an error', async (t) => {
      if (skip) return t.skip(skip);
      const g = await insertGraph(env.t.deps, 'acme');
      const kept = ndjson(factLinesOf(3));
      const first = await env.service.ingestFacts(env.agent, ingestQuery(g), chunks(ndjson(factLinesOf(2))), 'ndjson');
      await env.service.ingestFacts(env.agent, ingestQuery(g), chunks(kept), 'ndjson');
      const { body } = await env.service.streamFacts(env.agent, { callgraphId: g, includeProvenance: false, limit: 100 });
      // What the retention job does: the row (with its aggregates), then the blobs.
      const db = env.t.app.index.db;
      await db.deleteFrom('signals_facts').where('batch_id', '=', first.provenance.batchId).execute();
      await db.deleteFrom('signals_batches').where('batch_id', '=', first.provenance.batchId).execute();
      await deleteBatchBlobs(env.t.deps, 'acme', first.provenance.batchId);
      assert.deepEqual(await readAll(body), kept);
    });

    test('the body is pulled: an unread stream holds about one chunk, not the result', async (t) => {
      if (skip) return t.skip(skip);
      const big = await insertGraph(env.t.deps, 'acme');
      for (let b = 0; b < 2; b++) await env.service.ingestFacts(env.agent, ingestQuery(big), chunks(ndjson(factLinesOf(10_000))), 'ndjson');
      const { body } = await env.service.streamFacts(env.agent, { callgraphId: big, includeProvenance: true });
      body.pause();
      body.read(0);
      await sleep(100);
      assert.ok(body.readableLength <= 256 * 1024, `buffered ${body.readableLength} bytes`);
      const all = await readAll(body);
      assert.ok(all.length > 2 * 1024 * 1024, 'the whole result is much larger');
      assert.equal(all.toString('utf8').split('\n').length - 1, 20_000);
    });

    test('streaming with provenance throughput (printed, not asserted)', async (t) => {
      if (skip) return t.skip(skip);
      const big = await insertGraph(env.t.deps, 'acme');
      for (let b = 0; b < 5; b++)
        await env.service.ingestFacts(env.agent, ingestQuery(big), chunks(ndjson(factLinesOf(10_000, { symbols: 500 }))), 'ndjson');
      const start = process.hrtime.bigint();
      const { body } = await env.service.streamFacts(env.agent, { callgraphId: big, includeProvenance: true });
      let bytes = 0;
      for await (const c of body) bytes += (c as Buffer).length;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      t.diagnostic(
        `${backend}: streamed ${Math.round(50_000 / seconds)} facts/s with provenance (${(bytes / seconds / 1e6).toFixed(0)} MB/s)`,
      );
    });
  });
}
