/**
 * Inputs for the pure reachability tests: runtime batches built from real
 * fact NDJSON through the ingest aggregator (so instants are formatted as
 * signals_facts stores them), and the static evidence the graph below gives
 * (docs/reachability.md "Static evidence"):
 *
 *   entry main ──static──▶ app.handle ──call──▶ lib.parse          (reachable)
 *   entry main ──virtual──▶ app.plugin ──static──▶ lib.eval        (uncertain: dynamic)
 *   lib.orphan (no edge into it)                                   (unreachable)
 *   lib.absent (no node)                                           (absent)
 */
import { createHash } from 'node:crypto';
import { readFactBatch } from '../../src/signals/facts-input.js';
import { symbolHits } from '../../src/signals/reach-runtime.js';
import type { CallgraphCitation, CitedBatch, StaticEvidence, StaticState } from '../../src/signals/reach-types.js';
import { indexOf, type EdgeSpec, type NodeSpec } from '../helpers/reach-graphs.js';

export const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

export const CALLGRAPH: CallgraphCitation = {
  graphId: 'cg-0001',
  tenantId: 'acme',
  componentPurl: 'pkg:golang/example.com/app@v1.2.3',
  digest: sha('normalised ndjson'),
  contentDigest: sha('ndjson.zst blob'),
  manifestDigest: sha('manifest json'),
  manifestAttestationId: 'cg-0001',
  manifestLogIndex: 7,
  manifestRekorUuid: 'a'.repeat(80),
};

export const SYMBOL_OF: Record<StaticState, string> = {
  reachable: 'lib.parse',
  uncertain: 'lib.eval',
  unreachable: 'lib.orphan',
  absent: 'lib.absent',
};

/** The graph drawn above, as stored NDJSON specs (test/helpers/reach-graphs.ts). */
export const GRAPH_NODES: readonly NodeSpec[] = [
  { id: 'n1', symbol: 'main', entry: true },
  { id: 'n2', symbol: 'app.handle' },
  { id: 'n3', symbol: 'lib.parse' },
  { id: 'n4', symbol: 'app.plugin' },
  { id: 'n5', symbol: 'lib.eval' },
  { id: 'n6', symbol: 'lib.orphan' },
];
export const GRAPH_EDGES: readonly EdgeSpec[] = [
  ['n1', 'n2'],
  ['n2', 'n3', 'call'],
  ['n1', 'n4', 'virtual'],
  ['n4', 'n5'],
];

/** The real index of that graph (what the service answers static evidence from). */
export const graphIndex = () => indexOf(GRAPH_NODES, GRAPH_EDGES);

/** What the index gives for each symbol of SYMBOL_OF (checked against the real index in reach-lattice.test.ts). */
export const STATIC: Record<StaticState, StaticEvidence> = {
  reachable: {
    state: 'reachable',
    matchedNodes: ['n3'],
    entryPoint: 'n1',
    path: ['main', 'app.handle', 'lib.parse'],
    steps: [
      { nodeId: 'n1', symbol: 'main', edgeKind: null },
      { nodeId: 'n2', symbol: 'app.handle', edgeKind: 'static' },
      { nodeId: 'n3', symbol: 'lib.parse', edgeKind: 'static' },
    ],
    uncertainEdges: [],
  },
  uncertain: {
    state: 'uncertain',
    matchedNodes: ['n5'],
    entryPoint: 'n1',
    path: ['main', 'app.plugin', 'lib.eval'],
    steps: [
      { nodeId: 'n1', symbol: 'main', edgeKind: null },
      { nodeId: 'n4', symbol: 'app.plugin', edgeKind: 'dynamic' },
      { nodeId: 'n5', symbol: 'lib.eval', edgeKind: 'static' },
    ],
    uncertainEdges: ['dynamic'],
  },
  unreachable: { state: 'unreachable', matchedNodes: ['n6'], entryPoint: null, path: [], steps: [], uncertainEdges: [] },
  absent: { state: 'absent', matchedNodes: [], entryPoint: null, path: [], steps: [], uncertainEdges: [] },
};

async function* chunks(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text, 'utf8');
}

export interface BatchSpec {
  readonly batchId: string;
  readonly receivedAt: string;
  readonly source: string;
  /** Runtime facts of the batch (symbolId, hitCount?, observedAt?). */
  readonly facts: readonly Record<string, unknown>[];
}

/** A batch as the service cites it: facts aggregated by the ingest code, the symbol's hits summed by symbolHits. */
export async function citedBatch(spec: BatchSpec, symbol: string): Promise<CitedBatch> {
  const text = spec.facts.map((f) => JSON.stringify(f)).join('\n') + '\n';
  const summary = await readFactBatch(chunks(text), 'ndjson', { maxBytes: 1 << 20, maxLineBytes: 1 << 16, maxFacts: 10_000 });
  const hits = symbolHits(summary.aggregates, symbol);
  return {
    batchId: spec.batchId,
    provenanceId: `prov-${spec.batchId}`,
    provenanceHash: summary.provenanceHash,
    receivedAt: spec.receivedAt,
    source: spec.source,
    attestationId: spec.batchId,
    attestationDigest: sha(`envelope of ${spec.batchId}`),
    logIndex: 100,
    rekorUuid: 'b'.repeat(80),
    ...hits,
  };
}

export async function citedBatches(specs: readonly BatchSpec[], symbol: string): Promise<CitedBatch[]> {
  return Promise.all(specs.map((s) => citedBatch(s, symbol)));
}

/** Facts of `count` other symbols, none of them the queried one: coverage without a hit. */
export const noise = (n: number): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, i) => ({ symbolId: `other.fn${i}`, hitCount: 2, observedAt: '2026-12-01T10:00:00.5Z' }));
