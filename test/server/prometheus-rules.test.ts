/**
 * Signals telemetry (seed 000 §8): the seven metrics with the seed's names,
 * types and labels, and the alert rules checked and unit-tested by promtool
 * (Debian package `prometheus`; .ci/run installs it and sets REQUIRE_PROMTOOL=1).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { MAX_FACT_TYPE_LABELS, ServiceMetrics } from '../../src/server/metrics.js';
import { NO_SIGNALS_EVENTS, type SignalsEvents } from '../../src/signals/events.js';
import { toolSkip } from '../helpers/tools.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RULES = `${ROOT}etc/prometheus/signals-provenance.rules.yml`;
const RULE_TESTS = `${ROOT}etc/prometheus/signals-provenance.test.yml`;

/** Seed 000 §8.1, verbatim: name, type, labels. */
const SEED_METRICS: readonly (readonly [string, 'counter' | 'histogram', readonly string[]])[] = [
  ['signals_callgraphs_stored_total', 'counter', ['language', 'tenant']],
  ['signals_callgraph_nodes_total', 'histogram', ['language']],
  ['signals_runtime_facts_ingested_total', 'counter', ['fact_type', 'tenant']],
  ['signals_runtime_facts_batch_size', 'histogram', []],
  ['signals_provenance_records_total', 'counter', []],
  ['signals_attestations_created_total', 'counter', []],
  ['signals_cas_operations_total', 'counter', ['operation', 'result']],
];

function promtoolSkip(): false | string {
  const skip = toolSkip('promtool', 'prometheus');
  if (skip !== false && process.env['REQUIRE_PROMTOOL'] === '1')
    throw new Error(`${skip} (REQUIRE_PROMTOOL=1: a missing promtool is a failure here)`);
  return skip;
}

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    assert.fail(`promtool ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** Every event once, so each labelled metric has a sample to read labels from. */
function exercise(events: SignalsEvents): void {
  events.callgraphStored('java', 'acme', 1234);
  events.factsIngested('symbol_hit', 'acme', 10_000);
  events.batchStored(10_000);
  events.provenanceRecorded();
  events.attestationCreated('success');
  events.attestationCreated('failure');
  events.casOperation('put', 'success');
}

/** Label names on the sample lines of metric `name` (suffixed series of a histogram included, `le` dropped). */
function sampleLabels(text: string, name: string): Set<string> {
  const labels = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? /.exec(line);
    if (m === null || !(m[1] === name || [`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(m[1]!))) continue;
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) labels.add(pair.slice(0, pair.indexOf('=')));
  }
  labels.delete('le');
  return labels;
}

describe('Signals metrics and alert rules', () => {
  test('ServiceMetrics exposes the seven seed metrics with exactly their types and labels', async () => {
    const metrics = new ServiceMetrics();
    exercise(metrics);
    const text = await metrics.registry.metrics();
    for (const [name, type, labels] of SEED_METRICS) {
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`);
      assert.deepEqual([...sampleLabels(text, name)].sort(), [...labels].sort(), `${name} labels`);
    }
    assert.match(text, /^signals_callgraphs_stored_total\{language="java",tenant="acme"\} 1$/m);
    assert.match(text, /^signals_callgraph_nodes_total_bucket\{le="10000",language="java"\} 1$/m);
    assert.match(text, /^signals_runtime_facts_ingested_total\{fact_type="symbol_hit",tenant="acme"\} 10000$/m);
    assert.match(text, /^signals_runtime_facts_batch_size_count 1$/m);
    assert.match(text, /^signals_provenance_records_total 1$/m);
    // A failure is not an attestation created: it has its own counter, which the alert reads.
    assert.match(text, /^signals_attestations_created_total 1$/m);
    assert.match(text, /^# TYPE signals_attestation_failures_total counter$/m);
    assert.match(text, /^signals_attestation_failures_total 1$/m);
    assert.match(text, /^signals_cas_operations_total\{operation="put",result="success"\} 1$/m);
    // The do-nothing implementation takes the same calls.
    exercise(NO_SIGNALS_EVENTS);
  });

  test('fact types from agents are capped as label values; the rest count as "other"', async () => {
    const metrics = new ServiceMetrics();
    for (let i = 0; i < MAX_FACT_TYPE_LABELS + 10; i++) metrics.factsIngested(`type_${i}`, 'acme', 1);
    metrics.factsIngested('type_0', 'acme', 5);
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((l) => l.startsWith('signals_runtime_facts_ingested_total{'));
    assert.equal(series.length, MAX_FACT_TYPE_LABELS + 1);
    assert.match(text, /^signals_runtime_facts_ingested_total\{fact_type="other",tenant="acme"\} 10$/m);
    assert.match(text, /^signals_runtime_facts_ingested_total\{fact_type="type_0",tenant="acme"\} 6$/m);
  });

  test('the rules file has the seed group and alerts, and reads only metrics ServiceMetrics exposes', async () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
    assert.equal(doc.groups.length, 1);
    const group = doc.groups[0]!;
    assert.equal(group.name, 'signals-provenance');
    const byName = new Map(group.rules.map((r) => [r['alert'], r]));
    assert.deepEqual([...byName.keys()], ['SignalsAttestationFailure', 'SignalsProvenanceMissing']);
    const seed = {
      SignalsAttestationFailure: { for: '1m', severity: 'warning', summary: 'Runtime fact attestation failures detected' },
      SignalsProvenanceMissing: { for: '5m', severity: 'critical', summary: 'Runtime facts missing provenance records' },
    };
    const text = await new ServiceMetrics().registry.metrics();
    for (const [name, want] of Object.entries(seed)) {
      const rule = byName.get(name)!;
      assert.equal(rule['for'], want.for);
      assert.deepEqual(rule['labels'], { severity: want.severity });
      assert.equal((rule['annotations'] as Record<string, string>)['summary'], want.summary);
      const expr = String(rule['expr']);
      assert.doesNotMatch(expr, /result="failure"/, 'no selector on a label the metric lacks');
      for (const metric of expr.match(/signals_[a-z_]+/g) ?? []) {
        const family = metric.replace(/_(count|sum|bucket)$/, '');
        assert.match(text, new RegExp(`^# TYPE (${metric}|${family}) `, 'm'), `${name} reads ${metric}, which /metrics exposes`);
      }
    }
  });

  const skip = promtoolSkip();
  test('promtool check rules accepts the rules file', { skip }, () => {
    assert.match(promtool('check', 'rules', RULES), /SUCCESS: 2 rules found/);
  });

  test('promtool test rules: each alert fires on bad series and stays silent on healthy ones', { skip }, () => {
    assert.match(promtool('test', 'rules', RULE_TESTS), /SUCCESS/);
  });
});
