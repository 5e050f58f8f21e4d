/**
 * The console's server side without a browser (issue 18): the login that
 * turns a token into an HttpOnly SameSite=Strict cookie, the CSRF header a
 * cookie-authenticated write needs, the one-box search over every kind of id
 * (another tenant's ids find nothing), the verify button's chain report for
 * any evidence record, the checkpoint's signature status (a changed
 * signature shown as invalid), the log's growth and the Signals overview
 * (filtered to the token's tenants).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GcReport } from '../../src/evidence/gc.js';
import { csrfTokenFor } from '../../src/server/console-session.js';
import { ServiceMetrics } from '../../src/server/metrics.js';
import { checkpointStatus } from '../../src/tlog/checkpoint-status.js';
import { PURL, storeBatch, storeGraph, SYM } from '../helpers/reach-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { unlinkSync } from 'node:fs';
import { signEnvelope } from '../../src/crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE } from '../../src/crypto/intoto.js';
import { blobPath, expectError, json } from '../helpers/signals-http.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => v as Obj;
let srv: TestServer;
let aud: string;
let sig: string;
let other: string;
let graphId: string;
let batch: Obj;
let verdictId: string;

before(async () => {
  // GC every 120 ms, so the overview has a last run to show.
  srv = await startTestServer({
    configure: (c) => {
      c.Gc.Enabled = true;
      c.Gc.IntervalMinutes = 0.002;
    },
  });
  await srv.addTenant('t1');
  await srv.addTenant('t2');
  aud = await srv.token('audit-service', ['t1']);
  sig = await srv.token('signals-service', ['t1']);
  other = await srv.token('audit-service', ['t2']);
  graphId = await storeGraph(srv, sig, 't1');
  batch = await storeBatch(srv, sig, graphId, {
    hits: { [SYM.parse]: 2 },
    source: 'agent-1',
    receivedAt: new Date().toISOString(),
    tenant: 't1',
  });
  const ask = await srv.request(
    'GET',
    `/signals/reachability?callgraph_id=${graphId}&symbol=${encodeURIComponent(SYM.parse)}&attest=true`,
    { token: sig },
  );
  verdictId = String(json(ask)['attestationId']);
});
after(async () => srv?.stop());

const login = (token: string, headers: Record<string, string> = {}) =>
  srv.request('POST', '/console/api/login', { body: { token }, headers });
const cookieOf = (r: { headers: Headers }): string => (r.headers.get('set-cookie') ?? '').split(';')[0]!;

test('login sets the token as an HttpOnly, SameSite=Strict cookie and answers with the CSRF token and what the role may do', async () => {
  const r = await login(aud);
  assert.equal(r.status, 200, r.text);
  const setCookie = r.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /^attestry_session=atr_/);
  for (const part of ['HttpOnly', 'SameSite=Strict', 'Path=/', 'Max-Age=43200'])
    assert.ok(setCookie.includes(part), `${part} in ${setCookie}`);
  assert.ok(!setCookie.includes('Secure'), 'plain HTTP: no Secure flag (the browser would drop the cookie)');
  const body = json(r);
  assert.equal(body['csrfToken'], csrfTokenFor(aud));
  assert.deepEqual(body['can'], { review: false, publish: false, readLog: true });
  assert.equal(r.headers.get('cache-control'), 'no-store');

  expectError(await login('atr_bogus'), 401, 'E_UNAUTHENTICATED');
  expectError(await login(aud, { 'sec-fetch-site': 'cross-site' }), 403, 'E_FORBIDDEN');
  const soon = await srv.token('audit-service', ['t1'], new Date(Date.now() + 60_000));
  const short = (await login(soon)).headers.get('set-cookie') ?? '';
  const maxAge = Number(/Max-Age=(\d+)/.exec(short)?.[1]);
  assert.ok(maxAge > 0 && maxAge <= 60, `the cookie ends with the token (Max-Age ${maxAge})`);
  // Over HTTPS (here: a proxy that ended TLS) the cookie is Secure and __Host- prefixed, and it works.
  const tls = await login(aud, { 'x-forwarded-proto': 'https' });
  assert.match(
    tls.headers.get('set-cookie') ?? '',
    /^__Host-attestry_session=atr_[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
  );
  const tlsSession = await srv.request('GET', '/console/api/session', { headers: { cookie: cookieOf(tls) } });
  assert.equal(json(tlsSession)['role'], 'audit-service');
  expectError(await srv.request('POST', '/console/api/logout', { headers: { 'sec-fetch-site': 'cross-site' } }), 403, 'E_FORBIDDEN');
  const out = await srv.request('POST', '/console/api/logout');
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie') ?? '', /attestry_session=; Max-Age=0/);
});

test('a cookie-authenticated write needs the session CSRF token; reads and bearer calls do not', async () => {
  const cookie = cookieOf(await login(aud));
  const session = await srv.request('GET', '/console/api/session', { headers: { cookie } });
  assert.equal(session.status, 200, session.text);
  assert.equal(json(session)['role'], 'audit-service');
  const verify = (headers: Record<string, string>, token?: string) =>
    srv.request('POST', '/console/api/verify', {
      body: { type: 'evidence', id: verdictId },
      headers,
      ...(token === undefined ? {} : { token }),
    });
  expectError(await verify({ cookie }), 403, 'E_FORBIDDEN');
  expectError(await verify({ cookie, 'x-csrf-token': csrfTokenFor(sig) }), 403, 'E_FORBIDDEN');
  assert.equal((await verify({ cookie, 'x-csrf-token': csrfTokenFor(aud) })).status, 200);
  assert.equal((await verify({}, aud)).status, 200, 'a bearer token needs no CSRF header');
  // Every cookie request needs the header, reads too: only /session (which hands the page its value) takes the cookie alone.
  expectError(await srv.request('GET', `/console/api/search?q=${graphId}`, { headers: { cookie } }), 403, 'E_FORBIDDEN');
  assert.equal(
    (await srv.request('GET', `/console/api/search?q=${graphId}`, { headers: { cookie, 'x-csrf-token': csrfTokenFor(aud) } })).status,
    200,
  );
  // A GET that writes: reachability with attest=true signs and logs a verdict. The cookie alone must not do it.
  const sigCookie = cookieOf(await login(sig));
  const attestGet = `/signals/reachability?callgraph_id=${graphId}&symbol=${encodeURIComponent(SYM.handle)}&attest=true`;
  const size = async () => Number(json(await srv.request('GET', '/console/api/log/checkpoint', { token: aud }))['size']);
  const before = await size();
  expectError(await srv.request('GET', attestGet, { headers: { cookie: sigCookie } }), 403, 'E_FORBIDDEN');
  assert.equal((await srv.request('HEAD', attestGet, { headers: { cookie: sigCookie } })).status, 403);
  assert.equal(await size(), before, 'nothing was signed or logged');
  // /session answers for the token the auth hook used: the Authorization header over the cookie.
  const both = json(await srv.request('GET', '/console/api/session', { token: sig, headers: { cookie } }));
  assert.deepEqual([both['role'], both['csrfToken']], ['signals-service', csrfTokenFor(sig)]);
  expectError(
    await srv.request('GET', '/console/api/session', { headers: { cookie: 'attestry_session=atr_nope' } }),
    401,
    'E_UNAUTHENTICATED',
  );
  expectError(await srv.request('GET', '/console/api/session'), 401, 'E_UNAUTHENTICATED');
});

test('search finds a batch, a callgraph (by id and PURL) and evidence by subject digest; another tenant finds none of them', async () => {
  const search = async (q: string, token = aud) =>
    json(await srv.request('GET', `/console/api/search?q=${encodeURIComponent(q)}`, { token }));
  const types = (r: Obj) => (r['hits'] as Obj[]).map((h) => `${String(h['type'])}:${String(h['id'])}`);
  const batchId = String(batch['batchId']);
  assert.deepEqual(types(await search(batchId)), [`batch:${batchId}`]);
  assert.deepEqual(types(await search(graphId)), [`callgraph:${graphId}`]);
  assert.deepEqual(types(await search(PURL)), [`callgraph:${graphId}`]);
  const bySubject = await search(String(batch['provenanceHash']));
  assert.equal(bySubject['as'], 'subject-digest');
  assert.deepEqual(types(bySubject), [`evidence:${batchId}`], 'the batch attestation names the facts by their digest');
  assert.deepEqual(types(await search(verdictId)), [`evidence:${verdictId}`]);
  for (const q of [batchId, graphId, PURL, verdictId]) assert.deepEqual(types(await search(q, other)), [], `t2 sees nothing of ${q}`);
  assert.deepEqual(types(await search('01ARZ3NDEKTSV4RRFFQ69G5FAV')), []);
  expectError(await srv.request('GET', `/console/api/search?q=${'x'.repeat(3000)}`, { token: aud }), 400, 'E_INVALID_INPUT');
  // A reviewer may not read callgraphs: a PURL search still answers (VEX hits), saying what it did not search.
  const reviewer = await srv.token('reviewer', ['t1']);
  const byReviewer = await search(PURL, reviewer);
  assert.deepEqual([types(byReviewer), byReviewer['withheld']], [[], ['callgraphs']]);
});

test('verify: an evidence record checks its blob, its DSSE signature and its log entry under the signed checkpoint', async () => {
  const r = json(await srv.request('POST', '/console/api/verify', { token: aud, body: { type: 'evidence', id: verdictId } }));
  assert.equal(r['ok'], true);
  assert.deepEqual(
    (r['checks'] as Obj[]).map((c) => `${String(c['name'])}:${String(c['status'])}`),
    ['blob-hash:passed', 'signature:passed', 'log-inclusion:passed'],
  );
  expectError(
    await srv.request('POST', '/console/api/verify', { token: other, body: { type: 'evidence', id: verdictId } }),
    404,
    'E_NOT_FOUND',
  );
  expectError(
    await srv.request('POST', '/console/api/verify', { token: aud, body: { type: 'nope', id: verdictId } }),
    400,
    'E_INVALID_INPUT',
  );
});

test('verify: a record signed by a key the tenant trusts verifies with its signature and log entry', async () => {
  const signer = await srv.trustNewKey('t1', 'tenant-key-1');
  const statement = buildStatement([{ name: 'app.tar', digest: { sha256: 'ab'.repeat(32) } }], 'https://example.com/predicate/v1', {
    ok: true,
  });
  const envelope = signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), [signer]);
  const put = await srv.request('POST', '/api/v1/attestations?tenant=t1', { token: sig, body: envelope });
  assert.equal(put.status, 201, put.text);
  const r = json(await srv.request('POST', '/console/api/verify', { token: aud, body: { type: 'evidence', id: String(json(put)['id']) } }));
  assert.deepEqual(
    (r['checks'] as Obj[]).map((c) => `${String(c['name'])}:${String(c['status'])}`),
    ['blob-hash:passed', 'signature:passed', 'log-inclusion:passed'],
  );
  assert.match(String((r['checks'] as Obj[])[1]!['message']), /tenant-key-1/);
  assert.deepEqual([r['ok'], r['skipped']], [true, 0]);
});

test('verify: a batch whose attestation blob is gone answers 200 with the broken steps named, not an error', async () => {
  const b = await storeBatch(srv, sig, graphId, {
    hits: { [SYM.main]: 1 },
    source: 'agent-2',
    receivedAt: new Date().toISOString(),
    tenant: 't1',
  });
  const id = String(b['batchId']);
  unlinkSync(blobPath(srv, `attestations/${id}.dsse`));
  const r = await srv.request('POST', '/console/api/verify', { token: aud, body: { type: 'batch', id } });
  assert.equal(r.status, 200, r.text);
  const checks = json(r)['checks'] as Obj[];
  const status = Object.fromEntries(checks.map((c) => [String(c['name']), String(c['status'])]));
  assert.equal(json(r)['ok'], false);
  assert.equal(status['blob-hash'], 'passed');
  assert.equal(status['provenance-record'], 'failed');
  assert.equal(status['attestation-log-inclusion'], 'failed');
  assert.equal(status['manifest-signature'], 'passed', 'the links that are intact still verify');
  assert.equal(checks.find((c) => c['name'] === 'provenance-record')?.['code'], 'E_INTEGRITY');
});

test("the checkpoint's signature status: verified as served, invalid once a signature byte changes, unknown for a stranger's key", async () => {
  const r = json(await srv.request('GET', '/console/api/log/checkpoint', { token: aud }));
  assert.equal(r['verified'], true);
  assert.deepEqual(
    (r['signatures'] as Obj[]).map((s) => `${String(s['role'])}:${String(s['status'])}`),
    ['log:verified'],
  );
  const note = String(r['note']);
  const line = note.trimEnd().split('\n').pop()!;
  const sig64 = line.split(' ').pop()!;
  const raw = Buffer.from(sig64, 'base64');
  raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
  const changed = note.replace(sig64, raw.toString('base64'));
  const tlog = srv.services.tlog;
  const bad = checkpointStatus(changed, tlog.noteKey, tlog.witnesses);
  assert.equal(bad.verified, false);
  assert.equal(bad.signatures[0]?.status, 'invalid');
  const stranger = note.replace(/— \S+ /, '— someone.else/log ');
  assert.equal(checkpointStatus(stranger, tlog.noteKey, []).signatures[0]?.status, 'unknown-key');
});

test("growth ends at the checkpoint size; the overview counts per tenant from the metrics and shows only the token's tenants", async () => {
  const growth = json(await srv.request('GET', '/console/api/log/growth?points=5', { token: aud }));
  const points = growth['points'] as { size: number; at: string }[];
  const size = Number(json(await srv.request('GET', '/console/api/log/checkpoint', { token: aud }))['size']);
  assert.ok(points.length >= 2 && points.length <= 5, JSON.stringify(points));
  assert.equal(points.at(-1)?.size, size);
  for (let i = 1; i < points.length; i++) assert.ok(points[i]!.size > points[i - 1]!.size && points[i]!.at >= points[i - 1]!.at);

  const mine = json(await srv.request('GET', '/console/api/overview', { token: aud }));
  assert.deepEqual(mine['tenants'], [{ tenant: 't1', callgraphs: 1, batches: 2, facts: 2 }], 'the batches of the tests above');
  assert.equal(mine['logSize'], size);
  assert.deepEqual(json(await srv.request('GET', '/console/api/overview', { token: other }))['tenants'], []);
  // The scheduled GC (every 120 ms here) has run: when, and that it did not fail.
  let gc = obj(mine['gc']);
  for (let i = 0; i < 50 && gc['lastRunAt'] === null; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gc = obj(json(await srv.request('GET', '/console/api/overview', { token: aud }))['gc']);
  }
  assert.equal(gc['enabled'], true);
  assert.ok(Date.parse(String(gc['lastRunAt'])) > Date.now() - 60_000, JSON.stringify(gc));
  assert.ok(Number(gc['runs']) >= 1);
  assert.equal(gc['lastFailed'], false);
  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /signals_runtime_facts_batches_total\{tenant="t1"\} 2/);
});

test('the last GC run reaches /metrics (and so the overview): when it finished, what it removed, whether it failed', async () => {
  const metrics = new ServiceMetrics();
  const report = {
    scanned: 10,
    orphans: [],
    removed: 3,
    tempFilesRemoved: 0,
    dryRun: false,
    expired: [],
    expiredBlobsRemoved: 1,
  } as unknown as GcReport;
  metrics.watchGc({
    runs: 2,
    skipped: 0,
    lastReport: report,
    lastError: undefined,
    lastRunAt: new Date(1_800_000_000_000),
    stop: async () => undefined,
  });
  const text = await metrics.registry.metrics();
  assert.match(text, /^attestry_gc_runs 2$/m);
  assert.match(text, /^attestry_gc_last_run_timestamp_seconds 1800000000$/m);
  assert.match(text, /^attestry_gc_last_run_removed_blobs 4$/m);
  assert.match(text, /^attestry_gc_last_run_failed 0$/m);
});
