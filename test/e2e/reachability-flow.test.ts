/**
 * Issue 15 over HTTP against the real service: a callgraph and fact batches
 * uploaded through the Signals routes, then the acceptance interface
 * (GET /signals/reachability → state, path, runtime.hitCount,
 * evidence.provenanceIds, evidence.manifestDigest; attest=true →
 * attestationId, logIndex; format=openvex), several symbols, the window and
 * thresholds, a history of three chained verdicts whose envelopes verify
 * with the published key, and POST with an OSV advisory and the component's
 * PURL.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  DIGEST_RE,
  INTOTO_PAYLOAD_TYPE,
  json,
  publishedKey,
  rawGet,
  SIGNALS_KEY_ID,
  ULID_RE,
  verifiedDssePayload,
} from '../helpers/signals-http.js';
import { askGet, askPost, assertOpenVex, OSV_ADVISORY, PURL, storeBatch, storeGraph, SYM } from '../helpers/reach-http.js';
import { REACHABILITY_PREDICATE_TYPE } from '../../src/signals/reach-types.js';

let srv: TestServer;
let token: string;
let graphId: string;
let batch1: Record<string, unknown>;

type Obj = Record<string, unknown>;
const obj = (v: unknown, what: string): Obj => {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what} is an object: ${JSON.stringify(v)}`);
  return v as Obj;
};
const results = (r: Obj): Obj[] => (r['results'] as unknown[]).map((x, i) => obj(x, `results[${i}]`));

before(async () => {
  srv = await startTestServer();
  // The data directory starts with the tenant `default`.
  token = await srv.token('signals-service', ['default']);
  graphId = await storeGraph(srv, token);
  batch1 = await storeBatch(srv, token, graphId, {
    hits: { [SYM.parse]: 5, [SYM.handle]: 2 },
    source: 'host-1',
    receivedAt: '2025-03-01T00:00:00Z',
  });
});
after(async () => {
  await srv?.stop();
});

describe('the acceptance interface', () => {
  test('GET one symbol → state, path, runtime.hitCount, evidence.provenanceIds and manifestDigest', async () => {
    const r = await askGet(srv, token, [SYM.parse], { callgraph_id: graphId });
    assert.equal(r.status, 200, r.text);
    const a = json(r);
    assert.equal(a['state'], 'ConfirmedReachable');
    assert.deepEqual(a['path'], [SYM.main, SYM.handle, SYM.parse]);
    const runtime = obj(a['runtime'], 'runtime');
    assert.equal(runtime['hitCount'], 5);
    assert.deepEqual(runtime['sources'], ['host-1']);
    const evidence = obj(a['evidence'], 'evidence');
    assert.deepEqual(evidence['provenanceIds'], [batch1['provenanceId']]);
    assert.match(String(evidence['manifestDigest']), DIGEST_RE);
    assert.equal(obj(evidence['callgraph'], 'evidence.callgraph')['manifestDigest'], evidence['manifestDigest']);
    const [cited] = evidence['batches'] as Obj[];
    assert.equal(cited?.['provenanceHash'], batch1['provenanceHash'], 'the batch is cited with its provenance hash');
    assert.equal(cited?.['hitCount'], 5);
    const steps = (obj(a['static'], 'static')['steps'] as Obj[]).map((s) => [s['symbol'], s['edgeKind']]);
    assert.deepEqual(steps, [
      [SYM.main, null],
      [SYM.handle, 'static'],
      [SYM.parse, 'static'],
    ]);
    assert.equal(a['attestationId'], undefined, 'no verdict without attest');
  });

  test('several symbols → {results} in the order asked, each with its state', async () => {
    const r = await askGet(srv, token, [SYM.dead, SYM.parse, SYM.plugin, SYM.absent], { callgraph_id: graphId });
    assert.equal(r.status, 200, r.text);
    const b = json(r);
    assert.equal(b['callgraphId'], graphId);
    assert.equal(b['componentPurl'], PURL);
    const got = results(b).map((x) => [x['symbol'], x['state']]);
    assert.deepEqual(got, [
      [SYM.dead, 'ConfirmedUnreachable'],
      [SYM.parse, 'ConfirmedReachable'],
      [SYM.plugin, 'RuntimeUnobserved'],
      [SYM.absent, 'RuntimeUnobserved'],
    ]);
    const plugin = obj(results(b)[2]?.['static'], 'static');
    assert.deepEqual(plugin['uncertainEdges'], ['dynamic'], 'reached only through a dynamic edge: uncertain, never unreachable');
  });

  test('thresholds and the window: too little coverage makes "not seen" no evidence', async () => {
    const more = await askGet(srv, token, [SYM.dead], { callgraph_id: graphId, min_batches: '2' });
    assert.equal(more.status, 200, more.text);
    assert.equal(json(more)['state'], 'StaticUnreachable');
    const later = await askGet(srv, token, [SYM.parse], { callgraph_id: graphId, since: '2025-03-02T00:00:00Z' });
    assert.equal(later.status, 200, later.text);
    assert.equal(json(later)['state'], 'StaticReachable', 'no batch in the window: the path alone');
    assert.deepEqual(obj(json(later)['evidence'], 'evidence')['provenanceIds'], []);
  });

  test('by purl: the newest callgraph of the component answers', async () => {
    const r = await askGet(srv, token, [SYM.parse], { purl: PURL });
    assert.equal(r.status, 200, r.text);
    assert.equal(json(r)['callgraphId'], graphId);
  });

  test('an unknown callgraph → 404; a bad since → 400 naming it', async () => {
    const nf = await askGet(srv, token, [SYM.parse], { callgraph_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    assert.equal(nf.status, 404, nf.text);
    const bad = await askGet(srv, token, [SYM.parse], { callgraph_id: graphId, since: 'last tuesday' });
    assert.equal(bad.status, 400, bad.text);
    assert.match(String(json(bad)['message']), /since/);
  });
});

describe('verdicts', () => {
  const verdicts: Obj[] = [];

  test('attest=true → attestationId and logIndex; the same evidence again records nothing new', async () => {
    const r = await askGet(srv, token, [SYM.parse], { callgraph_id: graphId, attest: 'true' });
    assert.equal(r.status, 200, r.text);
    const a = json(r);
    assert.match(String(a['attestationId']), ULID_RE);
    assert.ok(Number.isInteger(a['logIndex']), `logIndex ${String(a['logIndex'])}`);
    assert.equal(a['sequence'], 1);
    assert.equal(a['previous'], null);
    assert.equal(a['created'], true);
    verdicts.push(a);
    const again = json(await askGet(srv, token, [SYM.parse], { callgraph_id: graphId, attest: 'true' }));
    assert.equal(again['attestationId'], a['attestationId']);
    assert.equal(again['created'], false);
  });

  test('new facts → a new verdict linked to the previous; three make a chain in the history', async () => {
    for (const [i, receivedAt] of ['2025-03-02T00:00:00Z', '2025-03-03T00:00:00Z'].entries()) {
      await storeBatch(srv, token, graphId, { hits: { [SYM.parse]: 1 + i }, source: `host-${2 + i}`, receivedAt });
      const a = json(await askGet(srv, token, [SYM.parse], { callgraph_id: graphId, attest: 'true' }));
      assert.equal(a['sequence'], 2 + i, JSON.stringify(a).slice(0, 300));
      const previous = obj(a['previous'], 'previous');
      assert.equal(previous['attestationId'], verdicts.at(-1)?.['attestationId']);
      assert.equal(previous['digest'], verdicts.at(-1)?.['verdictDigest']);
      verdicts.push(a);
    }
    const h = await srv.request('GET', `/signals/reachability/history?callgraph_id=${graphId}&symbol=${encodeURIComponent(SYM.parse)}`, {
      token,
    });
    assert.equal(h.status, 200, h.text);
    const history = json(h);
    assert.equal(history['chainOk'], true);
    const listed = (history['verdicts'] as Obj[]).map((v) => [v['sequence'], v['attestationId'], v['state']]);
    assert.deepEqual(
      listed,
      verdicts.map((v) => [v['sequence'], v['attestationId'], 'ConfirmedReachable']),
    );
    const hv = history['verdicts'] as Obj[];
    for (let i = 1; i < hv.length; i++)
      assert.deepEqual(hv[i]?.['previous'], { attestationId: hv[i - 1]?.['attestationId'], digest: hv[i - 1]?.['digest'] });
  });

  test('a verdict: predicate and envelope; the envelope verifies with the published key and is the logged digest', async () => {
    const v = verdicts[0];
    assert.ok(v, 'a verdict was stored above');
    const id = String(v['attestationId']);
    const r = await srv.request('GET', `/signals/reachability/verdicts/${id}`, { token });
    assert.equal(r.status, 200, r.text);
    const body = json(r);
    const predicate = obj(body['predicate'], 'predicate');
    assert.equal(predicate['state'], 'ConfirmedReachable');
    assert.equal(predicate['sequence'], 1);
    assert.equal(predicate['symbol'], SYM.parse);
    const key = await publishedKey(srv, SIGNALS_KEY_ID);
    const statement = JSON.parse(verifiedDssePayload(body['envelope'], key, INTOTO_PAYLOAD_TYPE).toString()) as Obj;
    assert.equal(statement['predicateType'], REACHABILITY_PREDICATE_TYPE);
    const subjects = statement['subjects'] ?? statement['subject'];
    assert.ok(Array.isArray(subjects) && subjects.length === 2, 'subjects: the callgraph blob and the symbol');
    assert.deepEqual(obj(subjects[1], 'subject').digest, { sha256: createHash('sha256').update(SYM.parse).digest('hex') });
    const raw = await rawGet(srv, `/signals/reachability/verdicts/${id}/envelope`, token);
    assert.equal(raw.status, 200);
    assert.equal(
      `sha256:${createHash('sha256')
        .update(raw.bytes as Buffer)
        .digest('hex')}`,
      v['verdictDigest'],
    );
  });
});

describe('OpenVEX and OSV', () => {
  test('format=openvex: schema-valid documents; affected, not_affected and under_investigation', async () => {
    const cases: [string, string][] = [
      [SYM.parse, 'affected'],
      [SYM.dead, 'not_affected'],
      [SYM.plugin, 'under_investigation'],
    ];
    for (const [symbol, status] of cases) {
      const r = await askGet(srv, token, [symbol], { callgraph_id: graphId, format: 'openvex', vulnerability: 'CVE-2025-1' });
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      const doc = json(r);
      assertOpenVex(doc);
      assert.equal(doc['@context'], 'https://openvex.dev/ns/v0.2.0');
      assert.equal(doc['author'], 'attestry');
      const [statement] = doc['statements'] as Obj[];
      assert.equal(statement?.['status'], status, symbol);
      assert.deepEqual(statement?.['vulnerability'], { name: 'CVE-2025-1' });
      assert.equal((statement?.['products'] as Obj[])[0]?.['@id'], PURL);
    }
    const several = await askGet(srv, token, [SYM.dead, SYM.parse], { callgraph_id: graphId, format: 'openvex' });
    assertOpenVex(json(several));
    assert.equal((json(several)['statements'] as Obj[])[0]?.['status'], 'affected', 'one affected symbol makes the statement affected');
  });

  test('POST an OSV advisory with the component PURL → its symbol resolved and answered; openvex names the advisory', async () => {
    const r = await askPost(srv, token, { purl: PURL, osv: OSV_ADVISORY });
    assert.equal(r.status, 200, r.text);
    const b = json(r);
    assert.equal(b['callgraphId'], graphId);
    assert.equal(b['vulnerability'], OSV_ADVISORY.id);
    const parse = results(b).find((x) => x['symbol'] === SYM.parse);
    assert.ok(parse, `the advisory's org.lib.Parser.parse resolves to ${SYM.parse}: ${r.text.slice(0, 400)}`);
    assert.equal(parse['state'], 'ConfirmedReachable');
    const vex = await askPost(srv, token, { purl: PURL, osv: OSV_ADVISORY, format: 'openvex' });
    assert.equal(vex.status, 200, vex.text);
    assertOpenVex(json(vex));
    const [statement] = json(vex)['statements'] as Obj[];
    assert.equal(obj(statement?.['vulnerability'], 'vulnerability')['name'], OSV_ADVISORY.id);
    assert.equal(statement?.['status'], 'affected');
  });

  test('POST symbols → always {results}; a bad advisory → 400 naming its field', async () => {
    const r = await askPost(srv, token, { callgraphId: graphId, symbols: [SYM.parse] });
    assert.equal(r.status, 200, r.text);
    assert.equal(results(json(r)).length, 1);
    const bad = await askPost(srv, token, { callgraphId: graphId, osv: { id: 'X', affected: 'everything' } });
    assert.equal(bad.status, 400, bad.text);
    assert.match(String(json(bad)['message']), /affected/);
  });
});
