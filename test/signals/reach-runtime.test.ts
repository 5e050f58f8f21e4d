import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareInstants, inWindow, parseWindow, runtimeEvidence, symbolHits } from '../../src/signals/reach-runtime.js';
import { expectAttestryError } from '../core/helpers.js';
import { citedBatches, noise, type BatchSpec } from './reach-pure-fixtures.js';

test('compareInstants compares instants, not strings: fractions of any length, offsets, T/t, Z/z', () => {
  // As text ".5Z" sorts after ".123456Z"; as instants it is later too, but ".5" < ".60" must hold as well.
  assert.ok(compareInstants('2026-12-01T10:00:00.5Z', '2026-12-01T10:00:00.123456Z') > 0);
  assert.ok(compareInstants('2026-12-01T10:00:00.5Z', '2026-12-01T10:00:00.60Z') < 0);
  assert.equal(compareInstants('2026-12-01T10:00:00.5Z', '2026-12-01T10:00:00.500000000Z'), 0);
  assert.equal(compareInstants('2026-12-01T10:00:00Z', '2026-12-01T11:00:00+01:00'), 0);
  assert.equal(compareInstants('2026-12-01t05:30:00-04:30', '2026-12-01T10:00:00z'), 0);
  // Below the millisecond: nanoseconds decide.
  assert.ok(compareInstants('2026-12-01T10:00:00.000000001Z', '2026-12-01T10:00:00Z') > 0);
  assert.ok(compareInstants('2026-12-01T10:00:00.123456788Z', '2026-12-01T10:00:00.123456789Z') < 0);
  // Text order and instant order disagree: a later offset string is an earlier instant.
  assert.ok(compareInstants('2026-12-01T12:00:00+05:00', '2026-12-01T08:00:00Z') < 0);
  expectAttestryError(() => compareInstants('yesterday', '2026-12-01T10:00:00Z'), 'E_INVALID_INPUT', /not an ISO-8601 instant/);
  expectAttestryError(() => compareInstants('2026-02-30T10:00:00Z', '2026-12-01T10:00:00Z'), 'E_INVALID_INPUT');
});

test('parseWindow: open bounds, checked instants naming the bound, since after until refused', () => {
  assert.deepEqual(parseWindow(undefined, undefined), { since: null, until: null });
  assert.deepEqual(parseWindow('', ''), { since: null, until: null });
  assert.deepEqual(parseWindow('2026-12-01T00:00:00Z', undefined), { since: '2026-12-01T00:00:00Z', until: null });
  // Equal bounds are a valid (one-instant) window, also when written with different offsets.
  assert.deepEqual(parseWindow('2026-12-01T01:00:00+01:00', '2026-12-01T00:00:00Z'), {
    since: '2026-12-01T01:00:00+01:00',
    until: '2026-12-01T00:00:00Z',
  });
  expectAttestryError(() => parseWindow('2026-13-01T00:00:00Z', undefined), 'E_INVALID_INPUT', /^since:/);
  expectAttestryError(() => parseWindow(undefined, '2026-12-01'), 'E_INVALID_INPUT', /^until:/);
  const e = expectAttestryError(() => parseWindow('2026-12-02T00:00:00Z', '2026-12-01T00:00:00Z'), 'E_INVALID_INPUT', /is after until/);
  assert.equal(e.details?.['field'], 'since');
});

test('inWindow: both edges inclusive, to the nanosecond, across offsets', () => {
  const w = parseWindow('2026-12-01T10:00:00.000000001Z', '2026-12-01T12:00:00+01:00');
  assert.equal(inWindow('2026-12-01T10:00:00.000000001Z', w), true, 'since itself is in');
  assert.equal(inWindow('2026-12-01T10:00:00Z', w), false, 'one nanosecond before since is out');
  assert.equal(inWindow('2026-12-01T11:00:00Z', w), true, 'until itself (written in UTC) is in');
  assert.equal(inWindow('2026-12-01T11:00:00.000000001Z', w), false, 'one nanosecond after until is out');
  assert.equal(inWindow('2026-12-01T10:30:00.5Z', w), true);
  assert.equal(inWindow('1970-01-01T00:00:00Z', { since: null, until: null }), true);
  assert.equal(inWindow('2026-12-01T09:00:00Z', { since: null, until: '2026-12-01T09:00:00Z' }), true);
  expectAttestryError(() => inWindow('soon', w), 'E_INVALID_INPUT', /^receivedAt:/);
});

test('symbolHits sums only the symbol, min/max by instant, keeps the stored strings', () => {
  const rows = [
    { symbolId: 'f', hitCount: 2, firstSeen: '2026-12-01T10:00:00.5Z', lastSeen: '2026-12-01T10:00:00.5Z' },
    { symbolId: 'g', hitCount: 100, firstSeen: '2026-01-01T00:00:00Z', lastSeen: '2027-01-01T00:00:00Z' },
    { symbolId: 'f', hitCount: 3, firstSeen: '2026-12-01T10:00:00.123456Z', lastSeen: '2026-12-01T10:00:00.60Z' },
    { symbolId: 'f', hitCount: 1, firstSeen: null, lastSeen: null },
    { symbolId: 'f', hitCount: 1, firstSeen: '2026-12-01T11:00:00.9+01:00', lastSeen: '2026-12-01T11:00:00.7+01:00' },
  ];
  // 11:00:00.9+01:00 = 10:00:00.9Z: not earlier than .123456Z; its lastSeen 10:00:00.7Z beats .60Z.
  assert.deepEqual(symbolHits(rows, 'f'), {
    hitCount: 7,
    firstSeen: '2026-12-01T10:00:00.123456Z',
    lastSeen: '2026-12-01T11:00:00.7+01:00',
  });
  assert.deepEqual(symbolHits(rows, 'none'), { hitCount: 0, firstSeen: null, lastSeen: null });
  assert.deepEqual(symbolHits([{ symbolId: 'f', hitCount: 1, firstSeen: null, lastSeen: null }], 'f'), {
    hitCount: 1,
    firstSeen: null,
    lastSeen: null,
  });
});

const spec = (i: number, source: string, facts: Record<string, unknown>[]): BatchSpec => ({
  batchId: `b-${i}`,
  receivedAt: `2026-12-01T10:0${i}:00Z`,
  source,
  facts,
});

test('runtimeEvidence: observed with sorted unique sources of the hitting batches and of the window', async () => {
  const batches = await citedBatches(
    [
      spec(1, 'zeta', [{ symbolId: 'f', hitCount: 2, observedAt: '2026-12-01T10:00:00.5Z' }]),
      spec(2, 'alpha', noise(2)),
      spec(3, 'zeta', [{ symbolId: 'f', observedAt: '2026-12-01T10:00:00.123456Z' }]),
      spec(4, 'mid', [{ symbolId: 'f', hitCount: 5, observedAt: '2026-12-01T10:00:00.60Z' }]),
    ],
    'f',
  );
  const r = runtimeEvidence(batches, { minBatches: 100, minSources: 100 });
  assert.deepEqual(r, {
    state: 'observed',
    hitCount: 8,
    firstSeen: '2026-12-01T10:00:00.123456Z',
    lastSeen: '2026-12-01T10:00:00.600Z',
    batchCount: 3,
    sources: ['mid', 'zeta'],
    windowBatchCount: 4,
    windowSources: ['alpha', 'mid', 'zeta'],
  });
});

test('runtimeEvidence thresholds: unobserved needs minBatches batches AND minSources sources, else none', async () => {
  const three = await citedBatches([spec(1, 'a', noise(1)), spec(2, 'b', noise(1)), spec(3, 'a', noise(1))], 'f');
  assert.equal(runtimeEvidence(three, { minBatches: 3, minSources: 2 }).state, 'unobserved', 'exactly at both thresholds');
  assert.equal(runtimeEvidence(three, { minBatches: 4, minSources: 2 }).state, 'none', 'one batch short');
  assert.equal(runtimeEvidence(three, { minBatches: 3, minSources: 3 }).state, 'none', 'one source short');
  assert.equal(runtimeEvidence([], { minBatches: 1, minSources: 1 }).state, 'none', 'an empty window is no evidence');
  assert.equal(runtimeEvidence([], { minBatches: 0, minSources: 0 }).state, 'unobserved', 'thresholds of 0 accept no coverage');
  const r = runtimeEvidence(three, { minBatches: 1, minSources: 1 });
  assert.deepEqual([r.hitCount, r.batchCount, r.sources, r.firstSeen, r.lastSeen], [0, 0, [], null, null]);
  // A hit without observedAt still counts as observed.
  const seen = await citedBatches([spec(1, 'a', [{ symbolId: 'f' }])], 'f');
  assert.deepEqual([runtimeEvidence(seen, { minBatches: 5, minSources: 5 }).state, seen[0]?.firstSeen], ['observed', null]);
});
