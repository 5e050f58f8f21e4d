import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalize } from '../../src/core/canonical-json.js';
import { deriveReachability } from '../../src/signals/reach-derive.js';
import { REACHABILITY_RULES_VERSION, type CitedBatch } from '../../src/signals/reach-types.js';
import { expectAttestryError } from '../core/helpers.js';
import { CALLGRAPH, citedBatches, noise, STATIC } from './reach-pure-fixtures.js';

const hit = (observedAt: string, hitCount = 1) => [{ symbolId: 'lib.parse', hitCount, observedAt }];

async function window(): Promise<CitedBatch[]> {
  return citedBatches(
    [
      // Given newest first and with mixed offsets/fractions: the derivation orders them.
      { batchId: 'b-9', receivedAt: '2026-12-01T12:00:00.5Z', source: 'agent-b', facts: hit('2026-12-01T11:59:59Z', 2) },
      { batchId: 'b-3', receivedAt: '2026-12-01T13:00:00.123+01:00', source: 'agent-a', facts: noise(2) },
      { batchId: 'b-2', receivedAt: '2026-12-01T12:00:00.123Z', source: 'agent-c', facts: hit('2026-12-01T11:00:00.25Z') },
      { batchId: 'b-1', receivedAt: '2026-12-01T09:00:00Z', source: 'agent-a', facts: hit('2026-12-01T08:59:00.000001Z', 3) },
    ],
    'lib.parse',
  );
}

const base = {
  callgraph: CALLGRAPH,
  symbol: 'lib.parse',
  vulnerability: 'GO-2026-0001',
  static: STATIC.reachable,
  window: { since: '2026-12-01T00:00:00Z', until: null },
  thresholds: { minBatches: 1, minSources: 1 },
};

test('deriveReachability: the answer with its citations, batches oldest first by instant then batch id', async () => {
  const d = deriveReachability({ ...base, batches: await window() });
  assert.equal(d.rulesVersion, REACHABILITY_RULES_VERSION);
  assert.equal(d.state, 'ConfirmedReachable');
  assert.deepEqual([d.callgraphId, d.tenantId, d.componentPurl], [CALLGRAPH.graphId, CALLGRAPH.tenantId, CALLGRAPH.componentPurl]);
  assert.equal(d.vulnerability, 'GO-2026-0001');
  assert.deepEqual(d.static, STATIC.reachable);
  // 13:00:00.123+01:00 is the same instant as 12:00:00.123Z (the batch id decides: b-2 before b-3),
  // and both are before 12:00:00.5Z.
  assert.deepEqual(
    d.evidence.batches.map((b) => b.batchId),
    ['b-1', 'b-2', 'b-3', 'b-9'],
  );
  assert.deepEqual(d.evidence.provenanceIds, ['prov-b-1', 'prov-b-2', 'prov-b-9']);
  assert.equal(d.evidence.manifestDigest, CALLGRAPH.manifestDigest);
  assert.deepEqual(d.evidence.callgraph, CALLGRAPH);
  assert.deepEqual(d.runtime, {
    state: 'observed',
    hitCount: 6,
    firstSeen: '2026-12-01T08:59:00.000001Z',
    lastSeen: '2026-12-01T11:59:59.000Z',
    batchCount: 3,
    sources: ['agent-a', 'agent-b', 'agent-c'],
    windowBatchCount: 4,
    windowSources: ['agent-a', 'agent-b', 'agent-c'],
  });
  assert.deepEqual(d.window, base.window);
  assert.deepEqual(d.thresholds, base.thresholds);
});

test('same receivedAt: batch id breaks the tie; input order never changes the derivation', async () => {
  const batches = await citedBatches(
    ['b-c', 'b-a', 'b-b'].map((batchId) => ({ batchId, receivedAt: '2026-12-01T10:00:00Z', source: 's', facts: noise(1) })),
    'lib.parse',
  );
  const one = deriveReachability({ ...base, batches });
  const two = deriveReachability({ ...base, batches: [...batches].reverse() });
  assert.deepEqual(
    one.evidence.batches.map((b) => b.batchId),
    ['b-a', 'b-b', 'b-c'],
  );
  assert.equal(canonicalize(one), canonicalize(two));
  assert.equal(one.state, 'StaticReachable');
});

test('a provenance id cited by two hitting batches appears once', async () => {
  const batches = await window();
  const same = batches.map((b) => ({ ...b, provenanceId: 'prov-shared' }));
  assert.deepEqual(deriveReachability({ ...base, batches: same }).evidence.provenanceIds, ['prov-shared']);
});

test('thresholds must be non-negative integers, named in the error', async () => {
  const batches = await window();
  expectAttestryError(
    () => deriveReachability({ ...base, batches, thresholds: { minBatches: -1, minSources: 1 } }),
    'E_INVALID_INPUT',
    /^minBatches:/,
  );
  expectAttestryError(
    () => deriveReachability({ ...base, batches, thresholds: { minBatches: 1, minSources: 1.5 } }),
    'E_INVALID_INPUT',
    /^minSources:/,
  );
});

test('the derivation does not keep references to the caller’s arrays', async () => {
  const batches = await window();
  const d = deriveReachability({ ...base, batches });
  batches.pop();
  assert.equal(d.evidence.batches.length, 4);
});
