/**
 * Seed 000 end to end through the real server, on SQLite and on PostgreSQL:
 * a scanner's callgraph goes in scrambled and comes back normalised under
 * the manifest's digest (as does the same graph sent as a stella.callgraph.v1
 * document); the manifest's signature verifies with the key the service
 * publishes, and its log entry is provable; by-purl finds it with and without
 * a version, newest first; runtime agents send batches plain, gzip and zstd,
 * or as one JSON document, whose provenanceHash is the sha256 of the decoded
 * bytes; batches, provenance records and attestations read back and verify;
 * the NDJSON stream honours include_provenance, since and its cursor; a named
 * batch is safe to retry; and the §8.1 counters move by exactly what was stored.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import zstd from 'zstd-napi';
import { ulidSource } from '../../src/core/ids.js';
import { isRecord } from '../helpers/model.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { MANIFEST_FIELDS, PROVENANCE_FIELDS } from '../helpers/signals.js';
import {
  assertLogged,
  DIGEST_RE,
  expectError,
  FACTS_PREDICATE_TYPE,
  factsNdjson,
  graphNdjson,
  ingestFacts,
  INTOTO_PAYLOAD_TYPE,
  json,
  makeFacts,
  makeGraph,
  manifestSignatureVerifies,
  metricSum,
  metricType,
  ndjsonObjects,
  publishedKey,
  rawGet,
  scrape,
  sha256Tag as sha256,
  SIGNALS_KEY_ID,
  signalsBackends,
  uploadGraph,
  ULID_RE,
  verifiedDssePayload,
  type Fact,
  type Reply,
} from '../helpers/signals-http.js';

const BILLING = 'pkg:maven/org.acme/billing';
const GRAPH = makeGraph(12, 'billing');

function assertIso(value: unknown, what: string): void {
  assert.equal(typeof value, 'string', `${what} is a string`);
  assert.ok(!Number.isNaN(Date.parse(String(value))), `${what} is a timestamp: ${String(value)}`);
  assert.ok(Math.abs(Date.parse(String(value)) - Date.now()) < 10 * 60_000, `${what} is about now: ${String(value)}`);
}

function assertManifest(m: Record<string, unknown>, expect: { purl: string; tenant: string; nodes: number; edges: number }): void {
  for (const f of MANIFEST_FIELDS) assert.ok(f in m, `manifest has §4.2 field ${f}`);
  for (const f of Object.keys(m)) assert.ok([...MANIFEST_FIELDS, 'skipReason'].includes(f), `no field beyond §4.2 (+skipReason): ${f}`);
  assert.match(String(m['graphId']), ULID_RE);
  assert.match(String(m['digest']), DIGEST_RE);
  assert.equal(m['language'], 'java');
  assert.equal(m['source'], 'stella-callgraph-java');
  assertIso(m['createdAt'], 'createdAt');
  assert.equal(m['tenantId'], expect.tenant);
  assert.equal(m['componentPurl'], expect.purl);
  assert.deepEqual([...(m['entryPoints'] as string[])].sort(), [GRAPH.nodes[0]?.id, GRAPH.nodes[1]?.id]);
  assert.equal(m['nodeCount'], expect.nodes);
  assert.equal(m['edgeCount'], expect.edges);
  assert.equal(m['signerKeyId'], SIGNALS_KEY_ID);
  assert.equal(typeof m['signature'], 'string');
  assert.ok(String(m['signature']).length > 40, 'a real signature');
  assert.equal(m['skipReason'] ?? null, null, 'logged: no skipReason');
}

function assertProvenance(
  p: Record<string, unknown>,
  expect: { callgraphId: string; body: Buffer; facts: readonly Fact[]; types: string[] },
): void {
  assert.deepEqual(Object.keys(p).sort(), [...PROVENANCE_FIELDS].sort(), 'exactly the §5.1 fields');
  assert.match(String(p['provenanceId']), ULID_RE);
  assert.match(String(p['batchId']), ULID_RE);
  assert.notEqual(p['provenanceId'], p['batchId']);
  assert.equal(p['callgraphId'], expect.callgraphId);
  assertIso(p['ingestedAt'], 'ingestedAt');
  assertIso(p['receivedAt'], 'receivedAt');
  assert.equal(p['tenantId'], 't1');
  assert.equal(p['source'], 'host-17.ebpf');
  assert.equal(p['pipelineVersion'], '3f2a9c1');
  assert.equal(p['provenanceHash'], sha256(expect.body), 'provenanceHash = sha256 of the bytes as received, after transfer decoding');
  assert.equal(p['signerKeyId'], SIGNALS_KEY_ID);
  assert.equal(p['skipReason'], null);
  assert.equal(p['factCount'], expect.facts.length);
  assert.deepEqual(p['factTypes'], expect.types);
}

for (const backend of await signalsBackends()) {
  describe(`Signals end to end on ${backend.name}`, { skip: backend.skip }, () => {
    let srv: TestServer;
    let cleanup: (() => Promise<void>) | undefined;
    let svc: string;
    let admin: string;
    let metricsBefore: string;
    /** Manifests by name, in upload order. */
    const graphs: Record<string, Record<string, unknown>> = {};
    const order: string[] = [];
    /** Batches: their reply and decoded body. */
    const batches: { name: string; provenance: Record<string, unknown>; body: Buffer; facts: Fact[] }[] = [];
    let factsStored = 0;
    let symbolHitsStored = 0;
    let graphsStored = 0;
    /** Batches stored besides those in `batches` (other graphs, other forms). */
    let otherBatches = 0;

    /** `canonical`: the PURL as the manifest states it (packageurl-js's canonical form), when not `purl` itself. */
    const upload = async (name: string, purl: string, body: string, canonical = purl): Promise<Record<string, unknown>> => {
      await sleep(3); // distinct createdAt, so "newest first" has one answer
      const r = await uploadGraph(srv, svc, { tenant: 't1', purl, body });
      assert.equal(r.status, 201, r.text);
      const m = json(r);
      assertManifest(m, { purl: canonical, tenant: 't1', nodes: GRAPH.nodes.length, edges: GRAPH.edges.length });
      graphs[name] = m;
      order.push(name);
      graphsStored++;
      return m;
    };
    const id = (name: string): string => String(graphs[name]?.['graphId']);

    before(async () => {
      const db = await backend.open();
      cleanup = db.cleanup;
      srv = await startTestServer({ env: db.env });
      await srv.addTenant('t1');
      svc = await srv.token('signals-service', ['t1']);
      admin = await srv.token('admin', ['*']);
      metricsBefore = await scrape(srv);
    });
    after(async () => {
      await srv?.stop();
      await cleanup?.();
    });

    test('POST /signals/callgraphs stores a scrambled NDJSON graph: 201 with the §4.2 manifest, signed and logged', async () => {
      const m = await upload('billing-1', `${BILLING}@1.0.0`, graphNdjson(GRAPH, 7));
      await assertLogged(srv, m['rekorUuid']);
    });

    test('GET /signals/callgraphs/{graphId} serves the normalised graph; its sha256 is the manifest digest', async () => {
      const r = await rawGet(srv, `/signals/callgraphs/${id('billing-1')}`, svc);
      assert.equal(r.status, 200);
      assert.equal(r.error, undefined, 'the stream completes');
      assert.match(String(r.headers.get('content-type')), /^application\/x-ndjson/);
      const bytes = r.bytes as Buffer;
      assert.equal(sha256(bytes), graphs['billing-1']?.['digest']);
      const lines = ndjsonObjects(bytes);
      const nodes = lines.filter((l) => l['kind'] === 'node');
      const edges = lines.filter((l) => l['kind'] === 'edge');
      assert.equal(nodes.length + edges.length, lines.length, 'only nodes and edges');
      assert.equal(lines.indexOf(edges[0] as Record<string, unknown>), nodes.length, 'nodes first, then edges');
      const ids = nodes.map((n) => String(n['id']));
      assert.deepEqual(ids, [...GRAPH.nodes.map((n) => n.id)].sort(), 'nodes sorted by id');
      const pairs = edges.map((e) => [String(e['from']), String(e['to'])]);
      const sortedPairs = [...GRAPH.edges.map((e) => [e.from, e.to])].sort((a, b) => (a[0] + '\0' + a[1] < b[0] + '\0' + b[1] ? -1 : 1));
      assert.deepEqual(pairs, sortedPairs, 'edges sorted by (from, to)');
      const entry = nodes.filter((n) => n['entry'] === true).map((n) => n['id']);
      assert.deepEqual(entry, [GRAPH.nodes[0]?.id, GRAPH.nodes[1]?.id]);
      assert.equal(nodes.find((n) => n['id'] === GRAPH.nodes[5]?.id)?.['symbol'], GRAPH.nodes[5]?.symbol, 'symbols kept');

      // The same graph in other orders: other graphs, the same digest and bytes.
      const again = await upload('billing-1b', `${BILLING}@1.0.0`, graphNdjson(GRAPH, 99));
      const plain = await upload('billing-1c', `${BILLING}@1.0.0`, graphNdjson(GRAPH));
      assert.notEqual(again['graphId'], id('billing-1'));
      assert.equal(again['digest'], graphs['billing-1']?.['digest']);
      assert.equal(plain['digest'], graphs['billing-1']?.['digest']);
      const r2 = await rawGet(srv, `/signals/callgraphs/${String(plain['graphId'])}`, svc);
      assert.equal(r2.status, 200);
      assert.deepEqual(r2.bytes, bytes);
    });

    test('POST /signals/callgraphs with a stella.callgraph.v1 JSON document: the same graph, the same normalised digest', async () => {
      const doc = {
        schema: 'stella.callgraph.v1',
        scanKey: 'scan-0001',
        language: 'java',
        artifacts: [],
        nodes: GRAPH.nodes.map((n) => ({ id: n.id, name: n.symbol, isEntrypointCandidate: n.entry })),
        edges: GRAPH.edges.map((e) => ({ sourceId: e.from, targetId: e.to })),
        entrypoints: [],
        metadata: {},
      };
      const body = JSON.stringify(doc);
      const purl = 'pkg:maven/org.acme/stella@1.0.0';
      const q = `tenant=t1&language=java&source=stella-callgraph-java&componentPurl=${encodeURIComponent(purl)}`;
      const r = await srv.request('POST', `/signals/callgraphs?${q}`, {
        token: svc,
        rawBody: body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 201, r.text);
      const m = json(r);
      assertManifest(m, { purl, tenant: 't1', nodes: GRAPH.nodes.length, edges: GRAPH.edges.length });
      graphsStored++;
      assert.equal(m['digest'], graphs['billing-1']?.['digest'], 'NDJSON and stella JSON of one graph normalise to the same bytes');
      const got = await rawGet(srv, `/signals/callgraphs/${String(m['graphId'])}`, svc);
      assert.equal(got.status, 200);
      assert.equal(sha256(got.bytes as Buffer), m['digest']);
    });

    test('GET .../manifest is the stored manifest; its signature verifies with the key at /api/v1/keys/{signerKeyId}', async () => {
      const r = await srv.request('GET', `/signals/callgraphs/${id('billing-1')}/manifest`, { token: svc });
      assert.equal(r.status, 200, r.text);
      const m = json(r);
      assert.deepEqual(m, graphs['billing-1']);
      const key = await publishedKey(srv, String(m['signerKeyId']));
      assert.ok(
        manifestSignatureVerifies(m, key),
        'signature = DSSE PAE over the canonical manifest without signature/rekorUuid/skipReason',
      );
      assert.ok(!manifestSignatureVerifies({ ...m, nodeCount: Number(m['nodeCount']) + 1 }, key), 'and covers nodeCount');
      assert.ok(!manifestSignatureVerifies({ ...m, componentPurl: `${BILLING}@6.6.6` }, key), 'and covers componentPurl');

      // The envelope itself: its payload is that canonical manifest, its signature the manifest's.
      const env = await srv.request('GET', `/signals/callgraphs/${id('billing-1')}/manifest.dsse`, { token: svc });
      assert.equal(env.status, 200, env.text);
      const payload = JSON.parse(
        verifiedDssePayload(env.json, key, 'application/vnd.attestry.callgraph-manifest+json').toString(),
      ) as unknown;
      assert.ok(isRecord(payload));
      const { signature, rekorUuid, skipReason, ...unsigned } = m;
      void rekorUuid;
      void skipReason;
      assert.deepEqual(payload, unsigned);
      const sigs = json(env)['signatures'] as { sig: string }[];
      assert.equal(sigs[0]?.sig, signature);
    });

    test('GET /signals/callgraphs/by-purl/{purl}: with and without version, newest first, paged', async () => {
      await upload('billing-2', `${BILLING}@2.0.0`, graphNdjson(GRAPH, 3));
      await upload('ledger-1', 'pkg:maven/org.acme/ledger@1.0.0', graphNdjson(GRAPH, 4));
      const find = async (purl: string, query = ''): Promise<{ ids: string[]; body: Record<string, unknown> }> => {
        const r = await srv.request('GET', `/signals/callgraphs/by-purl/${encodeURIComponent(purl)}${query}`, { token: svc });
        assert.equal(r.status, 200, r.text);
        const items = json(r)['items'];
        assert.ok(Array.isArray(items), r.text);
        return { ids: items.map((i) => String((i as Record<string, unknown>)['graphId'])), body: json(r) };
      };
      const newestFirst = (...names: string[]): string[] => names.map(id);
      assert.deepEqual((await find(BILLING)).ids, newestFirst('billing-2', 'billing-1c', 'billing-1b', 'billing-1'));
      assert.deepEqual((await find(`${BILLING}@1.0.0`)).ids, newestFirst('billing-1c', 'billing-1b', 'billing-1'));
      assert.deepEqual((await find(`${BILLING}@2.0.0`)).ids, newestFirst('billing-2'));
      assert.deepEqual((await find(`${BILLING}@9.9.9`)).ids, []);
      assert.deepEqual((await find('pkg:maven/org.acme/nothing')).ids, []);
      const full = await find(`${BILLING}@2.0.0`);
      assert.deepEqual((full.body['items'] as unknown[])[0], graphs['billing-2'], 'items are the manifests');

      const page1 = await find(BILLING, '?limit=2');
      assert.deepEqual(page1.ids, newestFirst('billing-2', 'billing-1c'));
      assert.equal(typeof page1.body['next'], 'string', 'a cursor to the rest');
      const page2 = await find(BILLING, `?limit=2&cursor=${encodeURIComponent(String(page1.body['next']))}`);
      assert.deepEqual(page2.ids, newestFirst('billing-1b', 'billing-1'));
      assert.equal(page2.body['next'] ?? undefined, undefined, 'no cursor after the last page');

      // npm: the seed's own example, percent-encoded scope; the match ignores qualifiers.
      const npm = await upload(
        'npm',
        'pkg:npm/%40acme/backend@1.2.3?repository_url=https://npm.acme.example',
        graphNdjson(GRAPH),
        'pkg:npm/%40acme/backend@1.2.3?repository_url=https%3A%2F%2Fnpm.acme.example',
      );
      assert.deepEqual((await find('pkg:npm/%40acme/backend')).ids, [npm['graphId']]);
      assert.deepEqual((await find('pkg:npm/%40acme/backend@1.2.3')).ids, [npm['graphId']]);
    });

    test('POST /signals/runtime-facts: plain, gzip and zstd (agents path) → 201 with the §5.1 record', async () => {
      const send = async (
        name: string,
        facts: Fact[],
        encoding: 'gzip' | 'zstd' | undefined,
        types: string[],
        agentPath = false,
      ): Promise<void> => {
        const body = factsNdjson(facts);
        const wire = encoding === 'gzip' ? gzipSync(body) : encoding === 'zstd' ? zstd.compress(body) : body;
        const r = await ingestFacts(srv, svc, {
          tenant: 't1',
          callgraphId: id('billing-1'),
          body: wire,
          agentPath,
          ...(encoding ? { encoding } : {}),
        });
        assert.equal(r.status, 201, `${name}: ${r.text}`);
        const p = json(r);
        assertProvenance(p, { callgraphId: id('billing-1'), body, facts, types });
        await assertLogged(srv, p['rekorUuid']);
        batches.push({ name, provenance: p, body, facts });
        factsStored += facts.length;
        symbolHitsStored += facts.filter((f) => (f.type ?? 'symbol_hit') === 'symbol_hit').length;
      };
      await send('plain', makeFacts(GRAPH, 6, '2025-01-10T00:00:00.000Z'), undefined, ['symbol_hit']);
      const mixed = [
        ...makeFacts(GRAPH, 4, '2025-06-10T00:00:00.000Z'),
        ...makeFacts(GRAPH, 2, '2025-06-10T00:00:04.000Z', 'socket_connect'),
      ];
      await send('gzip', mixed, 'gzip', ['socket_connect', 'symbol_hit']);
      await send('zstd', makeFacts(GRAPH, 5, '2025-09-10T00:00:00.000Z'), 'zstd', ['symbol_hit'], true);
      // The compressed and decoded hashes differ, so the test above tells them apart.
      assert.notEqual(sha256(gzipSync(factsNdjson(mixed))), batches[1]?.provenance['provenanceHash']);
    });

    test('GET the batch (bytes as received), its provenance record and its attestation, which verifies', async () => {
      assert.equal(batches.length, 3, 'the ingest test stored three batches');
      const key = await publishedKey(srv, SIGNALS_KEY_ID);
      for (const b of batches) {
        const batchId = String(b.provenance['batchId']);
        const raw = await rawGet(srv, `/signals/runtime-facts/${batchId}`, svc);
        assert.equal(raw.status, 200, b.name);
        assert.equal(raw.error, undefined);
        assert.ok(raw.bytes?.equals(b.body), `${b.name}: the decoded bytes as sent`);
        assert.equal(sha256(raw.bytes as Buffer), b.provenance['provenanceHash']);

        const prov = await srv.request('GET', `/signals/runtime-facts/${batchId}/provenance`, { token: svc });
        assert.equal(prov.status, 200, prov.text);
        assert.deepEqual(prov.json, b.provenance);

        const att = await srv.request('GET', `/signals/runtime-facts/${batchId}/attestation`, { token: svc });
        assert.equal(att.status, 200, att.text);
        const statement = JSON.parse(verifiedDssePayload(att.json, key, INTOTO_PAYLOAD_TYPE).toString()) as Record<string, unknown>;
        assert.equal(statement['_type'], 'https://in-toto.io/Statement/v1');
        assert.equal(statement['predicateType'], FACTS_PREDICATE_TYPE);
        const hex = String(b.provenance['provenanceHash']).slice('sha256:'.length);
        assert.deepEqual(statement['subject'], [{ name: `runtime-facts/${batchId}`, digest: { sha256: hex } }]);
        const predicate = statement['predicate'] as Record<string, unknown>;
        assert.equal(predicate['batchId'], batchId);
        assert.equal(predicate['provenanceHash'], b.provenance['provenanceHash']);
        assert.equal(predicate['factCount'], b.facts.length);
        assertIso(predicate['timestamp'], 'predicate.timestamp');
        assert.deepEqual(predicate['subjects'], [id('billing-1')]);
      }
    });

    test('GET /signals/runtime-facts/ndjson streams facts with include_provenance, since and a resumable cursor', async () => {
      // A batch of another graph of the tenant, which a callgraph_id filter leaves out.
      const other = makeFacts(GRAPH, 3, '2025-07-01T00:00:00.000Z');
      const r = await ingestFacts(srv, svc, { tenant: 't1', callgraphId: id('billing-2'), body: factsNdjson(other) });
      assert.equal(r.status, 201, r.text);
      factsStored += other.length;
      symbolHitsStored += other.length;
      otherBatches++;

      const stream = async (query: string): Promise<{ lines: Record<string, unknown>[]; next: string | null }> => {
        const res = await rawGet(srv, `/signals/runtime-facts/ndjson?tenant=t1${query}`, svc);
        assert.equal(res.status, 200, res.bytes?.toString().slice(0, 300));
        assert.equal(res.error, undefined, 'the stream completes');
        assert.match(String(res.headers.get('content-type')), /^application\/x-ndjson/);
        return { lines: ndjsonObjects(res.bytes as Buffer), next: res.headers.get('x-next-cursor') };
      };
      const expected = batches.flatMap((b) =>
        b.facts.map((f) => ({ ...f, provenance_hash: b.provenance['provenanceHash'], callgraph_id: id('billing-1') })),
      );
      const key = (l: Record<string, unknown>): string => `${String(l['symbolId'])}|${String(l['observedAt'])}|${String(l['hitCount'])}`;

      const all = await stream(`&callgraph_id=${id('billing-1')}&include_provenance=true`);
      assert.equal(all.next, null, 'one page holds it all');
      assert.equal(all.lines.length, expected.length);
      for (const [i, line] of all.lines.entries()) {
        const want = expected[i] as Record<string, unknown>;
        assert.equal(key(line), key(want), `line ${i + 1}: facts in batch order, lines in order`);
        assert.equal(line['provenance_hash'], want['provenance_hash'], `line ${i + 1} carries its batch's provenance_hash`);
        assert.equal(line['callgraph_id'], id('billing-1'));
      }

      const bare = await stream(`&callgraph_id=${id('billing-1')}`);
      assert.deepEqual(bare.lines.map(key), all.lines.map(key));
      for (const line of bare.lines)
        assert.ok(!('provenance_hash' in line) && !('callgraph_id' in line), 'no provenance without include_provenance');

      const tenantWide = await stream('&include_provenance=true');
      assert.equal(tenantWide.lines.length, expected.length + other.length, 'without callgraph_id: every graph of the tenant');
      assert.equal(tenantWide.lines.filter((l) => l['callgraph_id'] === id('billing-2')).length, other.length);

      // since: whole batches before it are skipped, and facts inside a batch are filtered.
      const since = '2025-06-10T00:00:02.500Z';
      const later = await stream(`&callgraph_id=${id('billing-1')}&include_provenance=true&since=${encodeURIComponent(since)}`);
      const wantAfter = expected.filter((f) => Date.parse(String(f['observedAt'])) > Date.parse(since));
      assert.equal(wantAfter.length, 3 + 5);
      assert.deepEqual(later.lines.map(key), wantAfter.map(key));

      // Pages: limit=1 ends each page at a batch boundary; the cursor resumes exactly after it.
      const pages: Record<string, unknown>[][] = [];
      let cursor: string | null = null;
      do {
        const page: { lines: Record<string, unknown>[]; next: string | null } = await stream(
          `&callgraph_id=${id('billing-1')}&include_provenance=true&limit=1${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        );
        pages.push(page.lines);
        cursor = page.next;
        assert.ok(pages.length <= batches.length + 1, 'the cursor ends');
      } while (cursor !== null);
      assert.ok(pages.length >= batches.length, `one page per batch at least (got ${pages.length})`);
      assert.deepEqual(pages.flat(), all.lines, 'the pages together are the whole stream, no gap, no repeat');
      for (const page of pages.filter((p) => p.length > 0)) {
        assert.equal(new Set(page.map((l) => l['provenance_hash'])).size, 1, 'limit=1: one batch per page');
      }
    });

    test('POST /signals/runtime-facts with a {subject, callgraphId, events} JSON document', async () => {
      const events = makeFacts(GRAPH, 3, '2025-08-01T00:00:00.000Z');
      const body = Buffer.from(JSON.stringify({ subject: { purl: `${BILLING}@2.0.0` }, callgraphId: id('billing-2'), events }));
      const q = 'tenant=t1&source=host-17.ebpf&pipeline_version=3f2a9c1';
      const r = await srv.request('POST', `/signals/runtime-facts?${q}`, {
        token: svc,
        rawBody: body,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 201, r.text);
      const p = json(r);
      assertProvenance(p, { callgraphId: id('billing-2'), body, facts: events, types: ['symbol_hit'] });
      factsStored += events.length;
      symbolHitsStored += events.length;
      otherBatches++;
      const raw = await rawGet(srv, `/signals/runtime-facts/${String(p['batchId'])}`, svc);
      assert.equal(raw.status, 200);
      assert.match(String(raw.headers.get('content-type')), /^application\/json/);
      assert.ok(raw.bytes?.equals(body), 'the document as sent');
      const stream = await rawGet(
        srv,
        `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${id('billing-2')}&include_provenance=true`,
        svc,
      );
      const lines = ndjsonObjects(stream.bytes as Buffer).filter((l) => l['provenance_hash'] === p['provenanceHash']);
      assert.deepEqual(
        lines.map((l) => [l['symbolId'], l['observedAt'], l['hitCount']]),
        events.map((e) => [e.symbolId, e.observedAt, e.hitCount]),
        'its events stream as facts, in order',
      );
    });

    test('batch_id makes a retry safe: same content 200 with the same record, other content 409', async () => {
      const batchId = ulidSource().next();
      const facts = makeFacts(GRAPH, 4, '2025-10-01T00:00:00.000Z');
      const body = factsNdjson(facts);
      const first = await ingestFacts(srv, svc, { tenant: 't1', callgraphId: id('billing-1'), body, extra: `&batch_id=${batchId}` });
      assert.equal(first.status, 201, first.text);
      assert.equal(json(first)['batchId'], batchId);
      factsStored += facts.length;
      symbolHitsStored += facts.length;

      const retry = await ingestFacts(srv, svc, { tenant: 't1', callgraphId: id('billing-1'), body, extra: `&batch_id=${batchId}` });
      assert.equal(retry.status, 200, retry.text);
      assert.deepEqual(retry.json, first.json);
      // The hash covers the decoded bytes: the same batch gzip-encoded is the same batch.
      const zipped = await ingestFacts(srv, svc, {
        tenant: 't1',
        callgraphId: id('billing-1'),
        body: gzipSync(body),
        encoding: 'gzip',
        extra: `&batch_id=${batchId}`,
      });
      assert.equal(zipped.status, 200, zipped.text);
      assert.deepEqual(zipped.json, first.json);

      const changed = factsNdjson(makeFacts(GRAPH, 4, '2025-10-02T00:00:00.000Z'));
      const conflict = await ingestFacts(srv, svc, {
        tenant: 't1',
        callgraphId: id('billing-1'),
        body: changed,
        extra: `&batch_id=${batchId}`,
      });
      expectError(conflict, 409, 'E_CONFLICT', new RegExp(batchId));

      const prov = await srv.request('GET', `/signals/runtime-facts/${batchId}/provenance`, { token: svc });
      assert.deepEqual(prov.json, first.json, 'the stored record is the first one');
      const raw = await rawGet(srv, `/signals/runtime-facts/${batchId}`, svc);
      assert.ok(raw.bytes?.equals(body), 'the stored bytes are the first ones');
      const all = await rawGet(srv, `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${id('billing-1')}&include_provenance=true`, svc);
      const lines = ndjsonObjects(all.bytes as Buffer).filter((l) => l['provenance_hash'] === json(first)['provenanceHash']);
      assert.equal(lines.length, facts.length, 'the batch is streamed once');
      batches.push({ name: 'named', provenance: json(first), body, facts });
    });

    test('an admin token (every tenant) names the tenant on writes and reads everything', async () => {
      const r = await uploadGraph(srv, admin, { tenant: 't1', purl: `${BILLING}@3.0.0`, body: graphNdjson(GRAPH) });
      assert.equal(r.status, 201, r.text);
      graphsStored++;
      const noTenant: Reply = await uploadGraph(srv, admin, { purl: `${BILLING}@3.0.0`, body: graphNdjson(GRAPH) });
      expectError(noTenant, 400, 'E_INVALID_INPUT', /tenant/);
      const m = await srv.request('GET', `/signals/callgraphs/${String(json(r)['graphId'])}/manifest`, { token: admin });
      assert.equal(m.status, 200, m.text);
      assert.deepEqual(m.json, r.json);
    });

    test('/metrics: the seven §8.1 metrics, moved by exactly what was stored', async () => {
      const now = await scrape(srv);
      const delta = (name: string, labels: Record<string, string> = {}): number =>
        metricSum(now, name, labels) - metricSum(metricsBefore, name, labels);
      assert.equal(metricType(now, 'signals_callgraphs_stored_total'), 'counter');
      assert.equal(metricType(now, 'signals_callgraph_nodes_total'), 'histogram');
      assert.equal(metricType(now, 'signals_runtime_facts_ingested_total'), 'counter');
      assert.equal(metricType(now, 'signals_runtime_facts_batch_size'), 'histogram');
      assert.equal(metricType(now, 'signals_provenance_records_total'), 'counter');
      assert.equal(metricType(now, 'signals_attestations_created_total'), 'counter');
      assert.equal(metricType(now, 'signals_cas_operations_total'), 'counter');

      assert.equal(delta('signals_callgraphs_stored_total'), graphsStored);
      assert.equal(delta('signals_callgraphs_stored_total', { language: 'java' }), graphsStored);
      assert.equal(delta('signals_callgraph_nodes_total_count', { language: 'java' }), graphsStored);
      assert.equal(delta('signals_callgraph_nodes_total_sum'), graphsStored * GRAPH.nodes.length);
      assert.equal(delta('signals_runtime_facts_ingested_total'), factsStored);
      assert.equal(delta('signals_runtime_facts_ingested_total', { fact_type: 'symbol_hit' }), symbolHitsStored);
      assert.equal(delta('signals_runtime_facts_ingested_total', { fact_type: 'socket_connect' }), 2);
      const batchCount = batches.length + otherBatches;
      assert.equal(delta('signals_runtime_facts_batch_size_count'), batchCount);
      assert.equal(delta('signals_runtime_facts_batch_size_sum'), factsStored);
      assert.equal(delta('signals_provenance_records_total'), batchCount);
      assert.equal(
        delta('signals_attestations_created_total') - delta('signals_attestations_created_total', { result: 'failure' }),
        batchCount,
      );
      assert.ok(delta('signals_cas_operations_total', { operation: 'put', result: 'success' }) >= graphsStored * 2 + batchCount * 2);
      assert.ok(delta('signals_cas_operations_total', { operation: 'get', result: 'success' }) > 0);
    });
  });
}
