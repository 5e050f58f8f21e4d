/**
 * Seed 000 §10, one test per rule, each with a bad input and the exact code
 * and status over HTTP (SIGNALS.md "Validation rules §10 → codes"), next to a
 * good input that passes; damage to stored blobs (rules 6–8) is made on disk
 * and must surface as E_INTEGRITY, never as a clean 200 with other bytes.
 * The refusals of issue 14 §1 name the line and store nothing. Then the §9
 * switches: CAS.WriteEnabled, RekorEnabled, SignManifests, AttestBatches and
 * Provenance.Enabled, each set through ATTESTRY__ variables.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import zstd from 'zstd-napi';
import { canonicalBytes } from '../../src/core/canonical-json.js';
import { ulidSource } from '../../src/core/ids.js';
import { signEnvelope } from '../../src/crypto/dsse.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  blobPath,
  expectError,
  factsNdjson,
  graphNdjson,
  ingestFacts,
  json,
  makeFacts,
  makeGraph,
  manifestSignatureVerifies,
  MANIFEST_PAYLOAD_TYPE,
  ndjsonObjects,
  publishedKey,
  rawGet,
  sha256Tag,
  uploadGraph,
  type Reply,
} from '../helpers/signals-http.js';

const GRAPH = makeGraph(5, 'val');
const BODY = graphNdjson(GRAPH);
const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

let srv: TestServer;
let svc: string;
let admin: string;
let graphId: string;

/** Nothing was stored under this PURL (a refused upload leaves no trace). */
async function nothingStored(purl: string): Promise<void> {
  const r = await srv.request('GET', `/signals/callgraphs/by-purl/${encodeURIComponent(purl)}?tenant=t1`, { token: admin });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(json(r)['items'], [], `nothing stored for ${purl}`);
}

async function newBatch(start: string): Promise<{ batchId: string; body: Buffer }> {
  const body = factsNdjson(makeFacts(GRAPH, 4, start));
  const r = await ingestFacts(srv, svc, { callgraphId: graphId, body });
  assert.equal(r.status, 201, r.text);
  return { batchId: String(json(r)['batchId']), body };
}

/** A read of damaged bytes: an E_INTEGRITY reply, or a stream broken off; never a whole 200 with other bytes. */
function assertRefusedOrAborted(r: Awaited<ReturnType<typeof rawGet>>, original: Buffer, what: string): void {
  if (r.error !== undefined) {
    assert.equal(r.status, 200, `${what}: a stream that broke off after its headers`);
    return;
  }
  const text = r.bytes?.toString() ?? '';
  assert.equal(r.status, 500, `${what}: expected 500 E_INTEGRITY or an aborted stream, got a complete ${r.status}: ${text.slice(0, 300)}`);
  assert.equal((JSON.parse(text) as { code?: unknown }).code, 'E_INTEGRITY', text);
  assert.ok(!r.bytes?.equals(original));
}

before(async () => {
  srv = await startTestServer();
  await srv.addTenant('t1');
  svc = await srv.token('signals-service', ['t1']);
  admin = await srv.token('admin', ['*']);
  const g = await uploadGraph(srv, svc, { purl: 'pkg:maven/org.acme/validated@1.0.0', body: BODY });
  assert.equal(g.status, 201, g.text);
  graphId = String(json(g)['graphId']);
});

after(async () => {
  await srv?.stop();
});

describe('seed 000 §10 validation rules', () => {
  test('rule 1: a GraphId (or batch id) that is not a ULID → 400 E_INVALID_INPUT', async () => {
    expectError(await srv.request('GET', '/signals/callgraphs/not-a-ulid', { token: svc }), 400, 'E_INVALID_INPUT', /not-a-ulid/);
    expectError(await srv.request('GET', '/signals/callgraphs/not-a-ulid/manifest', { token: svc }), 400, 'E_INVALID_INPUT');
    expectError(await srv.request('GET', '/signals/runtime-facts/not-a-ulid', { token: svc }), 400, 'E_INVALID_INPUT');
    expectError(await srv.request('GET', '/signals/runtime-facts/not-a-ulid/provenance', { token: svc }), 400, 'E_INVALID_INPUT');
    const purl = 'pkg:maven/org.acme/rule1@1.0.0';
    expectError(await uploadGraph(srv, svc, { purl, body: BODY, extra: '&graph_id=not-a-ulid' }), 400, 'E_INVALID_INPUT', /graph/i);
    await nothingStored(purl);
    const facts = factsNdjson(makeFacts(GRAPH, 1, '2025-01-01T00:00:00Z'));
    expectError(await ingestFacts(srv, svc, { callgraphId: 'not-a-ulid', body: facts }), 400, 'E_INVALID_INPUT', /callgraph/i);
    expectError(
      await ingestFacts(srv, svc, { callgraphId: graphId, body: facts, extra: '&batch_id=not-a-ulid' }),
      400,
      'E_INVALID_INPUT',
      /batch/i,
    );
    // A well-formed id that names nothing is another answer.
    expectError(await srv.request('GET', `/signals/callgraphs/${MISSING}`, { token: svc }), 404, 'E_NOT_FOUND');
    // A ULID the uploader chose is kept.
    const chosen = ulidSource().next();
    const ok = await uploadGraph(srv, svc, { purl, body: BODY, extra: `&graph_id=${chosen}` });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(json(ok)['graphId'], chosen);
  });

  test('rule 2: a digest that is not sha256:<64 hex> → 400 E_INVALID_INPUT; a well-formed wrong one → 422 E_DIGEST_MISMATCH', async () => {
    const purl = 'pkg:maven/org.acme/rule2@1.0.0';
    for (const bad of ['sha256:xyz', 'md5:d41d8cd98f00b204e9800998ecf8427e', `sha256:${'a'.repeat(63)}`, 'e3b0c442']) {
      const r = await uploadGraph(srv, svc, { purl, body: BODY, extra: `&digest=${encodeURIComponent(bad)}` });
      expectError(r, 400, 'E_INVALID_INPUT', /digest/i);
    }
    const wrong = await uploadGraph(srv, svc, { purl, body: BODY, extra: `&digest=${sha256Tag('something else')}` });
    expectError(wrong, 422, 'E_DIGEST_MISMATCH');
    await nothingStored(purl);
    const right = await uploadGraph(srv, svc, { purl, body: BODY, extra: `&digest=${sha256Tag(BODY)}` });
    assert.equal(right.status, 201, `the digest of the body as sent is accepted: ${right.text}`);
  });

  test('rule 3: an unknown language → 400 E_INVALID_INPUT naming the known ones', async () => {
    const purl = 'pkg:maven/org.acme/rule3@1.0.0';
    const r = await uploadGraph(srv, svc, { purl, body: BODY, language: 'cobolx' });
    expectError(r, 400, 'E_INVALID_INPUT', /cobolx/);
    assert.match(String(json(r)['message']), /java/, 'the message lists the known identifiers');
    await nothingStored(purl);
    for (const language of ['java', 'javascript', 'python', 'go']) {
      const ok = await uploadGraph(srv, svc, { purl, body: BODY, language });
      assert.equal(ok.status, 201, `${language}: ${ok.text}`);
      assert.equal(json(ok)['language'], language);
    }
  });

  test('rule 4: a tenant that is not registered → 404 E_NOT_FOUND', async () => {
    const purl = 'pkg:maven/org.acme/rule4@1.0.0';
    const graph = await uploadGraph(srv, admin, { tenant: 'nope', purl, body: BODY });
    expectError(graph, 404, 'E_NOT_FOUND', /nope/);
    const facts = await ingestFacts(srv, admin, {
      tenant: 'nope',
      callgraphId: graphId,
      body: factsNdjson(makeFacts(GRAPH, 1, '2025-01-01T00:00:00Z')),
    });
    expectError(facts, 404, 'E_NOT_FOUND', /nope/);
    const ok = await uploadGraph(srv, admin, { tenant: 't1', purl, body: BODY });
    assert.equal(ok.status, 201, ok.text);
  });

  test('rule 5: a componentPurl that is not a Package URL → 400 E_INVALID_INPUT', async () => {
    for (const bad of ['not-a-purl', 'pkg:', 'pkg:maven', 'http://example.com/x']) {
      const r = await uploadGraph(srv, svc, { purl: bad, body: BODY });
      expectError(r, 400, 'E_INVALID_INPUT', /purl/i);
    }
    expectError(await srv.request('GET', '/signals/callgraphs/by-purl/not-a-purl', { token: svc }), 400, 'E_INVALID_INPUT', /purl/i);
    const missing = await srv.request('POST', '/signals/callgraphs?language=java&source=s', {
      token: svc,
      rawBody: BODY,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expectError(missing, 400, 'E_INVALID_INPUT', /componentPurl/);
  });

  test('rule 6: a provenance_hash that does not match the body → 422 E_DIGEST_MISMATCH', async () => {
    const body = factsNdjson(makeFacts(GRAPH, 3, '2025-03-03T00:00:00Z'));
    const wrong = await ingestFacts(srv, svc, { callgraphId: graphId, body, extra: `&provenance_hash=${sha256Tag('other bytes')}` });
    expectError(wrong, 422, 'E_DIGEST_MISMATCH');
    const malformed = await ingestFacts(srv, svc, { callgraphId: graphId, body, extra: '&provenance_hash=sha256:xyz' });
    expectError(malformed, 400, 'E_INVALID_INPUT');
    const stream = await rawGet(srv, `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${graphId}`, svc);
    assert.ok(!ndjsonObjects(stream.bytes as Buffer).some((l) => l['observedAt'] === '2025-03-03T00:00:00.000Z'), 'nothing stored');
    const right = await ingestFacts(srv, svc, { callgraphId: graphId, body, extra: `&provenance_hash=${sha256Tag(body)}` });
    assert.equal(right.status, 201, right.text);
    assert.equal(json(right)['provenanceHash'], sha256Tag(body));
  });

  test('rule 6: a stored fact blob changed on disk → GET batch is E_INTEGRITY or aborted, never the other bytes', async () => {
    const { batchId, body } = await newBatch('2025-04-04T00:00:00Z');
    const path = blobPath(srv, `runtime-facts/t1/${batchId}.ndjson.zst`);
    assert.ok(existsSync(path), `the batch is stored at ${path}`);
    // Other valid facts, validly compressed: only the hash can tell.
    const forged = factsNdjson(makeFacts(GRAPH, 4, '2025-04-05T00:00:00Z'));
    writeFileSync(path, zstd.compress(forged));
    assertRefusedOrAborted(await rawGet(srv, `/signals/runtime-facts/${batchId}`, svc), body, 'GET batch');
    // The record is still there; only the bytes are refused.
    const prov = await srv.request('GET', `/signals/runtime-facts/${batchId}/provenance`, { token: svc });
    assert.equal(prov.status, 200, prov.text);
    assert.equal(json(prov)['provenanceHash'], sha256Tag(body));
  });

  test('rule 6: the stream does not serve facts of a changed blob under its provenance_hash', async () => {
    const { batchId, body } = await newBatch('2025-05-05T00:00:00Z');
    const forged = factsNdjson(makeFacts(GRAPH, 4, '2025-05-06T00:00:00Z'));
    writeFileSync(blobPath(srv, `runtime-facts/t1/${batchId}.ndjson.zst`), zstd.compress(forged));
    const r = await rawGet(srv, `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${graphId}&include_provenance=true`, svc);
    if (r.error === undefined && r.status === 200) {
      const forgedLines = ndjsonObjects(r.bytes as Buffer).filter((l) => String(l['observedAt']).startsWith('2025-05-06'));
      assert.deepEqual(forgedLines, [], `a complete 200 stream must not carry the forged facts as ${sha256Tag(body)}`);
    } else if (r.error === undefined) {
      assertRefusedOrAborted(r, body, 'the stream');
    }
  });

  test('rule 6: a stored fact blob that is gone → E_INTEGRITY, not 404', async () => {
    const { batchId, body } = await newBatch('2025-06-06T00:00:00Z');
    unlinkSync(blobPath(srv, `runtime-facts/t1/${batchId}.ndjson.zst`));
    assertRefusedOrAborted(await rawGet(srv, `/signals/runtime-facts/${batchId}`, svc), body, 'GET batch without its blob');
  });

  test('rule 7: a stored manifest envelope whose signature is not the service’s → GET manifest 500 E_INTEGRITY', async () => {
    const g = await uploadGraph(srv, svc, { purl: 'pkg:maven/org.acme/rule7@1.0.0', body: BODY });
    assert.equal(g.status, 201, g.text);
    const id = String(json(g)['graphId']);
    const good = await srv.request('GET', `/signals/callgraphs/${id}/manifest`, { token: svc });
    assert.equal(good.status, 200, good.text);
    // A well-formed DSSE envelope of the same payload, signed by a stranger under the service's key id.
    const { signature, rekorUuid, skipReason, ...unsigned } = json(g);
    void signature;
    void rekorUuid;
    void skipReason;
    const stranger = createSigner(generateKeyPair('ecdsa-p256').privateKey, String(json(g)['signerKeyId']));
    const forged = signEnvelope(MANIFEST_PAYLOAD_TYPE, canonicalBytes(unsigned), [stranger]);
    writeFileSync(blobPath(srv, `manifests/${id}.json.dsse`), JSON.stringify(forged));
    const r = await srv.request('GET', `/signals/callgraphs/${id}/manifest`, { token: svc });
    expectError(r, 500, 'E_INTEGRITY', new RegExp(id));
  });

  test('rule 7: a manifest changed together with its recorded digest (past the blob check) fails its signature → 500 E_INTEGRITY', async () => {
    const g = await uploadGraph(srv, svc, { purl: 'pkg:maven/org.acme/rule7b@1.0.0', body: BODY });
    assert.equal(g.status, 201, g.text);
    const id = String(json(g)['graphId']);
    const path = blobPath(srv, `manifests/${id}.json`);
    assert.ok(existsSync(path), `the manifest is stored at ${path}`);
    const forged = Buffer.from(JSON.stringify({ ...(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>), nodeCount: 999 }));
    writeFileSync(path, forged);
    // The tamperer also owns the index: the blob's recorded digest matches again.
    const db = new Database(join(srv.dataDir, 'index.sqlite'));
    try {
      db.pragma('busy_timeout = 5000');
      const changed = db.prepare(
        'update signals_callgraphs set manifest_digest = ?, manifest_size = ?, node_count = 999 where graph_id = ?',
      );
      assert.equal(changed.run(sha256Tag(forged), forged.length, id).changes, 1);
    } finally {
      db.close();
    }
    const r = await srv.request('GET', `/signals/callgraphs/${id}/manifest`, { token: svc });
    expectError(r, 500, 'E_INTEGRITY', /signature|signed envelope/i);
    assert.ok(!r.text.includes('999'), 'the forged manifest is not served');
  });

  test('rule 8: a stored attestation that is not a DSSE envelope → GET attestation E_INTEGRITY', async () => {
    const { batchId } = await newBatch('2025-08-08T00:00:00Z');
    const ok = await srv.request('GET', `/signals/runtime-facts/${batchId}/attestation`, { token: svc });
    assert.equal(ok.status, 200, ok.text);
    const path = blobPath(srv, `attestations/${batchId}.dsse`);
    assert.ok(existsSync(path), `the attestation is stored at ${path}`);
    writeFileSync(path, JSON.stringify({ hello: 'not an envelope', batchId }));
    const r = await srv.request('GET', `/signals/runtime-facts/${batchId}/attestation`, { token: svc });
    expectError(r, 500, 'E_INTEGRITY');
    assert.ok(!r.text.includes('not an envelope'), 'the damaged bytes are not served');
  });
});

describe('issue 14 §1 refusals over HTTP: each names the line, nothing is stored', () => {
  const good = (observedAt: string): string => JSON.stringify({ symbolId: GRAPH.nodes[0]?.id, hitCount: 1, observedAt });
  const refuse = async (what: string, body: string, status: number, code: string, message: RegExp): Promise<void> => {
    const r = await ingestFacts(srv, svc, { callgraphId: graphId, body: Buffer.from(body) });
    expectError(r, status, code, message);
    const stream = await rawGet(srv, `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${graphId}`, svc);
    const leaked = ndjsonObjects(stream.bytes as Buffer).filter((l) => String(l['observedAt']).startsWith('2026-01-0'));
    assert.deepEqual(leaked, [], `${what}: no fact of the refused batch is stored`);
  };

  test('a fact without symbolId → 400 naming its line', async () => {
    await refuse('no symbolId', `${good('2026-01-01T00:00:00Z')}\n{"hitCount":1}\n`, 400, 'E_INVALID_INPUT', /line 2/);
  });

  test('a line that is not JSON, or a field of the wrong type → 400 naming its line', async () => {
    await refuse('not JSON', `${good('2026-01-02T00:00:00Z')}\n${good('2026-01-02T00:00:01Z')}\n{oops\n`, 400, 'E_INVALID_INPUT', /line 3/);
    await refuse('hitCount text', `{"symbolId":"s","hitCount":"many"}\n`, 400, 'E_INVALID_INPUT', /line 1/);
  });

  test('an empty batch → 400', async () => {
    await refuse('empty', '\n\n', 400, 'E_INVALID_INPUT', /empty|no fact/i);
  });

  test('a line over 64 KiB → 413 naming its line', async () => {
    const long = JSON.stringify({ symbolId: GRAPH.nodes[0]?.id, hitCount: 1, metadata: { pad: 'x'.repeat(70 * 1024) } });
    await refuse('long line', `${good('2026-01-03T00:00:00Z')}\n${long}\n`, 413, 'E_PAYLOAD_TOO_LARGE', /line 2/);
  });

  test('a callgraph_id that names no stored graph of the tenant → 404 naming it', async () => {
    const r = await ingestFacts(srv, svc, { callgraphId: MISSING, body: Buffer.from(`${good('2026-01-04T00:00:00Z')}\n`) });
    expectError(r, 404, 'E_NOT_FOUND', new RegExp(MISSING));
  });

  test('a callgraph edge to an unknown node, a duplicate node id, no nodes → 400 naming the line', async () => {
    const purl = 'pkg:maven/org.acme/refused@1.0.0';
    const node = (id: string): string => JSON.stringify({ kind: 'node', id, symbol: id, entry: false });
    const edge = (from: string, to: string): string => JSON.stringify({ kind: 'edge', from, to });
    const cases: [string, string][] = [
      [`${node('sym:a')}\n${node('sym:b')}\n${edge('sym:a', 'sym:zz')}\n`, 'line 3'],
      [`${node('sym:a')}\n${node('sym:a')}\n`, 'line 2'],
    ];
    for (const [body, line] of cases) expectError(await uploadGraph(srv, svc, { purl, body }), 400, 'E_INVALID_INPUT', new RegExp(line));
    expectError(await uploadGraph(srv, svc, { purl, body: `${edge('sym:a', 'sym:b')}\n` }), 400, 'E_INVALID_INPUT');
    await nothingStored(purl);
  });

  test('a body that is neither NDJSON nor JSON → 415 naming what is accepted', async () => {
    const r = await srv.request('POST', '/signals/callgraphs?language=java&source=s&componentPurl=pkg%3Amaven%2Fa%2Fb%401', {
      token: svc,
      rawBody: BODY,
      headers: { 'content-type': 'text/plain' },
    });
    expectError(r, 415, 'E_INVALID_INPUT', /application\/x-ndjson/);
  });
});

describe('seed 000 §9 switches', () => {
  const servers: TestServer[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  /** A server with the switches set; `reuse` is a data directory that already has tenant t1. */
  const start = async (env: Record<string, string>, dir?: { path: string; reuse: boolean }): Promise<{ s: TestServer; token: string }> => {
    const s = await startTestServer({ env, ...(dir === undefined ? {} : { dataDir: dir.path }) });
    servers.push(s);
    if (dir?.reuse !== true) await s.addTenant('t1');
    return { s, token: await s.token('signals-service', ['t1']) };
  };
  const upload = async (s: TestServer, token: string): Promise<Record<string, unknown>> => {
    const r = await uploadGraph(s, token, { purl: 'pkg:maven/org.acme/switched@1.0.0', body: BODY });
    assert.equal(r.status, 201, r.text);
    return json(r);
  };
  const ingest = async (s: TestServer, token: string, callgraphId: string): Promise<Record<string, unknown>> => {
    const r = await ingestFacts(s, token, { callgraphId, body: factsNdjson(makeFacts(GRAPH, 2, '2025-01-01T00:00:00Z')) });
    assert.equal(r.status, 201, r.text);
    return json(r);
  };

  test('Signals.CAS.WriteEnabled false → every Signals write 503 E_READ_ONLY naming the key, before the body is read; reads go on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'attestry-signals-ro-'));
    dirs.push(dataDir);
    const first = await start({}, { path: dataDir, reuse: false });
    const m = await upload(first.s, first.token);
    await ingest(first.s, first.token, String(m['graphId']));
    await first.s.stop();
    servers.splice(servers.indexOf(first.s), 1);

    const { s, token } = await start({ ATTESTRY__Signals__CAS__WriteEnabled: 'false' }, { path: dataDir, reuse: true });
    const key = /Signals\.CAS\.WriteEnabled/;
    expectError(await uploadGraph(s, token, { purl: 'pkg:maven/org.acme/ro@1.0.0', body: BODY }), 503, 'E_READ_ONLY', key);
    // A body that would be refused if read: the switch answers first.
    expectError(await uploadGraph(s, token, { purl: 'pkg:maven/org.acme/ro@1.0.0', body: 'not json at all\n' }), 503, 'E_READ_ONLY', key);
    const facts = await ingestFacts(s, token, { callgraphId: String(m['graphId']), body: Buffer.from('{"no":"symbolId"}\n') });
    expectError(facts, 503, 'E_READ_ONLY', key);
    const agents: Reply = await ingestFacts(s, token, { callgraphId: String(m['graphId']), body: Buffer.from('x\n'), agentPath: true });
    expectError(agents, 503, 'E_READ_ONLY', key);
    const manifest = await s.request('GET', `/signals/callgraphs/${String(m['graphId'])}/manifest`, { token });
    assert.equal(manifest.status, 200, manifest.text);
    assert.deepEqual(manifest.json, m);
    const stream = await rawGet(s, `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${String(m['graphId'])}`, token);
    assert.equal(stream.status, 200);
    assert.equal(ndjsonObjects(stream.bytes as Buffer).length, 2);
  });

  test('Signals.Provenance.RekorEnabled false → manifests and provenance unlogged, skipReason names the key; still signed', async () => {
    const { s, token } = await start({ ATTESTRY__Signals__Provenance__RekorEnabled: 'false' });
    const m = await upload(s, token);
    assert.equal(m['rekorUuid'], null);
    assert.match(String(m['skipReason']), /Signals\.Provenance\.RekorEnabled/);
    assert.ok(manifestSignatureVerifies(m, await publishedKey(s, String(m['signerKeyId']))), 'signing does not depend on logging');
    const p = await ingest(s, token, String(m['graphId']));
    assert.equal(p['rekorUuid'], null);
    assert.match(String(p['skipReason']), /Signals\.Provenance\.RekorEnabled/);
    assert.equal(typeof p['signerKeyId'], 'string');
    const att = await s.request('GET', `/signals/runtime-facts/${String(p['batchId'])}/attestation`, { token });
    assert.equal(att.status, 200, att.text);
    const checkpoint = await s.request('GET', '/tlog/checkpoint');
    assert.equal(checkpoint.status, 200, checkpoint.text);
    assert.equal(checkpoint.text.split('\n')[1], '0', `nothing entered the log: ${checkpoint.text.slice(0, 200)}`);
  });

  test('Signals.Provenance.SignManifests false → manifests unsigned (signature and signerKeyId null) with a skipReason', async () => {
    const { s, token } = await start({ ATTESTRY__Signals__Provenance__SignManifests: 'false' });
    const m = await upload(s, token);
    assert.equal(m['signature'], null);
    assert.equal(m['signerKeyId'], null);
    assert.match(String(m['skipReason']), /SignManifests/);
    const again = await s.request('GET', `/signals/callgraphs/${String(m['graphId'])}/manifest`, { token });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, m);
    // Batches are still attested.
    const p = await ingest(s, token, String(m['graphId']));
    const att = await s.request('GET', `/signals/runtime-facts/${String(p['batchId'])}/attestation`, { token });
    assert.equal(att.status, 200, att.text);
  });

  test('Signals.Provenance.AttestBatches false → no attestation: GET attestation 404 saying why', async () => {
    const { s, token } = await start({ ATTESTRY__Signals__Provenance__AttestBatches: 'false' });
    const m = await upload(s, token);
    assert.equal(typeof m['signature'], 'string', 'manifests are still signed');
    const p = await ingest(s, token, String(m['graphId']));
    const att = await s.request('GET', `/signals/runtime-facts/${String(p['batchId'])}/attestation`, { token });
    expectError(att, 404, 'E_NOT_FOUND', /AttestBatches/);
    const prov = await s.request('GET', `/signals/runtime-facts/${String(p['batchId'])}/provenance`, { token });
    assert.equal(prov.status, 200, prov.text);
  });

  test('Signals.Provenance.Enabled false → nothing signed or attested; provenance still returned with a skipReason', async () => {
    const { s, token } = await start({ ATTESTRY__Signals__Provenance__Enabled: 'false' });
    const m = await upload(s, token);
    assert.equal(m['signature'], null);
    assert.match(String(m['skipReason']), /Signals\.Provenance\.Enabled/);
    const p = await ingest(s, token, String(m['graphId']));
    assert.match(String(p['skipReason']), /Signals\.Provenance\.Enabled/);
    assert.equal(p['provenanceHash'], sha256Tag(factsNdjson(makeFacts(GRAPH, 2, '2025-01-01T00:00:00Z'))));
    const att = await s.request('GET', `/signals/runtime-facts/${String(p['batchId'])}/attestation`, { token });
    expectError(att, 404, 'E_NOT_FOUND', /Provenance\.Enabled/);
  });
});
