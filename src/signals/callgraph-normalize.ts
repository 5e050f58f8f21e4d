import { createHash } from 'node:crypto';
import { canonicalize } from '../core/canonical-json.js';
import { AttestryError } from '../core/errors.js';
import type { Digest } from '../core/digest.js';
import type { CallgraphEdge, CallgraphNode, ParsedCallgraph } from './callgraph-graph.js';

/**
 * The stored form of a callgraph, whatever form it was uploaded in: NDJSON,
 * nodes sorted by id, then edges sorted by (from, to), one record per line
 * with its keys in a fixed order:
 *
 *   {"kind":"node","id":…,"symbol":…,"entry":…,"extra":{…}}
 *   {"kind":"edge","from":…,"to":…,"extra":{…}}
 *
 * `symbol` and `extra` are left out when absent; `extra` is RFC 8785
 * canonical JSON (sorted keys, ES number form). Equal (from, to) pairs are
 * ordered by their whole line, so the output (and its digest, the manifest's
 * `digest`) depends only on the graph, not on the upload's order or form.
 * Strings compare by UTF-16 code units, as RFC 8785 sorts keys.
 */
export function nodeLine(node: CallgraphNode): string {
  let line = `{"kind":"node","id":${JSON.stringify(node.id)}`;
  if (node.symbol !== undefined) line += `,"symbol":${JSON.stringify(node.symbol)}`;
  line += node.entry ? ',"entry":true' : ',"entry":false';
  if (node.extra !== undefined) line += `,"extra":${canonicalExtra(node.extra, `node "${node.id}"`)}`;
  return `${line}}\n`;
}

export function edgeLine(edge: CallgraphEdge): string {
  let line = `{"kind":"edge","from":${JSON.stringify(edge.from)},"to":${JSON.stringify(edge.to)}`;
  if (edge.extra !== undefined) line += `,"extra":${canonicalExtra(edge.extra, `edge "${edge.from}" -> "${edge.to}"`)}`;
  return `${line}}\n`;
}

// What RFC 8785 forbids in a string and JSON.stringify would escape instead.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * RFC 8785 for the common case, a flat object of strings, numbers, booleans
 * and nulls (stella edges carry `{kind, reason, weight, isResolved}`): keys
 * sorted by code unit, JSON.stringify for each scalar (which is RFC 8785's
 * serialisation for well-formed strings and finite numbers, -0 included).
 * Returns undefined for anything else, which goes to the full canonicaliser.
 */
function flatCanonical(extra: Record<string, unknown>): string | undefined {
  const keys = Object.keys(extra);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const v = extra[key];
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return undefined;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return undefined;
    } else if (typeof v !== 'boolean' && v !== null) {
      return undefined;
    }
    if (LONE_SURROGATE.test(key)) return undefined;
    out += `${i > 0 ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(v)}`;
  }
  return `${out}}`;
}

function canonicalExtra(extra: Record<string, unknown>, owner: string): string {
  const flat = flatCanonical(extra);
  if (flat !== undefined) return flat;
  try {
    return canonicalize(extra);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new AttestryError(
      'E_INVALID_INPUT',
      `callgraph ${owner.slice(0, 200)}: its extra fields cannot be stored as canonical JSON (${reason})`,
      { cause: e },
    );
  }
}

function compareNodes(a: CallgraphNode, b: CallgraphNode): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Nodes sorted by id, then edges by (from, to); each line JSON + '\n'. */
export function* normalizedLines(graph: ParsedCallgraph): Generator<string> {
  // Node ids are unique (parseCallgraph refuses duplicates), so the order is total.
  const nodes = graph.nodes.slice().sort(compareNodes);
  for (const node of nodes) yield nodeLine(node);
  yield* sortedEdgeLines(nodes, graph.edges);
}

/**
 * Edges in (from, to) order without comparing strings per pair: with node
 * ranks in id order, (rank(from), rank(to)) packed into one float64 orders
 * exactly as the id pair does, and a Float64Array sorts natively (no
 * comparator calls), several times faster than sorting edge objects on a
 * million edges. Every edge names known nodes (parseCallgraph refuses
 * others). Edges with extra fields, and pairs that occur more than once
 * with them, are kept aside by key and ordered by their whole line.
 */
function* sortedEdgeLines(nodes: readonly CallgraphNode[], edges: readonly CallgraphEdge[]): Generator<string> {
  const n = nodes.length;
  if (n * n > Number.MAX_SAFE_INTEGER) {
    yield* comparedEdgeLines(edges);
    return;
  }
  const rank = new Map<string, number>();
  for (let i = 0; i < n; i++) rank.set(nodes[i]!.id, i);
  const keys = new Float64Array(edges.length);
  const withExtra = new Map<number, number[]>();
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i]!;
    const from = rank.get(e.from);
    const to = rank.get(e.to);
    if (from === undefined || to === undefined) {
      yield* comparedEdgeLines(edges);
      return;
    }
    const key = from * n + to;
    keys[i] = key;
    if (e.extra !== undefined) {
      const list = withExtra.get(key);
      if (list === undefined) withExtra.set(key, [i]);
      else list.push(i);
    }
  }
  keys.sort();
  for (let i = 0; i < keys.length;) {
    const key = keys[i]!;
    let j = i + 1;
    while (j < keys.length && keys[j] === key) j++;
    const from = nodes[Math.floor(key / n)]!.id;
    const to = nodes[key % n]!.id;
    const plain = edgeLine({ from, to });
    const extras = withExtra.get(key);
    if (extras === undefined) {
      for (let k = i; k < j; k++) yield plain;
    } else {
      const lines = extras.map((x) => edgeLine(edges[x]!));
      for (let k = extras.length; k < j - i; k++) lines.push(plain);
      lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      yield* lines;
    }
    i = j;
  }
}

/** The same order by comparing id strings (graphs too large to pack ranks into a float64). */
function* comparedEdgeLines(edges: readonly CallgraphEdge[]): Generator<string> {
  const lines: (string | undefined)[] = [];
  const lineOf = (i: number): string => (lines[i] ??= edgeLine(edges[i]!));
  const order = Array.from({ length: edges.length }, (_, i) => i);
  order.sort((i, j) => {
    const a = edges[i]!;
    const b = edges[j]!;
    if (a.from !== b.from) return a.from < b.from ? -1 : 1;
    if (a.to !== b.to) return a.to < b.to ? -1 : 1;
    const la = lineOf(i);
    const lb = lineOf(j);
    return la < lb ? -1 : la > lb ? 1 : 0;
  });
  for (const i of order) yield lines[i] ?? edgeLine(edges[i]!);
}

/** The normalised lines gathered into buffers of about `chunkBytes`, for compressors and hashes that prefer fewer, larger writes. */
export function* normalizedChunks(graph: ParsedCallgraph, chunkBytes = 1 << 20): Generator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  for (const line of normalizedLines(graph)) {
    parts.push(line);
    size += line.length;
    if (size >= chunkBytes) {
      yield Buffer.from(parts.join(''), 'utf8');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''), 'utf8');
}

/** sha256 of the normalised NDJSON: the manifest's `digest`. */
export function normalizedDigest(graph: ParsedCallgraph): Digest {
  const hash = createHash('sha256');
  for (const chunk of normalizedChunks(graph)) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}
