/**
 * Seed 000 §3.2 over HTTP, cell by cell: every role × each of the four
 * Signals kinds × read/write, through the endpoint that exercises the cell
 * (callgraphs: POST / GET graph; manifests: GET manifest, written only by the
 * service on upload; runtime-facts: POST batch / GET batch, provenance and the
 * stream; attestations: GET attestation, written by the service on ingest).
 * Then tenant isolation: another tenant's ids are 404 like ids that do not
 * exist, and by-purl and the stream return nothing of the other tenant.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { can, ROLES, type Role } from '../../src/authz/access-matrix.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  expectError,
  factsNdjson,
  graphNdjson,
  ingestFacts,
  json,
  makeFacts,
  makeGraph,
  ndjsonObjects,
  rawGet,
  SIGNALS_KEY_ID,
  uploadGraph,
  type Reply,
} from '../helpers/signals-http.js';

const TENANTS = ['t1', 't2'] as const;
type Tenant = (typeof TENANTS)[number];
const GRAPH = makeGraph(6, 'iso');
/** The same component in both tenants, so by-purl has something to leak if it leaked. */
const SHARED_PURL = 'pkg:maven/org.acme/shared@1.0.0';
const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

let srv: TestServer;
let admin: string;
const stored = { t1: {}, t2: {} } as Record<Tenant, { graphId: string; batchId: string; provenanceHash: string }>;
const tokens = {} as Record<Role, Record<Tenant | 'both', string>>;

const forbidden = (r: Reply, role: Role, action: string, kind: string): void => {
  expectError(r, 403, 'E_FORBIDDEN', new RegExp(`${role}.*${action}.*${kind}`));
};

/** A raw reply as the JSON reply helpers want it (a refusal is a small JSON object). */
function asReply(x: Awaited<ReturnType<typeof rawGet>>): Reply {
  const text = x.bytes?.toString() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: x.status, text, json: parsed, headers: x.headers };
}

/** What admin finds in the tenant's stream for `callgraphId`: the lines, parsed. */
async function adminStream(tenant: Tenant, callgraphId: string): Promise<Record<string, unknown>[]> {
  const r = await rawGet(srv, `/signals/runtime-facts/ndjson?tenant=${tenant}&callgraph_id=${callgraphId}&include_provenance=true`, admin);
  assert.equal(r.status, 200, r.bytes?.toString().slice(0, 300));
  return ndjsonObjects(r.bytes as Buffer);
}

before(async () => {
  srv = await startTestServer();
  for (const t of TENANTS) await srv.addTenant(t);
  admin = await srv.token('admin', ['*']);
  for (const t of TENANTS) {
    const g = await uploadGraph(srv, admin, { tenant: t, purl: SHARED_PURL, body: graphNdjson(GRAPH) });
    assert.equal(g.status, 201, g.text);
    const graphId = String(json(g)['graphId']);
    const b = await ingestFacts(srv, admin, {
      tenant: t,
      callgraphId: graphId,
      body: factsNdjson(makeFacts(GRAPH, 3, `2025-02-0${t === 't1' ? 1 : 2}T00:00:00Z`)),
    });
    assert.equal(b.status, 201, b.text);
    stored[t] = { graphId, batchId: String(json(b)['batchId']), provenanceHash: String(json(b)['provenanceHash']) };
  }
  for (const role of ROLES) {
    tokens[role] = { t1: await srv.token(role, ['t1']), t2: await srv.token(role, ['t2']), both: await srv.token(role, ['t1', 't2']) };
  }
});

after(async () => {
  await srv?.stop();
});

describe('callgraphs', () => {
  for (const role of ROLES) {
    const allowed = can(role, 'callgraphs', 'write');
    test(`${role} writes callgraphs (POST /signals/callgraphs) → ${allowed ? '201' : '403'}`, async () => {
      const purl = `pkg:maven/org.acme/written-by-${role}@1.0.0`;
      const r = await uploadGraph(srv, tokens[role].t1, { purl, body: graphNdjson(GRAPH) });
      const found = await srv.request('GET', `/signals/callgraphs/by-purl/${encodeURIComponent(purl)}?tenant=t1`, { token: admin });
      assert.equal(found.status, 200, found.text);
      const items = json(found)['items'] as unknown[];
      if (allowed) {
        assert.equal(r.status, 201, r.text);
        assert.equal(json(r)['tenantId'], 't1', 'the token’s only tenant');
        // §3.2 gives no role but the service write access to manifests: the service signs it.
        assert.equal(json(r)['signerKeyId'], SIGNALS_KEY_ID);
        assert.equal(typeof json(r)['signature'], 'string');
        assert.deepEqual(items, [r.json]);
      } else {
        forbidden(r, role, 'write', 'callgraphs');
        assert.deepEqual(items, [], 'nothing stored');
      }
    });
  }

  for (const role of ROLES) {
    const allowed = can(role, 'callgraphs', 'read');
    test(`${role} reads callgraphs (GET /signals/callgraphs/{id}) → ${allowed ? '200' : '403'}`, async () => {
      const r = await rawGet(srv, `/signals/callgraphs/${stored.t1.graphId}`, tokens[role].t1);
      if (allowed) {
        assert.equal(r.status, 200);
        assert.equal(ndjsonObjects(r.bytes as Buffer).length, GRAPH.nodes.length + GRAPH.edges.length);
      } else {
        forbidden(asReply(r), role, 'read', 'callgraphs');
        assert.ok(!asReply(r).text.includes('"kind":"node"'), 'no graph in a refusal');
      }
    });
  }
});

describe('manifests', () => {
  test('write: no role but signals-service and admin may write manifests; the service signs them on upload, whoever uploads', async () => {
    for (const role of ROLES) assert.equal(can(role, 'manifests', 'write'), role === 'signals-service' || role === 'admin', role);
    assert.ok(can('scanner-worker', 'callgraphs', 'write'));
    const r = await uploadGraph(srv, tokens['scanner-worker'].t1, { purl: 'pkg:maven/org.acme/scanned@1.0.0', body: graphNdjson(GRAPH) });
    assert.equal(r.status, 201, r.text);
    const m = await srv.request('GET', `/signals/callgraphs/${String(json(r)['graphId'])}/manifest`, { token: admin });
    assert.equal(m.status, 200, m.text);
    assert.deepEqual(m.json, r.json);
    assert.equal(json(m)['signerKeyId'], SIGNALS_KEY_ID);
  });

  for (const role of ROLES) {
    const allowed = can(role, 'manifests', 'read');
    test(`${role} reads manifests (GET .../manifest, by-purl) → ${allowed ? '200' : '403'}`, async () => {
      const r = await srv.request('GET', `/signals/callgraphs/${stored.t1.graphId}/manifest`, { token: tokens[role].t1 });
      const found = await srv.request('GET', `/signals/callgraphs/by-purl/${encodeURIComponent(SHARED_PURL)}`, { token: tokens[role].t1 });
      if (allowed) {
        assert.equal(r.status, 200, r.text);
        assert.equal(json(r)['graphId'], stored.t1.graphId);
        assert.equal(found.status, 200, found.text);
        assert.deepEqual(
          (json(found)['items'] as Record<string, unknown>[]).map((i) => i['graphId']),
          [stored.t1.graphId],
        );
      } else {
        forbidden(r, role, 'read', 'manifests');
        expectError(found, 403, 'E_FORBIDDEN');
        assert.ok(!found.text.includes(stored.t1.graphId), 'a refusal names no graph');
      }
    });
  }
});

describe('runtime-facts', () => {
  for (const [i, role] of ROLES.entries()) {
    const allowed = can(role, 'runtime-facts', 'write');
    test(`${role} writes runtime-facts (POST /signals/runtime-facts) → ${allowed ? '201' : '403'}`, async () => {
      // A timestamp only this role's batch has, to find it (or not) afterwards.
      const observedAt = new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString();
      const facts = [{ symbolId: GRAPH.nodes[0]?.id ?? '', hitCount: 1, observedAt }];
      const r = await ingestFacts(srv, tokens[role].t1, { callgraphId: stored.t1.graphId, body: factsNdjson(facts) });
      const seen = (await adminStream('t1', stored.t1.graphId)).filter((l) => l['observedAt'] === observedAt);
      if (allowed) {
        assert.equal(r.status, 201, r.text);
        assert.equal(json(r)['tenantId'], 't1');
        assert.equal(seen.length, 1);
        // attestations write: the service attests the batch whoever sends it.
        const att = await srv.request('GET', `/signals/runtime-facts/${String(json(r)['batchId'])}/attestation`, { token: admin });
        assert.equal(att.status, 200, att.text);
      } else {
        forbidden(r, role, 'write', 'runtime-facts');
        assert.equal(seen.length, 0, 'nothing stored');
      }
    });
  }

  for (const role of ROLES) {
    const allowed = can(role, 'runtime-facts', 'read');
    test(`${role} reads runtime-facts (GET batch, provenance, stream) → ${allowed ? '200' : '403'}`, async () => {
      const token = tokens[role].t1;
      const batch = await rawGet(srv, `/signals/runtime-facts/${stored.t1.batchId}`, token);
      const prov = await srv.request('GET', `/signals/runtime-facts/${stored.t1.batchId}/provenance`, { token });
      const stream = await rawGet(
        srv,
        `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${stored.t1.graphId}&include_provenance=true`,
        token,
      );
      if (allowed) {
        assert.equal(batch.status, 200);
        assert.equal(ndjsonObjects(batch.bytes as Buffer).length, 3);
        assert.equal(prov.status, 200, prov.text);
        assert.equal(json(prov)['batchId'], stored.t1.batchId);
        assert.equal(stream.status, 200);
        const lines = ndjsonObjects(stream.bytes as Buffer);
        assert.ok(lines.some((l) => l['provenance_hash'] === stored.t1.provenanceHash));
      } else {
        forbidden(asReply(batch), role, 'read', 'runtime-facts');
        forbidden(prov, role, 'read', 'runtime-facts');
        expectError(asReply(stream), 403, 'E_FORBIDDEN');
        assert.ok(!asReply(stream).text.includes('symbolId'), 'no facts in a refusal');
      }
    });
  }
});

describe('attestations', () => {
  for (const role of ROLES) {
    const allowed = can(role, 'attestations', 'read');
    test(`${role} reads attestations (GET .../attestation) → ${allowed ? '200' : '403'}`, async () => {
      const r = await srv.request('GET', `/signals/runtime-facts/${stored.t1.batchId}/attestation`, { token: tokens[role].t1 });
      if (allowed) {
        assert.equal(r.status, 200, r.text);
        assert.equal(json(r)['payloadType'], 'application/vnd.in-toto+json');
      } else {
        forbidden(r, role, 'read', 'attestations');
        assert.ok(!r.text.includes('payload"'), 'no envelope in a refusal');
      }
    });
  }
});

describe('tenant isolation', () => {
  const byId = (): [string, string][] => [
    ['graph', `/signals/callgraphs/${stored.t1.graphId}`],
    ['manifest', `/signals/callgraphs/${stored.t1.graphId}/manifest`],
    ['batch', `/signals/runtime-facts/${stored.t1.batchId}`],
    ['provenance', `/signals/runtime-facts/${stored.t1.batchId}/provenance`],
    ['attestation', `/signals/runtime-facts/${stored.t1.batchId}/attestation`],
  ];

  for (const role of ROLES) {
    test(`${role} of t2: every t1 id is 404, exactly like an id that does not exist`, async () => {
      for (const [what, path] of byId()) {
        const r = await srv.request('GET', path, { token: tokens[role].t2 });
        expectError(r, 404, 'E_NOT_FOUND');
        assert.ok(!r.text.includes('"kind":"node"') && !r.text.includes('symbolId'), `${what}: nothing of t1`);
        const missing = await srv.request('GET', path.replace(stored.t1.graphId, MISSING).replace(stored.t1.batchId, MISSING), {
          token: tokens[role].t2,
        });
        expectError(missing, 404, 'E_NOT_FOUND');
      }
    });
  }

  test('by-purl with a t2 token finds t2’s graph only, whatever tenant it asks for', async () => {
    const token = tokens['signals-service'].t2;
    const path = `/signals/callgraphs/by-purl/${encodeURIComponent(SHARED_PURL)}`;
    const own = await srv.request('GET', path, { token });
    assert.equal(own.status, 200, own.text);
    assert.deepEqual(
      (json(own)['items'] as Record<string, unknown>[]).map((i) => i['graphId']),
      [stored.t2.graphId],
    );
    const foreign = await srv.request('GET', `${path}?tenant=t1`, { token });
    assert.ok(!foreign.text.includes(stored.t1.graphId), `no t1 graph: ${foreign.text.slice(0, 300)}`);
    if (foreign.status === 200) assert.deepEqual(json(foreign)['items'], []);
    else assert.ok([403, 404].includes(foreign.status), foreign.text);
    // A token for both tenants sees both, newest first.
    const both = await srv.request('GET', path, { token: tokens['signals-service'].both });
    assert.equal(both.status, 200, both.text);
    assert.deepEqual(
      (json(both)['items'] as Record<string, unknown>[]).map((i) => i['graphId']),
      [stored.t2.graphId, stored.t1.graphId],
    );
  });

  test('the stream with a t2 token carries nothing of t1', async () => {
    const token = tokens['signals-service'].t2;
    const own = await rawGet(srv, '/signals/runtime-facts/ndjson?tenant=t2&include_provenance=true', token);
    assert.equal(own.status, 200);
    const lines = ndjsonObjects(own.bytes as Buffer);
    assert.ok(lines.length >= 3);
    for (const l of lines) {
      assert.notEqual(l['provenance_hash'], stored.t1.provenanceHash);
      assert.notEqual(l['callgraph_id'], stored.t1.graphId);
    }
    for (const query of [`tenant=t1&include_provenance=true`, `tenant=t2&callgraph_id=${stored.t1.graphId}&include_provenance=true`]) {
      const r = await rawGet(srv, `/signals/runtime-facts/ndjson?${query}`, token);
      const text = r.bytes?.toString() ?? '';
      assert.ok(!text.includes(stored.t1.provenanceHash) && !text.includes('symbolId'), `${query}: nothing of t1: ${text.slice(0, 300)}`);
      assert.ok([200, 403, 404].includes(r.status), `${query}: ${r.status}`);
    }
  });

  test('writes: a t2 token cannot name t1, nor send facts about a t1 graph', async () => {
    const token = tokens['signals-service'].t2;
    const graph = await uploadGraph(srv, token, { tenant: 't1', purl: 'pkg:maven/org.acme/intruder@1.0.0', body: graphNdjson(GRAPH) });
    expectError(graph, 403, 'E_FORBIDDEN', /t1/);
    const facts = factsNdjson(makeFacts(GRAPH, 1, '2023-05-05T00:00:00Z'));
    const named = await ingestFacts(srv, token, { tenant: 't1', callgraphId: stored.t1.graphId, body: facts });
    expectError(named, 403, 'E_FORBIDDEN', /t1/);
    const smuggled = await ingestFacts(srv, token, { tenant: 't2', callgraphId: stored.t1.graphId, body: facts });
    expectError(smuggled, 404, 'E_NOT_FOUND', new RegExp(stored.t1.graphId));
    const seen = (await adminStream('t1', stored.t1.graphId)).filter((l) => l['observedAt'] === '2023-05-05T00:00:00.000Z');
    assert.deepEqual(seen, [], 'nothing reached t1');
  });

  test('no token: every Signals route is 401', async () => {
    const routes: [string, string][] = [
      ['POST', '/signals/callgraphs?tenant=t1&language=java&source=s&componentPurl=pkg%3Amaven%2Fa%2Fb%401'],
      ['GET', `/signals/callgraphs/${stored.t1.graphId}`],
      ['GET', `/signals/callgraphs/${stored.t1.graphId}/manifest`],
      ['GET', `/signals/callgraphs/by-purl/${encodeURIComponent(SHARED_PURL)}`],
      ['POST', `/signals/runtime-facts?tenant=t1&callgraph_id=${stored.t1.graphId}&source=s&pipeline_version=v`],
      ['POST', `/signals/runtime-facts/ndjson?tenant=t1&callgraph_id=${stored.t1.graphId}&source=s&pipeline_version=v`],
      ['GET', `/signals/runtime-facts/${stored.t1.batchId}`],
      ['GET', `/signals/runtime-facts/${stored.t1.batchId}/provenance`],
      ['GET', `/signals/runtime-facts/${stored.t1.batchId}/attestation`],
      ['GET', '/signals/runtime-facts/ndjson?tenant=t1'],
    ];
    for (const [method, path] of routes) {
      const r = await srv.request(
        method,
        path,
        method === 'POST' ? { rawBody: '{}\n', headers: { 'content-type': 'application/x-ndjson' } } : {},
      );
      expectError(r, 401, 'E_UNAUTHENTICATED');
    }
  });
});
