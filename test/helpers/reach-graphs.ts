/**
 * Callgraphs for the reachability tests and `bench:reachability`, in the
 * normalised NDJSON form the server stores (docs/signals.md "Stored
 * (normalised) form"): small graphs from a terse spec, and a large layered
 * graph (a million edges) whose every node's answer is known by
 * construction.
 */
import type { CallgraphEdge, CallgraphNode, ParsedCallgraph } from '../../src/signals/callgraph-graph.js';
import { normalizedLines } from '../../src/signals/callgraph-normalize.js';
import { buildReachIndex, type ReachIndex, type ReachIndexLimits } from '../../src/signals/reach-index.js';

/** `"a"` is a node, `"*a"` an entry node; the object form sets a symbol and extra fields. */
export type NodeSpec = string | { id: string; symbol?: string; entry?: boolean; extra?: Record<string, unknown> };
/** `[from, to]` a plain (static) edge; `[from, to, kind]` with `extra.kind` (`"unresolved"` → `isResolved: false`); or the object form. */
export type EdgeSpec =
  readonly [string, string] | readonly [string, string, string] | { from: string; to: string; extra?: Record<string, unknown> };

export const REACH_TEST_LIMITS: ReachIndexLimits = { maxNodes: 2_000_000, maxEdges: 5_000_000, maxLineBytes: 1 << 20 };

function nodeOf(spec: NodeSpec): CallgraphNode {
  if (typeof spec === 'string') return spec.startsWith('*') ? { id: spec.slice(1), entry: true } : { id: spec, entry: false };
  const node: { id: string; symbol?: string; entry: boolean; extra?: Record<string, unknown> } = {
    id: spec.id,
    entry: spec.entry === true,
  };
  if (spec.symbol !== undefined) node.symbol = spec.symbol;
  if (spec.extra !== undefined) node.extra = spec.extra;
  return node;
}

function edgeOf(spec: EdgeSpec): CallgraphEdge {
  if (!Array.isArray(spec)) return spec as CallgraphEdge;
  const [from, to, kind] = spec as readonly [string, string, string?];
  if (kind === undefined) return { from, to };
  return { from, to, extra: kind === 'unresolved' ? { isResolved: false } : { kind } };
}

/** The graph as the server stores it: nodes sorted by id, then edges by (from, to), keys in the fixed order. */
export function graphNdjson(nodes: readonly NodeSpec[], edges: readonly EdgeSpec[]): string {
  const ns = nodes.map(nodeOf);
  const graph: ParsedCallgraph = {
    nodes: ns,
    edges: edges.map(edgeOf),
    entryPoints: ns
      .filter((n) => n.entry)
      .map((n) => n.id)
      .sort(),
    rawDigest: `sha256:${'0'.repeat(64)}`,
    rawBytes: 0,
    form: 'ndjson',
  };
  return [...normalizedLines(graph)].join('');
}

/** Bytes in chunks of `size` (small sizes split lines and UTF-8 sequences), as a stored blob streams. */
export async function* byteChunks(text: string | Buffer | Iterable<Buffer>, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  const parts = typeof text === 'string' ? [Buffer.from(text, 'utf8')] : Buffer.isBuffer(text) ? [text] : text;
  for (const bytes of parts) for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The index of a small graph spec. */
export function indexOf(nodes: readonly NodeSpec[], edges: readonly EdgeSpec[], limits = REACH_TEST_LIMITS): Promise<ReachIndex> {
  return buildReachIndex(byteChunks(graphNdjson(nodes, edges), 7), limits, 'test graph');
}

export { bigGraph, prng, type BigGraph, type BigGraphOptions } from './reach-big-graph.js';
