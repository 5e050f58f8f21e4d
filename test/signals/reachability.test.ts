/**
 * Reachability answers end to end through the use cases, over a real app on
 * SQLite and PostgreSQL: a callgraph and runtime-fact batches stored by the
 * Signals use cases, then asked about. Every state of the lattice on stored
 * data, the citations, lookup by PURL, the window and thresholds, and OSV
 * advisories. Verdict chains and access are in reachability-verdicts.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ReachIndexCache } from '../../src/signals/reach-index-cache.js';
import type { ReachabilityAnswer, ReachabilityQuery, ReachabilityResult } from '../../src/signals/reach-types.js';
import { ReachabilityService } from '../../src/signals/reachability.js';
import { CallgraphsRepo } from '../../src/store/db/callgraphs-repo.js';
import { hasCode } from '../helpers/signals.js';
import { openReachEnv, REACH_BACKENDS, reachSkip, type ReachEnv } from '../helpers/reach-service.js';

export const S = {
  main: 'sym:java:app.Main.main()',
  a: 'sym:java:app.A.run()',
  reach: 'sym:java:lib.V.reach()',
  dyn: 'sym:java:lib.V.dyn()',
  dynHit: 'sym:java:lib.V.dynHit()',
  dead: 'sym:java:lib.V.dead()',
  deadHit: 'sym:java:lib.V.deadHit()',
  ghost: 'sym:java:lib.V.ghost()',
  nothing: 'sym:java:lib.V.nothing()',
} as const;

const NODES = [
  { id: 'main', symbol: S.main, entry: true },
  { id: 'a', symbol: S.a },
  { id: 'reach', symbol: S.reach },
  { id: 'dyn', symbol: S.dyn },
  { id: 'dynHit', symbol: S.dynHit },
  { id: 'dead', symbol: S.dead },
  { id: 'deadHit', symbol: S.deadHit },
];
const EDGES = [
  ['main', 'a'],
  ['a', 'reach'],
  ['a', 'dyn', 'virtual'],
  ['a', 'dynHit', 'reflection'],
  ['deadHit', 'dead'],
] as const;

const JAN = '2026-01-01T00:00:00.000Z';
const FEB = '2026-02-01T00:00:00.000Z';

const open = { since: null, until: null };
const ask = (graph: string, symbols: readonly string[], extra: Partial<ReachabilityQuery> = {}): ReachabilityQuery => ({
  callgraphId: graph,
  symbols,
  window: open,
  attest: false,
  ...extra,
});
const bySymbol = (r: ReachabilityResult): Record<string, ReachabilityAnswer> => Object.fromEntries(r.results.map((a) => [a.symbol, a]));
const states = (r: ReachabilityResult): Record<string, string> => Object.fromEntries(r.results.map((a) => [a.symbol, a.state]));

for (const backend of REACH_BACKENDS) {
  describe(`reachability answers on ${backend}`, () => {
    let env: ReachEnv;
    let skip: string | false = false;
    let graph: string;
    let b1: Awaited<ReturnType<ReachEnv['ingest']>>;
    let b2: Awaited<ReturnType<ReachEnv['ingest']>>;
    before(async () => {
      skip = await reachSkip(backend);
      if (skip !== false) return;
      env = await openReachEnv(backend);
      graph = await env.storeGraph(NODES, EDGES);
      b1 = await env.ingest(
        graph,
        [
          { symbolId: S.reach, hitCount: 2, observedAt: '2026-01-01T00:00:00.5Z' },
          { symbolId: S.deadHit },
          { symbolId: S.ghost, hitCount: 3 },
          { symbolId: S.dynHit },
        ],
        { source: 'host-1', receivedAt: JAN },
      );
      b2 = await env.ingest(graph, [{ symbolId: S.a }, { symbolId: S.reach, observedAt: '2026-01-31T23:59:59.123456Z' }], {
        source: 'host-2',
        receivedAt: FEB,
      });
    });
    after(async () => {
      if (skip === false) await env.close();
    });

    test('every state of the lattice on stored data', async (t) => {
      if (skip) return t.skip(skip);
      const all = [S.main, S.reach, S.dyn, S.dynHit, S.dead, S.deadHit, S.ghost, S.nothing];
      const covered = await env.reach.answer(env.service(), ask(graph, all));
      assert.deepEqual(states(covered), {
        [S.main]: 'StaticReachable', // a path, not exercised: still a path
        [S.reach]: 'ConfirmedReachable',
        [S.dyn]: 'RuntimeUnobserved',
        [S.dynHit]: 'RuntimeObserved',
        [S.dead]: 'ConfirmedUnreachable',
        [S.deadHit]: 'Contested',
        [S.ghost]: 'RuntimeObserved',
        [S.nothing]: 'RuntimeUnobserved',
      });
      assert.deepEqual(
        covered.results.map((a) => a.symbol),
        all,
        'in the order asked',
      );
      // Too little coverage for "not seen" to count: 2 batches < minBatches 3.
      const thin = await env.reach.answer(env.service(), ask(graph, all, { thresholds: { minBatches: 3 } }));
      assert.deepEqual(states(thin), {
        [S.main]: 'StaticReachable',
        [S.reach]: 'ConfirmedReachable',
        [S.dyn]: 'Unknown',
        [S.dynHit]: 'RuntimeObserved',
        [S.dead]: 'StaticUnreachable',
        [S.deadHit]: 'Contested',
        [S.ghost]: 'RuntimeObserved',
        [S.nothing]: 'Unknown',
      });
      assert.deepEqual(new Set(Object.values(states(covered)).concat(Object.values(states(thin)))).size, 8, 'all eight states seen');
    });

    test('an answer carries its path, runtime evidence and citations', async (t) => {
      if (skip) return t.skip(skip);
      const result = await env.reach.answer(env.service(), ask(graph, [S.reach, S.dyn]));
      assert.equal(result.callgraphId, graph);
      assert.equal(result.componentPurl, 'pkg:maven/org.example/app@1.0.0');
      assert.equal(result.vulnerability, null);
      const { [S.reach]: reach, [S.dyn]: dyn } = bySymbol(result);
      assert.ok(reach !== undefined && dyn !== undefined);
      assert.deepEqual(reach.path, [S.main, S.a, S.reach]);
      assert.deepEqual(reach.static.path, reach.path);
      assert.equal(reach.static.state, 'reachable');
      assert.equal(reach.static.entryPoint, 'main');
      assert.deepEqual(
        reach.static.steps.map((s) => [s.nodeId, s.edgeKind]),
        [
          ['main', null],
          ['a', 'static'],
          ['reach', 'static'],
        ],
      );
      assert.equal(dyn.static.state, 'uncertain');
      assert.deepEqual(dyn.static.uncertainEdges, ['dynamic']);
      assert.deepEqual(dyn.path, [S.main, S.a, S.dyn]);

      assert.equal(reach.runtime.state, 'observed');
      assert.equal(reach.runtime.hitCount, 3);
      assert.equal(reach.runtime.batchCount, 2);
      assert.deepEqual(reach.runtime.sources, ['host-1', 'host-2']);
      assert.equal(reach.runtime.windowBatchCount, 2);
      // Instants compared as instants: .5 is before .123456 of a later second.
      assert.equal(Date.parse(reach.runtime.firstSeen ?? ''), Date.parse('2026-01-01T00:00:00.500Z'));
      assert.equal(Date.parse(reach.runtime.lastSeen ?? ''), Date.parse('2026-01-31T23:59:59.123Z'));
      assert.deepEqual(reach.evidence.provenanceIds, [b1.provenanceId, b2.provenanceId].sort());
      assert.deepEqual(dyn.evidence.provenanceIds, []);

      const row = await new CallgraphsRepo(env.t.app.index.db).get(graph);
      const cg = reach.evidence.callgraph;
      assert.equal(cg.graphId, graph);
      assert.equal(cg.tenantId, 'acme');
      assert.equal(cg.digest, row?.digest);
      assert.equal(cg.contentDigest, row?.contentDigest);
      assert.equal(cg.manifestDigest, row?.manifestDigest);
      assert.equal(reach.evidence.manifestDigest, cg.manifestDigest);
      assert.equal(cg.manifestAttestationId, graph, 'the signed manifest is the locker record of the graph id');
      assert.equal(typeof cg.manifestLogIndex, 'number');
      assert.equal(cg.manifestRekorUuid, row?.rekorUuid);
      assert.match(cg.manifestRekorUuid ?? '', /^[0-9a-f]{64}$/);

      // Every batch of the window, oldest first, with its attestation record and log entry.
      assert.deepEqual(
        reach.evidence.batches.map((b) => [b.batchId, b.provenanceId, b.provenanceHash, b.source, b.hitCount]),
        [
          [b1.batchId, b1.provenanceId, b1.provenanceHash, 'host-1', 2],
          [b2.batchId, b2.provenanceId, b2.provenanceHash, 'host-2', 1],
        ],
      );
      for (const [b, p] of [
        [reach.evidence.batches[0], b1],
        [reach.evidence.batches[1], b2],
      ] as const) {
        assert.ok(b !== undefined);
        assert.equal(b.receivedAt, p.receivedAt);
        assert.equal(b.attestationId, p.batchId);
        const record = await env.t.app.repos.evidence.get(p.batchId);
        assert.equal(b.attestationDigest, record?.digest);
        assert.equal(b.logIndex, record?.logIndex);
        assert.equal(b.rekorUuid, p.rekorUuid);
      }
      assert.deepEqual(
        dyn.evidence.batches.map((b) => b.hitCount),
        [0, 0],
      );
    });

    test('a PURL asks about its newest stored callgraph in the caller’s tenants', async (t) => {
      if (skip) return t.skip(skip);
      const lib = 'pkg:maven/org.example/lib';
      const g1 = await env.storeGraph(NODES, EDGES, { purl: `${lib}@1.0.0` });
      const g2 = await env.storeGraph(NODES, EDGES, { purl: `${lib}@2.0.0` });
      await env.storeGraph(NODES, EDGES, { purl: `${lib}@3.0.0`, tenant: 'other' });
      const q = (purl: string): ReachabilityQuery => ({ purl, symbols: [S.reach], window: open, attest: false });
      assert.equal((await env.reach.answer(env.service(), q(lib))).callgraphId, g2, 'newest of any version');
      assert.equal((await env.reach.answer(env.service(), q(`${lib}@1.0.0`))).callgraphId, g1, 'that version');
      assert.equal((await env.reach.answer(env.service(), { ...q(lib), tenant: 'acme' })).callgraphId, g2);
      await assert.rejects(env.reach.answer(env.service(), q(`${lib}@3.0.0`)), hasCode('E_NOT_FOUND'), 'another tenant’s graph');
      await assert.rejects(env.reach.answer(env.service(), { ...q(lib), tenant: 'other' }), hasCode('E_NOT_FOUND'));
      await assert.rejects(env.reach.answer(env.service(), q('pkg:maven/org.example/none')), hasCode('E_NOT_FOUND', /no stored callgraph/));
      await assert.rejects(env.reach.answer(env.service(), { ...q(lib), callgraphId: g1 }), hasCode('E_INVALID_INPUT', /not both/));
      await assert.rejects(
        env.reach.answer(env.service(), { ...q(lib), purl: undefined }),
        hasCode('E_INVALID_INPUT', /name the callgraph/),
      );
      await assert.rejects(env.reach.answer(env.service(), q('not a purl')), hasCode('E_INVALID_INPUT', /purl/));
    });

    test('the window selects batches by receivedAt, exactly and inclusively; thresholds decide coverage', async (t) => {
      if (skip) return t.skip(skip);
      const hits = async (window: { since: string | null; until: string | null }) => {
        const a = bySymbol(await env.reach.answer(env.service(), ask(graph, [S.reach], { window })))[S.reach];
        assert.ok(a !== undefined);
        return [a.runtime.hitCount, a.runtime.windowBatchCount];
      };
      assert.deepEqual(await hits({ since: null, until: '2026-01-15T00:00:00Z' }), [2, 1]);
      assert.deepEqual(await hits({ since: '2026-01-15T00:00:00Z', until: null }), [1, 1]);
      assert.deepEqual(await hits({ since: JAN, until: JAN }), [2, 1], 'both bounds inclusive');
      assert.deepEqual(await hits({ since: '2026-01-01T01:00:00+01:00', until: '2026-01-01T00:00:00Z' }), [2, 1], 'offsets are instants');
      // A quarter of a microsecond after batch 1 arrived: compared exactly, not by the millisecond.
      assert.deepEqual(await hits({ since: '2026-01-01T00:00:00.0000005Z', until: '2026-01-31T00:00:00Z' }), [0, 0]);
      assert.deepEqual(await hits({ since: '2025-12-31T23:59:59.9999999Z', until: '2026-01-01T00:00:00.0000001Z' }), [2, 1]);
      assert.deepEqual(await hits({ since: '2027-01-01T00:00:00Z', until: null }), [0, 0]);

      const empty = bySymbol(
        await env.reach.answer(env.service(), ask(graph, [S.dead], { window: { since: '2027-01-01T00:00:00Z', until: null } })),
      );
      assert.equal(empty[S.dead]?.state, 'StaticUnreachable', 'no batch in the window: no runtime evidence');
      const oneSource = bySymbol(await env.reach.answer(env.service(), ask(graph, [S.dead], { thresholds: { minSources: 3 } })));
      assert.equal(oneSource[S.dead]?.state, 'StaticUnreachable');
      assert.deepEqual(oneSource[S.dead]?.thresholds, { minBatches: 1, minSources: 3 });
      const defaults = bySymbol(await env.reach.answer(env.service(), ask(graph, [S.dead])));
      assert.deepEqual(defaults[S.dead]?.thresholds, { minBatches: 1, minSources: 1 }, 'Signals.Reachability defaults');

      for (const thresholds of [{ minBatches: 0 }, { minSources: -1 }, { minBatches: 1.5 }])
        await assert.rejects(
          env.reach.answer(env.service(), ask(graph, [S.dead], { thresholds })),
          hasCode('E_INVALID_INPUT', /min(Batches|Sources)/),
        );
      await assert.rejects(
        env.reach.answer(env.service(), ask(graph, [S.dead], { window: { since: FEB, until: JAN } })),
        hasCode('E_INVALID_INPUT', /since .* is after until/),
      );
      await assert.rejects(
        env.reach.answer(env.service(), ask(graph, [S.dead], { window: { since: 'yesterday', until: null } })),
        hasCode('E_INVALID_INPUT', /since/),
      );
    });

    test('a window of more than MaxWindowBatches keeps the newest and moves its start', async (t) => {
      if (skip) return t.skip(skip);
      const d = env.t.deps;
      const narrow = new ReachabilityService(
        { ...d, config: { ...d.config, Reachability: { ...d.config.Reachability, MaxWindowBatches: 1 } } },
        new ReachIndexCache(1 << 20),
      );
      const a = bySymbol(await narrow.answer(env.service(), ask(graph, [S.reach])))[S.reach];
      assert.ok(a !== undefined);
      assert.equal(a.runtime.windowBatchCount, 1);
      assert.deepEqual(
        a.evidence.batches.map((b) => b.batchId),
        [b2.batchId],
      );
      assert.deepEqual(a.window, { since: b2.receivedAt, until: null });
    });

    test('a window cut at MaxWindowBatches never leaves out a batch of the instant it starts at', async (t) => {
      if (skip) return t.skip(skip);
      const g = await env.storeGraph(NODES, EDGES);
      const T1 = '2026-03-01T00:00:00.000Z';
      const T2 = '2026-03-02T00:00:00.000Z';
      // Two batches in one millisecond (bulk ingest), then a later one.
      const first = await env.ingest(g, [{ symbolId: S.dead }], { source: 'host-1', receivedAt: T1 });
      const peer = await env.ingest(g, [{ symbolId: S.a }], { source: 'host-1', receivedAt: T1 });
      const last = await env.ingest(g, [{ symbolId: S.a }], { source: 'host-2', receivedAt: T2 });
      const d = env.t.deps;
      const narrow = (max: number) =>
        new ReachabilityService(
          { ...d, config: { ...d.config, Reachability: { ...d.config.Reachability, MaxWindowBatches: max } } },
          new ReachIndexCache(1 << 20),
        );
      const a = bySymbol(await narrow(2).answer(env.service(), ask(g, [S.dead])))[S.dead];
      assert.ok(a !== undefined);
      // Cutting at the newest two would cite one T1 batch but not its peer, with since = T1: both go.
      assert.deepEqual(
        a.evidence.batches.map((b) => b.batchId),
        [last.batchId],
      );
      assert.deepEqual(a.window, { since: T2, until: null });
      assert.equal(a.state, 'ConfirmedUnreachable', 'the hit of the left-out batch lies outside the cited window');
      assert.ok(first.batchId !== peer.batchId);
      await assert.rejects(
        narrow(1).answer(env.service(), ask(g, [S.dead], { window: { since: null, until: T1 } })),
        hasCode('E_INVALID_INPUT', /received at/),
      );
    });

    test('symbols are checked, deduplicated and bounded', async (t) => {
      if (skip) return t.skip(skip);
      const r = await env.reach.answer(env.service(), ask(graph, [S.reach, S.dead, S.reach]));
      assert.deepEqual(
        r.results.map((a) => a.symbol),
        [S.reach, S.dead],
      );
      await assert.rejects(env.reach.answer(env.service(), ask(graph, [])), hasCode('E_INVALID_INPUT', /at least one symbol/));
      await assert.rejects(env.reach.answer(env.service(), ask(graph, ['bad\nsymbol'])), hasCode('E_INVALID_INPUT', /symbol\[0\]/));
      const many = Array.from({ length: 1001 }, (_, i) => `sym:java:x.Y.m${i}()`);
      await assert.rejects(env.reach.answer(env.service(), ask(graph, many)), hasCode('E_INVALID_INPUT', /MaxSymbolsPerQuery/));
      await assert.rejects(env.reach.answer(env.service(), ask('not-a-ulid', [S.reach])), hasCode('E_INVALID_INPUT', /callgraph_id/));
      await assert.rejects(env.reach.answer(env.service(), ask('01J00000000000000000000000', [S.reach])), hasCode('E_NOT_FOUND'));
      await assert.rejects(
        env.reach.answer(env.service(), ask(graph, [S.reach], { vulnerability: 'CVE\u0000' })),
        hasCode('E_INVALID_INPUT', /vulnerability/),
      );
      const named = await env.reach.answer(env.service(), ask(graph, [S.reach], { vulnerability: 'CVE-2026-0001' }));
      assert.equal(named.vulnerability, 'CVE-2026-0001');
      assert.equal(named.results[0]?.vulnerability, 'CVE-2026-0001');
    });

    test("an OSV advisory names the symbols: resolved against the graph, a dependency package's entry read too", async (t) => {
      if (skip) return t.skip(skip);
      const osv = {
        id: 'GHSA-test-0001',
        aliases: ['CVE-2026-0001'],
        affected: [
          {
            package: { ecosystem: 'Maven', name: 'org.example:app', purl: 'pkg:maven/org.example/app' },
            ecosystem_specific: { imports: [{ path: 'lib.V', symbols: ['reach', 'missing'] }] },
          },
          {
            package: { ecosystem: 'Maven', name: 'org.other:x', purl: 'pkg:maven/org.other/x' },
            ecosystem_specific: { imports: [{ path: 'lib.V', symbols: ['dead'] }] },
          },
        ],
      };
      const r = await env.reach.answer(env.service(), { callgraphId: graph, symbols: [S.deadHit], osv, window: open, attest: false });
      assert.equal(r.vulnerability, 'GHSA-test-0001', 'the advisory id names the vulnerability');
      assert.deepEqual(states(r), {
        [S.reach]: 'ConfirmedReachable',
        // Not in the graph: asked by its name, answered from runtime facts only.
        'lib.V.missing': 'RuntimeUnobserved',
        // Another package's entry (the vulnerable dependency): its symbols are asked too.
        [S.dead]: 'ConfirmedUnreachable',
        [S.deadHit]: 'Contested',
      });
      const named = await env.reach.answer(env.service(), {
        callgraphId: graph,
        symbols: [],
        osv,
        vulnerability: 'CVE-2026-0001',
        window: open,
        attest: false,
      });
      assert.equal(named.vulnerability, 'CVE-2026-0001', 'an explicit vulnerability wins');
      await assert.rejects(
        env.reach.answer(env.service(), {
          callgraphId: graph,
          symbols: [],
          osv: { id: 'X', affected: 'nope' },
          window: open,
          attest: false,
        }),
        hasCode('E_INVALID_INPUT', /affected/),
      );
      await assert.rejects(
        env.reach.answer(env.service(), { callgraphId: graph, symbols: [], osv: { id: 'X', affected: [] }, window: open, attest: false }),
        hasCode('E_INVALID_INPUT', /names no symbol/),
      );
    });
  });
}
