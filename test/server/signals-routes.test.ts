/**
 * The Signals routes over real HTTP, in the real app (its auth, error
 * handler and limits), on top of a small in-memory implementation of OUR
 * OWN SignalsUseCases interface that records what the routes hand it. The
 * use cases themselves (storage, signing, the §10 rules) are tested where
 * they live; here: content types and encodings, bodies that stream past
 * Server.BodyLimitBytes, the Signals limit, status codes, route order, the
 * cursor headers, and a stream that fails half-way.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import type { StreamFactsQuery } from '../../src/signals/types.js';
import {
  BATCH,
  BROKEN,
  GRAPH,
  manifestOf,
  provenanceOf,
  SIGNALS_LIMIT,
  startSignalsRoutesServer,
  type RecordingUseCases,
  type SignalsTestServer,
} from '../helpers/signals-routes.js';

let srv: SignalsTestServer;
let base: string;
let token: string;
let uc: RecordingUseCases;

before(async () => {
  srv = await startSignalsRoutesServer();
  ({ base, token, uc } = srv);
});
after(() => srv.stop());

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  options: { body?: string | Uint8Array | ReadableStream<Uint8Array>; headers?: Record<string, string>; auth?: boolean } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...(options.auth === false ? {} : { authorization: `Bearer ${token}` }), ...options.headers };
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (options.body !== undefined) {
    init.body = options.body;
    if (options.body instanceof ReadableStream) init.duplex = 'half';
  }
  const response = await fetch(`${base}${path}`, init).catch((e: unknown) => {
    throw new Error(`${method} ${path}: ${String((e as Error).cause)}`, { cause: e });
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (a stream route)
  }
  return { status: response.status, headers: response.headers, text, json };
}

const NDJSON_GRAPH = '{"kind":"node","id":"a","entry":true}\n{"kind":"node","id":"b"}\n{"kind":"edge","from":"a","to":"b"}\n';
const CG_QUERY = `tenant=t1&language=javascript&source=scanner&componentPurl=${encodeURIComponent('pkg:npm/%40acme/backend@1.2.3')}`;
const FACTS_QUERY = `tenant=t1&callgraph_id=${GRAPH}&source=host-1&pipeline_version=abc123`;

describe('POST /signals/callgraphs', () => {
  test('NDJSON → 201 with the manifest, the query mapped, the body as sent', async () => {
    const r = await call('POST', `/signals/callgraphs?${CG_QUERY}&digest=sha256:${'ab'.repeat(32)}`, {
      body: NDJSON_GRAPH,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json, manifestOf(GRAPH, 't1'));
    assert.equal(r.headers.get('location'), `/signals/callgraphs/${GRAPH}`);
    const c = uc.last('storeCallgraph');
    assert.equal(c.form, 'ndjson');
    assert.equal(c.body?.toString(), NDJSON_GRAPH);
    assert.deepEqual(c.args, [
      'signals-service',
      {
        tenant: 't1',
        language: 'javascript',
        source: 'scanner',
        componentPurl: 'pkg:npm/%40acme/backend@1.2.3',
        graphId: undefined,
        digest: `sha256:${'ab'.repeat(32)}`,
      },
    ]);
  });

  test('the same graph_id again → 200 (created false); application/json → the json form', async () => {
    const id = '01HWXYZ123456789ABCDEFGH00';
    const first = await call('POST', `/signals/callgraphs?${CG_QUERY}&graph_id=${id}`, {
      body: '{"schema":"stella.callgraph.v1","nodes":[],"edges":[]}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(first.status, 201, first.text);
    assert.equal(uc.last('storeCallgraph').form, 'json');
    const again = await call('POST', `/signals/callgraphs?${CG_QUERY}&graph_id=${id}`, {
      body: NDJSON_GRAPH,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json['graphId'], id);
  });

  test('any other Content-Type → 415 naming what is accepted; none → 415; no body → 400', async () => {
    const plain = await call('POST', `/signals/callgraphs?${CG_QUERY}`, { body: NDJSON_GRAPH, headers: { 'content-type': 'text/plain' } });
    assert.equal(plain.status, 415, plain.text);
    assert.equal(plain.json['code'], 'E_INVALID_INPUT');
    assert.match(String(plain.json['message']), /application\/x-ndjson/);
    const none = await call('POST', `/signals/callgraphs?${CG_QUERY}`, { body: new Uint8Array(Buffer.from(NDJSON_GRAPH)) });
    assert.equal(none.status, 415, none.text);
    const empty = await call('POST', `/signals/callgraphs?${CG_QUERY}`);
    assert.equal(empty.status, 400, empty.text);
    assert.match(String(empty.json['message']), /no body/);
  });

  test('a missing required query parameter → 400 naming it; no token → 401', async () => {
    const r = await call('POST', '/signals/callgraphs?tenant=t1&language=java&source=s', {
      body: NDJSON_GRAPH,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(r.status, 400, r.text);
    assert.match(String(r.json['message']), /componentPurl/);
    const anon = await call('POST', `/signals/callgraphs?${CG_QUERY}`, {
      body: NDJSON_GRAPH,
      headers: { 'content-type': 'application/x-ndjson' },
      auth: false,
    });
    assert.equal(anon.status, 401, anon.text);
  });

  test('a use-case refusal keeps its code and status (E_CONFLICT → 409)', async () => {
    const r = await call('POST', `/signals/callgraphs?tenant=t1&language=java&source=conflict&componentPurl=pkg:maven/a/b`, {
      body: NDJSON_GRAPH,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json['code'], 'E_CONFLICT');
  });

  test('the body streams: the use case reads the first chunk before the client has sent the rest, far past Server.BodyLimitBytes', async () => {
    const line = Buffer.from(`{"kind":"node","id":"${'n'.repeat(100)}"}\n`);
    const chunk = Buffer.concat(Array.from({ length: 1000 }, () => line)); // ~120 KiB, over the 64 KiB JSON limit alone
    const gotFirst = new Promise<void>((resolve) => (uc.firstChunk = resolve));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 1) await gotFirst; // the rest only once the server has started reading
        if (sent === 20) return controller.close();
        sent++;
        controller.enqueue(new Uint8Array(chunk));
      },
    });
    const r = await call('POST', `/signals/callgraphs?${CG_QUERY}`, { body, headers: { 'content-type': 'application/x-ndjson' } });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    assert.equal(uc.last('storeCallgraph').body?.length, chunk.length * 20);
  });

  test('past the Signals limit → 413: by Content-Length before reading, and counted when streamed', async () => {
    const declared = await isolatedPost(`/signals/callgraphs?${CG_QUERY}`, { 'content-length': String(SIGNALS_LIMIT + 1) }, 1);
    assert.equal(declared.status, 413, declared.text);
    const reply = JSON.parse(declared.text) as Record<string, unknown>;
    assert.equal(reply['code'], 'E_PAYLOAD_TOO_LARGE');
    assert.match(String(reply['message']), /Signals callgraph limit/);
    // Chunked, so only counting can tell: the server refuses once the limit is passed, not at the end.
    const streamed = await isolatedPost(`/signals/callgraphs?${CG_QUERY}`, {}, SIGNALS_LIMIT / (1024 * 1024) + 4);
    assert.equal(streamed.status, 413, streamed.text);
    assert.match(streamed.text, /E_PAYLOAD_TOO_LARGE/);
  });
});

/**
 * A POST of `mib` MiB of spaces on a connection of its own (the server
 * closes it after an early refusal), sent one MiB at a time as the socket
 * drains; resolves with the reply, whenever it comes.
 */
function isolatedPost(path: string, headers: Record<string, string>, mib: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    // Writes after the server has answered and closed may fail; the reply is what counts.
    req.on('error', () => undefined);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = (): void => {
      while (sent < mib) {
        sent++;
        if (req.destroyed) return;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

describe('POST /signals/runtime-facts', () => {
  const facts = '{"symbolId":"sym:java:a","hitCount":3}\n{"symbolId":"sym:java:b"}\n';

  test('NDJSON → 201 with the provenance record; the query mapped; the same batch_id again → 200', async () => {
    const r = await call(
      'POST',
      `/signals/runtime-facts?${FACTS_QUERY}&batch_id=${BATCH}&provenance_hash=sha256:${'0f'.repeat(32)}&received_at=2025-12-19T10:00:00Z`,
      {
        body: facts,
        headers: { 'content-type': 'application/x-ndjson' },
      },
    );
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json, provenanceOf(BATCH, GRAPH));
    const c = uc.last('ingestFacts');
    assert.equal(c.body?.toString(), facts);
    assert.deepEqual(c.args, [
      'signals-service',
      {
        tenant: 't1',
        callgraphId: GRAPH,
        source: 'host-1',
        pipelineVersion: 'abc123',
        batchId: BATCH,
        provenanceHash: `sha256:${'0f'.repeat(32)}`,
        receivedAt: new Date('2025-12-19T10:00:00Z'),
      },
    ]);
    const again = await call('POST', `/signals/runtime-facts?${FACTS_QUERY}&batch_id=${BATCH}`, {
      body: facts,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(again.status, 200, again.text);
  });

  test('gzip and zstd bodies reach the use case decoded, on both paths', async () => {
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(facts)],
      ['zstd', zstdCompress(Buffer.from(facts))],
    ] as const) {
      for (const path of ['/signals/runtime-facts', '/signals/runtime-facts/ndjson']) {
        const r = await call('POST', `${path}?${FACTS_QUERY}`, {
          body: new Uint8Array(bytes),
          headers: { 'content-type': 'application/x-ndjson', 'content-encoding': encoding },
        });
        assert.ok(r.status === 200 || r.status === 201, `${encoding} ${path}: ${r.text}`);
        assert.equal(uc.last('ingestFacts').body?.toString(), facts, `${encoding} ${path}`);
      }
    }
  });

  test('an unknown Content-Encoding → 415; the JSON document form is passed as json', async () => {
    const r = await call('POST', `/signals/runtime-facts?${FACTS_QUERY}`, {
      body: facts,
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'br' },
    });
    assert.equal(r.status, 415, r.text);
    assert.equal(r.json['code'], 'E_INVALID_INPUT');
    assert.match(String(r.json['message']), /gzip/);
    const doc = JSON.stringify({ subject: { purl: 'pkg:npm/a@1' }, callgraphId: GRAPH, events: [{ symbolId: 's' }] });
    const j = await call('POST', '/signals/runtime-facts?tenant=t1&source=h&pipeline_version=v', {
      body: doc,
      headers: { 'content-type': 'application/json' },
    });
    assert.ok(j.status === 200 || j.status === 201, j.text);
    const c = uc.last('ingestFacts');
    assert.equal(c.form, 'json');
    assert.equal(c.body?.toString(), doc);
  });

  test('a bad received_at → 400; text/plain → 415', async () => {
    const bad = await call('POST', `/signals/runtime-facts?${FACTS_QUERY}&received_at=yesterday`, {
      body: facts,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(bad.status, 400, bad.text);
    const plain = await call('POST', `/signals/runtime-facts/ndjson?${FACTS_QUERY}`, {
      body: facts,
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(plain.status, 415, plain.text);
  });
});

describe('GET routes', () => {
  test('GET /signals/runtime-facts/ndjson streams facts (not a batch called "ndjson"), with X-Next-Cursor and Link', async () => {
    const r = await call(
      'GET',
      `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${GRAPH}&since=2025-01-01T00:00:00Z&include_provenance=true&limit=3`,
    );
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.equal(r.text.trim().split('\n').length, 3);
    assert.equal(r.headers.get('x-next-cursor'), 'cursor-2');
    const link = r.headers.get('link') ?? '';
    assert.match(link, /rel="next"/);
    assert.match(link, /cursor=cursor-2/);
    assert.match(link, /include_provenance=true/);
    assert.deepEqual(uc.last('streamFacts').args, [
      { tenant: 't1', callgraphId: GRAPH, since: '2025-01-01T00:00:00Z', includeProvenance: true, cursor: undefined, limit: 3 },
    ]);
    assert.ok(!uc.calls.some((c) => c.op === 'getBatch' && c.args[0] === 'ndjson'));
    const last = await call('GET', '/signals/runtime-facts/ndjson?include_provenance=0');
    assert.equal(last.status, 200);
    assert.equal(last.headers.get('x-next-cursor'), null);
    assert.equal(last.headers.get('link'), null);
    assert.equal((uc.last('streamFacts').args[0] as StreamFactsQuery).includeProvenance, false);
    // limit=0 is "everything in one response", as the use case defines it; a negative one is refused.
    const all = await call('GET', `/signals/runtime-facts/ndjson?callgraph_id=${GRAPH}&limit=0`);
    assert.equal(all.status, 200, all.text);
    assert.equal((uc.last('streamFacts').args[0] as StreamFactsQuery).limit, 0);
    assert.equal((await call('GET', '/signals/runtime-facts/ndjson?limit=-1')).status, 400);
  });

  test('a batch, its provenance and its attestation; a callgraph, its manifest and envelope', async () => {
    const batch = await call('GET', `/signals/runtime-facts/${BATCH}`);
    assert.equal(batch.status, 200, batch.text);
    assert.match(batch.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.equal(batch.headers.get('digest'), `sha-256=${Buffer.from('0f'.repeat(32), 'hex').toString('base64')}`);
    assert.equal(batch.text, '{"symbolId":"s"}\n');
    const prov = await call('GET', `/signals/runtime-facts/${BATCH}/provenance`);
    assert.deepEqual(prov.json, provenanceOf(BATCH, GRAPH));
    const att = await call('GET', `/signals/runtime-facts/${BATCH}/attestation`);
    assert.equal(att.status, 200);
    assert.match(att.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(att.json['payloadType'], 'application/vnd.in-toto+json');
    const graph = await call('GET', `/signals/callgraphs/${GRAPH}`);
    assert.equal(graph.status, 200, graph.text);
    assert.match(graph.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const manifest = await call('GET', `/signals/callgraphs/${GRAPH}/manifest`);
    assert.deepEqual(manifest.json, manifestOf(GRAPH, 't1'));
    const dsse = await call('GET', `/signals/callgraphs/${GRAPH}/manifest.dsse`);
    assert.equal(dsse.json['payloadType'], 'application/vnd.attestry.callgraph-manifest+json');
    const missing = await call('GET', '/signals/callgraphs/01HWXYZ123456789ABCDEFGH99');
    assert.equal(missing.status, 404);
    assert.equal(missing.json['code'], 'E_NOT_FOUND');
  });

  test('by-purl takes the PURL URL-encoded (and with its slashes as they are), with paging', async () => {
    const purl = 'pkg:npm/%40acme/backend@1.2.3';
    const r = await call('GET', `/signals/callgraphs/by-purl/${encodeURIComponent(purl)}?tenant=t1&limit=1`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json['next'], 'page-2');
    assert.deepEqual(uc.last('findByPurl').args, [purl, { tenant: 't1', limit: 1, cursor: undefined }]);
    const slashes = await call('GET', '/signals/callgraphs/by-purl/pkg:maven/org.example/lib@2.0?cursor=page-2');
    assert.equal(slashes.status, 200, slashes.text);
    assert.equal(slashes.json['next'], undefined);
    assert.deepEqual(uc.last('findByPurl').args, [
      'pkg:maven/org.example/lib@2.0',
      { tenant: undefined, limit: undefined, cursor: 'page-2' },
    ]);
  });

  test('a stream that fails half-way (E_INTEGRITY) breaks the transfer instead of ending a 200 cleanly', async () => {
    const response = await fetch(`${base}/signals/callgraphs/${BROKEN}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    await assert.rejects(response.text(), (e: Error) => e instanceof TypeError);
  });

  test('the OpenAPI document describes every Signals route', async () => {
    const doc = (await call('GET', '/docs/json')).json as { paths: Record<string, Record<string, { summary?: string }>> };
    const expected = [
      ['/signals/callgraphs', 'post'],
      ['/signals/callgraphs/{graphId}', 'get'],
      ['/signals/callgraphs/{graphId}/manifest', 'get'],
      ['/signals/callgraphs/{graphId}/manifest.dsse', 'get'],
      ['/signals/runtime-facts', 'post'],
      ['/signals/runtime-facts/ndjson', 'post'],
      ['/signals/runtime-facts/ndjson', 'get'],
      ['/signals/runtime-facts/{batchId}', 'get'],
      ['/signals/runtime-facts/{batchId}/provenance', 'get'],
      ['/signals/runtime-facts/{batchId}/attestation', 'get'],
    ] as const;
    for (const [path, method] of expected) assert.ok(doc.paths[path]?.[method]?.summary, `${method} ${path} documented`);
    assert.ok(Object.keys(doc.paths).some((p) => p.startsWith('/signals/callgraphs/by-purl/')));
  });
});
