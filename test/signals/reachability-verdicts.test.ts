/**
 * Signed reachability verdicts through the use cases, over a real app on
 * SQLite and PostgreSQL: the chain per (callgraph, symbol) with new facts
 * between verdicts, asking again with nothing new, concurrent attests, a
 * damaged chain, the envelope verified with the service key, and access per
 * role and tenant.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parseUlid } from '../../src/core/ids.js';
import { loadPublicKey } from '../../src/crypto/keys.js';
import type { Role } from '../../src/core/roles.js';
import type { ReachabilityAnswer, ReachabilityQuery } from '../../src/signals/reach-types.js';
import { evidenceDigestOf, parseVerdictEnvelope, verifyVerdictSignature } from '../../src/signals/reach-verdict.js';
import { VerdictsRepo } from '../../src/store/db/verdicts-repo.js';
import { hasCode } from '../helpers/signals.js';
import { openReachEnv, REACH_BACKENDS, reachSkip, type ReachEnv } from '../helpers/reach-service.js';

const MAIN = 'sym:java:app.Main.main()';
const VULN = 'sym:java:lib.V.reach()';
const OTHER = 'sym:java:lib.V.other()';
const NODES = [
  { id: 'main', symbol: MAIN, entry: true },
  { id: 'v', symbol: VULN },
  { id: 'o', symbol: OTHER },
];
const EDGES = [
  ['main', 'v'],
  ['main', 'o'],
] as const;

const query = (graph: string, symbol: string, attest: boolean): ReachabilityQuery => ({
  callgraphId: graph,
  symbols: [symbol],
  window: { since: null, until: null },
  attest,
});

for (const backend of REACH_BACKENDS) {
  describe(`reachability verdicts on ${backend}`, () => {
    let env: ReachEnv;
    let skip: string | false = false;
    let graph: string;
    const verdicts: ReachabilityAnswer[] = [];
    const attest = async (symbol = VULN, principal = env.service()): Promise<ReachabilityAnswer> => {
      const r = await env.reach.answer(principal, query(graph, symbol, true));
      assert.equal(r.results.length, 1);
      return r.results[0] as ReachabilityAnswer;
    };
    before(async () => {
      skip = await reachSkip(backend);
      if (skip !== false) return;
      env = await openReachEnv(backend);
      graph = await env.storeGraph(NODES, EDGES);
    });
    after(async () => {
      if (skip === false) await env.close();
    });

    test('three verdicts with new facts between them form a chain; asking again with nothing new returns the newest', async (t) => {
      if (skip) return t.skip(skip);
      const first = await attest();
      assert.equal(first.state, 'StaticReachable', 'no batches yet');
      await env.ingest(graph, [{ symbolId: VULN }], { source: 'host-1' });
      const second = await attest();
      assert.equal(second.state, 'ConfirmedReachable');
      await env.ingest(graph, [{ symbolId: VULN, hitCount: 4 }], { source: 'host-2' });
      const third = await attest();
      verdicts.push(first, second, third);

      for (const [i, v] of verdicts.entries()) {
        assert.equal(v.created, true);
        assert.equal(v.sequence, i + 1);
        assert.equal(parseUlid(v.attestationId), v.attestationId);
        assert.match(v.verdictDigest ?? '', /^sha256:[0-9a-f]{64}$/);
        assert.equal(typeof v.logIndex, 'number', 'the verdict is transparency-logged');
        assert.match(v.rekorUuid ?? '', /^[0-9a-f]{64}$/);
      }
      assert.equal(first.previous, null);
      assert.deepEqual(second.previous, { attestationId: first.attestationId, digest: first.verdictDigest });
      assert.deepEqual(third.previous, { attestationId: second.attestationId, digest: second.verdictDigest });
      assert.equal(third.runtime.hitCount, 5);

      const again = await attest();
      assert.equal(again.created, false);
      assert.equal(again.attestationId, third.attestationId);
      assert.equal(again.verdictDigest, third.verdictDigest);
      assert.equal(again.sequence, 3);
      assert.deepEqual(again.previous, third.previous);
      assert.equal(again.decidedAt, third.decidedAt, 'the stored verdict’s decision time');
      assert.equal(again.logIndex, third.logIndex);
      assert.equal(again.rekorUuid, third.rekorUuid);

      const history = await env.reach.history(env.service(), { callgraphId: graph, symbol: VULN });
      assert.equal(history.chainOk, true);
      assert.equal(history.callgraphId, graph);
      assert.equal(history.symbol, VULN);
      assert.deepEqual(
        history.verdicts.map((v) => [v.sequence, v.attestationId, v.digest, v.previous, v.state, v.decidedAt, v.logIndex, v.rekorUuid]),
        verdicts.map((v) => [v.sequence, v.attestationId, v.verdictDigest, v.previous, v.state, v.decidedAt, v.logIndex, v.rekorUuid]),
      );
      const none = await env.reach.history(env.service(), { callgraphId: graph, symbol: 'sym:java:never.Asked.x()' });
      assert.deepEqual(none.verdicts, []);
      assert.equal(none.chainOk, true);
    });

    test('a stored verdict is an in-toto statement signed by the service key, over the callgraph blob and the symbol', async (t) => {
      if (skip) return t.skip(skip);
      const v = verdicts[1];
      assert.ok(v?.attestationId !== undefined);
      const { predicate, envelope } = await env.reach.verdict(env.as('policy-engine'), v.attestationId);
      assert.equal(`sha256:${createHash('sha256').update(envelope).digest('hex')}`, v.verdictDigest, 'the chain digest is the envelope’s');
      const parsed = parseVerdictEnvelope(envelope);
      assert.deepEqual(parsed.predicate, predicate);
      const keyId = env.t.app.config.Signals.Signing.KeyId;
      const key = loadPublicKey(env.t.app.keyring.get(keyId).publicKeyPem, 'service key');
      verifyVerdictSignature(parsed.envelope, key, keyId);
      assert.equal(parsed.envelope.signatures[0]?.keyid, keyId);
      const row = await env.t.app.repos.evidence.get(v.attestationId);
      assert.equal(row?.kind, 'reachability-verdicts');
      assert.deepEqual(parsed.statement.subject, [
        { name: `callgraphs/acme/${graph}.ndjson.zst`, digest: { sha256: v.evidence.callgraph.contentDigest.slice(7) } },
        { name: VULN, digest: { sha256: createHash('sha256').update(VULN).digest('hex') } },
      ]);
      assert.equal(predicate.sequence, 2);
      assert.equal(predicate.state, v.state);
      assert.equal(predicate.decidedAt, v.decidedAt);
      assert.deepEqual(predicate.previous, v.previous);
      const { decidedAt: _d, sequence: _s, previous: _p, evidenceDigest, ...derivation } = predicate;
      assert.equal(evidenceDigest, evidenceDigestOf(derivation), 'evidenceDigest names the derivation');
      assert.equal(evidenceDigestOf(v), evidenceDigest, 'the answer is the signed derivation');

      // A record of another kind is no verdict.
      const batch = await env.ingest(graph, [{ symbolId: MAIN }]);
      await assert.rejects(env.reach.verdict(env.service(), batch.batchId), hasCode('E_NOT_FOUND', /no reachability verdict/));
      await assert.rejects(env.reach.verdict(env.service(), 'nope'), hasCode('E_INVALID_INPUT'));
    });

    test('two attests of the same answer at once store one verdict', async (t) => {
      if (skip) return t.skip(skip);
      const [a, b] = await Promise.all([attest(OTHER), attest(OTHER)]);
      assert.ok(a !== undefined && b !== undefined);
      assert.equal(a.attestationId, b.attestationId);
      assert.deepEqual([a.created, b.created].sort(), [false, true]);
      const history = await env.reach.history(env.service(), { callgraphId: graph, symbol: OTHER });
      assert.equal(history.verdicts.length, 1);
      assert.equal(history.chainOk, true);
    });

    test('a chain whose rows no longer match their envelopes is not ok', async (t) => {
      if (skip) return t.skip(skip);
      const g = await env.storeGraph(NODES, EDGES);
      const first = (await env.reach.answer(env.service(), query(g, VULN, true))).results[0];
      await env.ingest(g, [{ symbolId: VULN }]);
      const second = (await env.reach.answer(env.service(), query(g, VULN, true))).results[0];
      assert.equal(second?.sequence, 2);
      assert.equal((await env.reach.history(env.service(), { callgraphId: g, symbol: VULN })).chainOk, true);
      // Someone rewrites the first row's digest: the second envelope's link no longer names it.
      await env.t.app.index.db
        .updateTable('signals_verdicts')
        .set({ digest: `sha256:${'0'.repeat(64)}` })
        .where('verdict_id', '=', first?.attestationId as string)
        .execute();
      assert.equal((await env.reach.history(env.service(), { callgraphId: g, symbol: VULN })).chainOk, false);
      const latest = await new VerdictsRepo(env.t.app.index.db).latest('acme', g, VULN);
      assert.equal(latest?.verdictId, second?.attestationId);
    });

    test('access: policy-engine and audit-service read, signals-service and admin attest; other roles are refused', async (t) => {
      if (skip) return t.skip(skip);
      for (const role of ['policy-engine', 'audit-service', 'signals-service', 'admin'] as const) {
        const principal = env.as(role, role === 'admin' ? '*' : ['acme']);
        const r = await env.reach.answer(principal, query(graph, VULN, false));
        assert.equal(r.results[0]?.state, 'ConfirmedReachable', role);
        assert.equal(r.results[0]?.attestationId, undefined, 'no verdict without attest');
        const h = await env.reach.history(principal, { callgraphId: graph, symbol: VULN });
        assert.equal(h.verdicts.length, 3, role);
        const v = await env.reach.verdict(principal, verdicts[0]?.attestationId as string);
        assert.equal(v.predicate.sequence, 1, role);
      }
      for (const role of ['policy-engine', 'audit-service'] as const)
        await assert.rejects(
          env.reach.answer(env.as(role), query(graph, VULN, true)),
          hasCode('E_FORBIDDEN', new RegExp(`role ${role} may not write reachability-verdicts`)),
        );
      // A batch arrived since the third verdict (the MAIN fact above): new evidence, a fourth verdict.
      const admin = await env.reach.answer(env.as('admin', '*'), query(graph, VULN, true));
      assert.equal(admin.results[0]?.created, true, 'admin may attest');
      assert.equal(admin.results[0]?.sequence, 4);
      assert.equal((await env.reach.answer(env.service(), query(graph, VULN, true))).results[0]?.created, false);
      const refused: Role[] = ['scanner-worker', 'ai-service', 'reviewer'];
      for (const role of refused) {
        const p = env.as(role);
        const forbidden = hasCode('E_FORBIDDEN', new RegExp(`role ${role} may not read reachability-verdicts`));
        await assert.rejects(env.reach.answer(p, query(graph, VULN, false)), forbidden, role);
        await assert.rejects(env.reach.history(p, { callgraphId: graph, symbol: VULN }), forbidden, role);
        await assert.rejects(env.reach.verdict(p, verdicts[0]?.attestationId as string), forbidden, role);
      }
    });

    test('tenants: another tenant’s graph, history and verdicts are not found', async (t) => {
      if (skip) return t.skip(skip);
      const outsider = env.service('other');
      const notFound = hasCode('E_NOT_FOUND');
      await assert.rejects(env.reach.answer(outsider, query(graph, VULN, false)), notFound);
      await assert.rejects(env.reach.answer(outsider, query(graph, VULN, true)), notFound);
      await assert.rejects(env.reach.history(outsider, { callgraphId: graph, symbol: VULN }), notFound);
      await assert.rejects(env.reach.verdict(outsider, verdicts[0]?.attestationId as string), notFound);
      await assert.rejects(env.reach.answer(env.as('policy-engine', ['other']), query(graph, VULN, false)), notFound);
      // Naming a tenant the graph is not in is "not found" too, even for admin.
      await assert.rejects(env.reach.answer(env.as('admin', '*'), { ...query(graph, VULN, false), tenant: 'other' }), notFound);
      await assert.rejects(env.reach.history(env.as('admin', '*'), { tenant: 'other', callgraphId: graph, symbol: VULN }), notFound);
      // Their own graph works, and its chain is theirs alone.
      const theirs = await env.storeGraph(NODES, EDGES, { tenant: 'other' });
      const v = (await env.reach.answer(outsider, query(theirs, VULN, true))).results[0];
      assert.equal(v?.sequence, 1);
      assert.equal(v?.tenantId, 'other');
      await assert.rejects(env.reach.verdict(env.service(), v?.attestationId as string), notFound);
    });
  });
}
