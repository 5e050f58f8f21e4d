import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combineStates, LATTICE } from '../../src/signals/reach-lattice.js';
import { deriveReachability } from '../../src/signals/reach-derive.js';
import { REACHABILITY_STATES, type ReachabilityState, type RuntimeState, type StaticState } from '../../src/signals/reach-types.js';
import { indexOf } from '../helpers/reach-graphs.js';
import { CALLGRAPH, citedBatches, graphIndex, noise, STATIC, SYMBOL_OF, type BatchSpec } from './reach-pure-fixtures.js';

const index = await graphIndex();

// REACHABILITY.md's table, written out again here on purpose: the test is not the code's table read back.
const TABLE: [StaticState, RuntimeState, ReachabilityState][] = [
  ['reachable', 'observed', 'ConfirmedReachable'],
  ['reachable', 'unobserved', 'StaticReachable'],
  ['reachable', 'none', 'StaticReachable'],
  ['uncertain', 'observed', 'RuntimeObserved'],
  ['uncertain', 'unobserved', 'RuntimeUnobserved'],
  ['uncertain', 'none', 'Unknown'],
  ['absent', 'observed', 'RuntimeObserved'],
  ['absent', 'unobserved', 'RuntimeUnobserved'],
  ['absent', 'none', 'Unknown'],
  ['unreachable', 'observed', 'Contested'],
  ['unreachable', 'unobserved', 'ConfirmedUnreachable'],
  ['unreachable', 'none', 'StaticUnreachable'],
];

/** Window batches that make `symbol`'s runtime evidence `r` under thresholds 2 batches / 2 sources. */
function windowFor(r: RuntimeState, symbol: string): BatchSpec[] {
  const a = { batchId: 'b-1', receivedAt: '2026-12-01T10:00:00Z', source: 'agent-a' };
  const b = { batchId: 'b-2', receivedAt: '2026-12-01T11:00:00.25+01:00', source: 'agent-b' };
  switch (r) {
    case 'observed':
      return [
        { ...a, facts: noise(3) },
        { ...b, facts: [...noise(1), { symbolId: symbol, hitCount: 4, observedAt: '2026-12-01T10:00:01.123456789Z' }] },
      ];
    case 'unobserved':
      return [
        { ...a, facts: noise(2) },
        { ...b, facts: noise(5) },
      ];
    case 'none':
      // Two batches, but one source: below minSources, so "not seen" is not evidence.
      return [
        { ...a, facts: noise(2) },
        { ...b, source: 'agent-a', facts: noise(2) },
      ];
  }
}

test('the static evidence of the fixture graph is what the real ReachIndex computes', () => {
  for (const s of ['reachable', 'uncertain', 'unreachable', 'absent'] as const) {
    assert.deepEqual(index.staticEvidence(SYMBOL_OF[s]), STATIC[s], s);
  }
});

test('the lattice table has exactly the 12 cells of docs/reachability.md and uses all 8 states', () => {
  assert.deepEqual(Object.keys(LATTICE).sort(), ['absent', 'reachable', 'uncertain', 'unreachable']);
  for (const row of Object.values(LATTICE)) assert.deepEqual(Object.keys(row).sort(), ['none', 'observed', 'unobserved']);
  const used = new Set(TABLE.map(([s, r]) => LATTICE[s][r]));
  assert.deepEqual([...used].sort(), [...REACHABILITY_STATES].sort());
  assert.ok(Object.isFrozen(LATTICE) && Object.isFrozen(LATTICE.reachable), 'the table cannot be changed at run time');
});

for (const [s, r, expected] of TABLE) {
  test(`${s} × ${r} → ${expected}: table, combineStates and a derivation from real facts agree`, async () => {
    assert.equal(LATTICE[s][r], expected);
    assert.equal(combineStates(s, r), expected);
    const symbol = SYMBOL_OF[s];
    const batches = await citedBatches(windowFor(r, symbol), symbol);
    const d = deriveReachability({
      callgraph: CALLGRAPH,
      symbol,
      vulnerability: 'GO-2026-0001',
      // Static evidence from the real index of the fixture graph, runtime from real fact batches.
      static: index.staticEvidence(symbol),
      batches,
      window: { since: null, until: null },
      thresholds: { minBatches: 2, minSources: 2 },
    });
    assert.equal(d.static.state, s);
    assert.equal(d.runtime.state, r);
    assert.equal(d.state, expected);
    assert.equal(d.runtime.windowBatchCount, 2);
    if (r === 'observed') {
      assert.equal(d.runtime.hitCount, 4);
      assert.deepEqual(d.evidence.provenanceIds, ['prov-b-2']);
      assert.equal(d.runtime.firstSeen, '2026-12-01T10:00:01.123456789Z');
    } else {
      assert.equal(d.runtime.hitCount, 0);
      assert.deepEqual(d.evidence.provenanceIds, []);
    }
  });
}

test('a reachable symbol that runtime never saw stays StaticReachable however much coverage there is', async () => {
  const specs: BatchSpec[] = Array.from({ length: 20 }, (_, i) => ({
    batchId: `b-${String(i).padStart(2, '0')}`,
    receivedAt: `2026-12-01T10:${String(i).padStart(2, '0')}:00Z`,
    source: `agent-${i % 5}`,
    facts: noise(3),
  }));
  const d = deriveReachability({
    callgraph: CALLGRAPH,
    symbol: 'lib.parse',
    vulnerability: null,
    static: STATIC.reachable,
    batches: await citedBatches(specs, 'lib.parse'),
    window: { since: null, until: null },
    thresholds: { minBatches: 1, minSources: 1 },
  });
  assert.equal(d.runtime.state, 'unobserved');
  assert.deepEqual(d.runtime.windowSources, ['agent-0', 'agent-1', 'agent-2', 'agent-3', 'agent-4']);
  assert.equal(d.state, 'StaticReachable');
});

test('a symbol reached only through an unresolved edge is never StaticUnreachable, whatever runtime says', async () => {
  const g = await indexOf(
    [{ id: 'm', entry: true }, 'lib.x', 'lib.y'],
    [
      ['m', 'lib.x', 'unresolved'],
      ['lib.x', 'lib.y'],
    ],
  );
  const evidence = g.staticEvidence('lib.y');
  assert.equal(evidence.state, 'uncertain');
  assert.deepEqual(evidence.uncertainEdges, ['unresolved']);
  const seen: ReachabilityState[] = [];
  for (const r of ['observed', 'unobserved', 'none'] as const) {
    const d = deriveReachability({
      callgraph: CALLGRAPH,
      symbol: 'lib.y',
      vulnerability: null,
      static: evidence,
      batches: await citedBatches(windowFor(r, 'lib.y'), 'lib.y'),
      window: { since: null, until: null },
      thresholds: { minBatches: 2, minSources: 2 },
    });
    seen.push(d.state);
  }
  assert.deepEqual(seen, ['RuntimeObserved', 'RuntimeUnobserved', 'Unknown']);
});
