/**
 * Who may ask and who may attest, over HTTP against the real service
 * (docs/reachability.md "Access"): answering needs read on
 * `reachability-verdicts` (policy-engine, audit-service, signals-service,
 * admin), attesting needs write (signals-service, admin); scanner-worker,
 * ai-service and reviewer are refused. Then tenant isolation: another
 * tenant's callgraph, history and verdicts are 404, like ids that do not exist.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { can, ROLES, type Role } from '../../src/authz/access-matrix.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectError, json } from '../helpers/signals-http.js';
import { askGet, askPost, storeBatch, storeGraph, SYM } from '../helpers/reach-http.js';

/** The table, written out (and checked against the access matrix below). */
const ASK: Readonly<Record<string, boolean>> = {
  'policy-engine': true,
  'audit-service': true,
  'signals-service': true,
  admin: true,
  'scanner-worker': false,
  'ai-service': false,
  reviewer: false,
};
const ATTEST: Readonly<Record<string, boolean>> = { 'signals-service': true, admin: true };

let srv: TestServer;
const graphs = {} as Record<'t1' | 't2', string>;
const tokens = {} as Record<Role, string>;
let t2Reader: string;
let t1Verdict: string;

before(async () => {
  srv = await startTestServer();
  await srv.addTenant('t1');
  await srv.addTenant('t2');
  const admin = await srv.token('admin', ['*']);
  for (const t of ['t1', 't2'] as const) {
    graphs[t] = await storeGraph(srv, admin, t);
    await storeBatch(srv, admin, graphs[t], { tenant: t, hits: { [SYM.parse]: 1 }, source: 'host-1', receivedAt: '2025-03-01T00:00:00Z' });
  }
  for (const role of ROLES) tokens[role] = await srv.token(role, ['t1']);
  t2Reader = await srv.token('policy-engine', ['t2']);
  const v = await askGet(srv, admin, [SYM.parse], { tenant: 't1', callgraph_id: graphs.t1, attest: 'true' });
  assert.equal(v.status, 200, v.text);
  t1Verdict = String(json(v)['attestationId']);
});
after(async () => {
  await srv?.stop();
});

describe('roles', () => {
  test('the written-out table agrees with the access matrix', () => {
    for (const role of ROLES) {
      assert.equal(can(role, 'reachability-verdicts', 'read'), ASK[role] ?? false, `${role} read`);
      assert.equal(can(role, 'reachability-verdicts', 'write'), ATTEST[role] ?? false, `${role} write`);
    }
  });

  for (const role of ROLES) {
    const asks = ASK[role] ?? false;
    const attests = ATTEST[role] ?? false;
    test(`${role}: ask → ${asks ? 200 : 403}, attest → ${attests ? 200 : 403}, history → ${asks ? 200 : 403}`, async () => {
      const token = tokens[role];
      const ask = await askGet(srv, token, [SYM.parse], { callgraph_id: graphs.t1 });
      if (asks) {
        assert.equal(ask.status, 200, ask.text);
        assert.equal(json(ask)['state'], 'ConfirmedReachable');
      } else expectError(ask, 403, 'E_FORBIDDEN', /reachability-verdicts/);

      const post = await askPost(srv, token, { callgraphId: graphs.t1, symbols: [SYM.parse] });
      assert.equal(post.status, asks ? 200 : 403, post.text);

      const attest = await askGet(srv, token, [SYM.dead], { callgraph_id: graphs.t1, attest: 'true' });
      if (attests) {
        assert.equal(attest.status, 200, attest.text);
        assert.equal(typeof json(attest)['attestationId'], 'string');
      } else expectError(attest, 403, 'E_FORBIDDEN', /reachability-verdicts/);

      const history = await srv.request(
        'GET',
        `/signals/reachability/history?callgraph_id=${graphs.t1}&symbol=${encodeURIComponent(SYM.parse)}`,
        {
          token,
        },
      );
      assert.equal(history.status, asks ? 200 : 403, history.text);
      const verdict = await srv.request('GET', `/signals/reachability/verdicts/${t1Verdict}`, { token });
      assert.equal(verdict.status, asks ? 200 : 403, verdict.text);
    });
  }

  test('no token → 401', async () => {
    const r = await srv.request('GET', `/signals/reachability?callgraph_id=${graphs.t1}&symbol=x`);
    expectError(r, 401, 'E_UNAUTHENTICATED');
  });
});

describe('tenant isolation', () => {
  test("another tenant's callgraph is 404, as one that does not exist", async () => {
    const r = await askGet(srv, t2Reader, [SYM.parse], { callgraph_id: graphs.t1 });
    expectError(r, 404, 'E_NOT_FOUND');
    const missing = await askGet(srv, t2Reader, [SYM.parse], { callgraph_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' });
    expectError(missing, 404, 'E_NOT_FOUND');
    const post = await askPost(srv, t2Reader, { callgraphId: graphs.t1, symbols: [SYM.parse] });
    expectError(post, 404, 'E_NOT_FOUND');
    // Its own graph answers.
    const own = await askGet(srv, t2Reader, [SYM.parse], { callgraph_id: graphs.t2 });
    assert.equal(own.status, 200, own.text);
    assert.equal(json(own)['tenantId'], 't2');
  });

  test("another tenant's history and verdicts are 404", async () => {
    const h = await srv.request('GET', `/signals/reachability/history?callgraph_id=${graphs.t1}&symbol=${encodeURIComponent(SYM.parse)}`, {
      token: t2Reader,
    });
    expectError(h, 404, 'E_NOT_FOUND');
    const v = await srv.request('GET', `/signals/reachability/verdicts/${t1Verdict}`, { token: t2Reader });
    expectError(v, 404, 'E_NOT_FOUND');
    const e = await srv.request('GET', `/signals/reachability/verdicts/${t1Verdict}/envelope`, { token: t2Reader });
    expectError(e, 404, 'E_NOT_FOUND');
  });
});
