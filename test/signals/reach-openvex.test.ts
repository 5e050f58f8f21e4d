import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assertOpenVex, isOpenVex } from '../helpers/openvex-schema.js';
import { deriveReachability } from '../../src/signals/reach-derive.js';
import { OPENVEX_CONTEXT, openVexOf, VEX_STATUS, type OpenVexDocument } from '../../src/signals/reach-openvex.js';
import { evidenceDigestOf } from '../../src/signals/reach-verdict.js';
import {
  REACHABILITY_STATES,
  type ReachabilityAnswer,
  type ReachabilityResult,
  type ReachabilityState,
  type RuntimeState,
  type StaticState,
} from '../../src/signals/reach-types.js';
import { expectAttestryError } from '../core/helpers.js';
import { CALLGRAPH, citedBatches, noise, STATIC, SYMBOL_OF } from './reach-pure-fixtures.js';

function assertValid(doc: OpenVexDocument): void {
  assertOpenVex(doc);
}

/** One lattice cell per state (the first in the table that gives it). */
const CELL: Record<ReachabilityState, [StaticState, RuntimeState]> = {
  ConfirmedReachable: ['reachable', 'observed'],
  StaticReachable: ['reachable', 'none'],
  RuntimeObserved: ['uncertain', 'observed'],
  RuntimeUnobserved: ['absent', 'unobserved'],
  Unknown: ['uncertain', 'none'],
  Contested: ['unreachable', 'observed'],
  ConfirmedUnreachable: ['unreachable', 'unobserved'],
  StaticUnreachable: ['unreachable', 'none'],
};

async function answer(state: ReachabilityState, symbol?: string): Promise<ReachabilityAnswer> {
  const [s, r] = CELL[state];
  const sym = symbol ?? SYMBOL_OF[s];
  const facts = r === 'observed' ? [{ symbolId: sym, hitCount: 2, observedAt: '2026-12-01T10:00:00.5Z' }] : noise(1);
  const batches =
    r === 'none' ? [] : await citedBatches([{ batchId: 'b-1', receivedAt: '2026-12-01T10:00:01Z', source: 'agent', facts }], sym);
  const d = deriveReachability({
    callgraph: CALLGRAPH,
    symbol: sym,
    vulnerability: 'GO-2026-0001',
    static: STATIC[s],
    batches,
    window: { since: null, until: null },
    thresholds: { minBatches: 1, minSources: 1 },
  });
  assert.equal(d.state, state);
  return { ...d, path: d.static.path, decidedAt: '2026-12-02T13:00:00.123Z' };
}

const resultOf = (results: ReachabilityAnswer[], vulnerability: string | null = 'GO-2026-0001'): ReachabilityResult => ({
  callgraphId: CALLGRAPH.graphId,
  componentPurl: CALLGRAPH.componentPurl,
  vulnerability,
  results,
});

const EXPECTED: Record<ReachabilityState, string> = {
  ConfirmedReachable: 'affected',
  StaticReachable: 'affected',
  RuntimeObserved: 'affected',
  Contested: 'affected',
  ConfirmedUnreachable: 'not_affected',
  StaticUnreachable: 'not_affected',
  Unknown: 'under_investigation',
  RuntimeUnobserved: 'under_investigation',
};

for (const state of REACHABILITY_STATES) {
  test(`${state} → ${EXPECTED[state]}: a schema-valid OpenVEX 0.2.0 document with the status's required fields`, async () => {
    assert.equal(VEX_STATUS[state], EXPECTED[state]);
    const a = await answer(state);
    const doc = openVexOf(resultOf([a]), { author: 'attestry', packagePurls: ['pkg:golang/golang.org/x/text'] });
    assertValid(doc);
    const [st] = doc.statements;
    assert.equal(doc['@context'], OPENVEX_CONTEXT);
    assert.equal(
      doc['@id'],
      `https://attestry.dev/vex/reachability/cg-0001/${createHash('sha256').update(evidenceDigestOf(a)).digest('hex')}`,
    );
    assert.deepEqual([doc.author, doc.timestamp, doc.version, doc.tooling], ['attestry', a.decidedAt, 1, 'attestry']);
    assert.equal(st.status, EXPECTED[state]);
    assert.deepEqual(st.vulnerability, { name: 'GO-2026-0001' });
    assert.deepEqual(st.products, [
      {
        '@id': CALLGRAPH.componentPurl,
        subcomponents: [{ '@id': 'pkg:golang/golang.org/x/text' }, { '@id': `urn:attestry:symbol:${encodeURIComponent(a.symbol)}` }],
      },
    ]);
    assert.match(
      st.status_notes,
      new RegExp(`^${a.symbol.replace('.', '\\.')}: ${state} \\(static ${a.static.state}, runtime ${a.runtime.state}`),
    );
    if (st.status === 'not_affected') {
      assert.equal(st.justification, 'vulnerable_code_not_in_execute_path');
      assert.match(st.impact_statement ?? '', /No call path from an entry point/);
      assert.equal(st.action_statement, undefined);
    } else if (st.status === 'affected') {
      assert.match(st.action_statement ?? '', new RegExp(a.symbol.replace('.', '\\.')));
      assert.equal(st.justification, undefined);
    } else {
      assert.deepEqual([st.justification, st.impact_statement, st.action_statement], [undefined, undefined, undefined]);
    }
  });
}

test('Unknown is under_investigation, never not_affected: an uncertain symbol no runtime fact covers', async () => {
  const doc = openVexOf(resultOf([await answer('Unknown')]), { author: 'attestry' });
  assertValid(doc);
  assert.equal(doc.statements[0].status, 'under_investigation');
  assert.match(
    doc.statements[0].status_notes,
    /lib\.eval: Unknown \(static uncertain, runtime none: no hits in 0 batches; path main -> app\.plugin -> lib\.eval\)/,
  );
});

test('several symbols: one statement; affected beats under_investigation beats not_affected', async () => {
  const unreachable = await answer('StaticUnreachable', 'pkg.A');
  const unreachable2 = await answer('ConfirmedUnreachable', 'pkg.B');
  const unknown = await answer('Unknown', 'pkg.C');
  const reachable = await answer('StaticReachable', 'pkg.D');
  const cases: [ReachabilityAnswer[], string][] = [
    [[unreachable, unreachable2], 'not_affected'],
    [[unreachable, unknown, unreachable2], 'under_investigation'],
    [[unreachable, unknown, reachable], 'affected'],
  ];
  for (const [answers, status] of cases) {
    const doc = openVexOf(resultOf(answers, null), { author: 'acme-sec', timestamp: '2026-12-02T14:00:00Z', aliases: ['CVE-2026-1'] });
    assertValid(doc);
    assert.equal(doc.statements.length, 1);
    const [st] = doc.statements;
    assert.equal(st.status, status);
    assert.deepEqual(st.vulnerability, { name: `symbols:${answers.length}`, aliases: ['CVE-2026-1'] });
    assert.equal(doc.timestamp, '2026-12-02T14:00:00Z');
    assert.deepEqual(
      st.products[0]?.subcomponents.map((s) => s['@id']),
      answers.map((a) => `urn:attestry:symbol:${a.symbol}`),
    );
    for (const a of answers) assert.match(st.status_notes, new RegExp(`${a.symbol.replace('.', '\\.')}: ${a.state}`));
    if (status === 'not_affected') assert.equal(st.justification, 'vulnerable_code_not_in_execute_path');
    if (status === 'affected') assert.match(st.action_statement ?? '', /pkg\.D/);
  }
});

test('document id: same evidence, same id; new evidence, new id; symbols are URI-encoded in subcomponents', async () => {
  const a = await answer('StaticReachable', 'Foo::bar(int, char*)');
  const b = await answer('ConfirmedReachable', 'Foo::bar(int, char*)');
  const one = openVexOf(resultOf([a]), { author: 'x' });
  assertValid(one);
  assert.equal(one['@id'], openVexOf(resultOf([{ ...a, decidedAt: '2027-01-01T00:00:00Z' }]), { author: 'y' })['@id']);
  assert.notEqual(one['@id'], openVexOf(resultOf([b]), { author: 'x' })['@id']);
  assert.equal(one.statements[0].products[0]?.subcomponents[0]?.['@id'], 'urn:attestry:symbol:Foo%3A%3Abar(int%2C%20char*)');
  // Duplicate package PURLs would break the schema's uniqueItems: they are merged.
  assertValid(openVexOf(resultOf([a]), { author: 'x', packagePurls: ['pkg:npm/a', 'pkg:npm/a'] }));
  // Without a vulnerability, one symbol names itself.
  assert.deepEqual(openVexOf(resultOf([a], null), { author: 'x' }).statements[0].vulnerability, { name: 'Foo::bar(int, char*)' });
});

test('an empty result has no OpenVEX document', () => {
  expectAttestryError(() => openVexOf(resultOf([]), { author: 'x' }), 'E_INVALID_INPUT', /at least one symbol/);
});

test('the schema check itself can fail: a not_affected statement without justification is refused', async () => {
  const doc = openVexOf(resultOf([await answer('StaticUnreachable')]), { author: 'x' });
  const [st] = doc.statements;
  const broken = { ...doc, statements: [{ ...st, justification: undefined, impact_statement: undefined }] };
  assert.equal(isOpenVex(JSON.parse(JSON.stringify(broken))), false);
  assert.equal(isOpenVex({ ...doc, statements: [{ ...st, status: 'affected' }] }), false, 'affected needs action_statement');
});
