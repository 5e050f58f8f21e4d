import { AttestryError } from '../core/errors.js';
import { ndjsonLineBatches } from '../core/ndjson-lines.js';
import { CERTAIN_EDGES, candidateClass, classifyEdge, edgeCandidates } from './reach-edge-kind.js';
import { resolveSymbol, SymbolTails } from './reach-index-resolve.js';
import type { EdgeClass, PathStep, StaticEvidence } from './reach-types.js';

/**
 * The graph index a reachability answer is read from (docs/reachability.md
 * "Static evidence"), built once per stored callgraph and cached.
 *
 * The stored normalised NDJSON is read line by line into a CSR adjacency
 * (typed arrays: ~5 bytes per edge), then two multi-source BFS passes from
 * every entry point run at build time — over certain edges only, and over
 * all edges — keeping each node's distance and BFS parent. A query is then
 * a map lookup and a walk up the parent chain: O(path length), microseconds
 * on a graph of a million edges. The order is fixed (entries in node-id
 * order, neighbours in stored edge order, first discovery wins), so the
 * offline verifier, which rebuilds the index from the exported bytes, finds
 * the very same path.
 */

export interface ReachIndexLimits {
  readonly maxNodes: number;
  readonly maxEdges: number;
  readonly maxLineBytes: number;
}

// Edge classes as bytes in the CSR; CERTAIN_CODE[c] is 1 for a certain class.
const CLASSES: readonly EdgeClass[] = ['static', 'runtime', 'heuristic', 'dynamic', 'unresolved'];
const CODE_OF = new Map<EdgeClass, number>(CLASSES.map((c, i) => [c, i]));
const CERTAIN_CODE = Uint8Array.from(CLASSES, (c) => (CERTAIN_EDGES.has(c) ? 1 : 0));

/** Distances (-1 = not reached) and BFS parents of one pass; `via` is the class of the edge from the parent. */
interface Pass {
  readonly dist: Int32Array;
  readonly parent: Int32Array;
  readonly via: Uint8Array;
}

interface IndexParts {
  readonly ids: readonly string[];
  readonly symbols: readonly (string | undefined)[];
  /** node.symbol ?? node.id → node index, or indexes ascending when several nodes are the symbol. */
  readonly bySymbol: ReadonlyMap<string, number | number[]>;
  readonly entries: Int32Array;
  readonly offsets: Int32Array;
  readonly targets: Int32Array;
  readonly classes: Uint8Array;
  readonly edgeCount: number;
  readonly bytes: number;
}

export class ReachIndex {
  readonly nodeCount: number;
  /** Edges of the stored graph (lines); `candidateEdgeCount` more come from `extra.candidates`. */
  readonly edgeCount: number;
  readonly candidateEdgeCount: number;
  readonly entryCount: number;
  private readonly certain: Pass;
  private readonly any: Pass;
  private readonly baseBytes: number;
  private tails: SymbolTails | undefined; // built by the first resolve()

  constructor(private readonly parts: IndexParts) {
    const n = parts.ids.length;
    this.nodeCount = n;
    this.edgeCount = parts.edgeCount;
    this.candidateEdgeCount = parts.targets.length - parts.edgeCount;
    this.entryCount = parts.entries.length;
    this.certain = bfs(parts, true);
    this.any = bfs(parts, false);
    this.baseBytes = parts.bytes + 2 * (9 * n + 3 * 64);
  }

  /** Approximate heap bytes held (for the cache bound); grows once when resolve() builds its suffix table. */
  get bytes(): number {
    return this.baseBytes + (this.tails?.bytes ?? 0);
  }

  staticEvidence(symbol: string): StaticEvidence {
    const m = this.parts.bySymbol.get(symbol);
    if (m === undefined) return { state: 'absent', matchedNodes: [], entryPoint: null, path: [], steps: [], uncertainEdges: [] };
    const nodes = typeof m === 'number' ? [m] : m;
    const matchedNodes = nodes.map((i) => this.parts.ids[i]!);
    const reachable = nearest(nodes, this.certain.dist);
    if (reachable !== -1) return this.evidence('reachable', matchedNodes, this.certain, reachable);
    const uncertain = nearest(nodes, this.any.dist);
    if (uncertain !== -1) return this.evidence('uncertain', matchedNodes, this.any, uncertain);
    return { state: 'unreachable', matchedNodes, entryPoint: null, path: [], steps: [], uncertainEdges: [] };
  }

  /** Graph symbols an advisory's `(path, name)` names (docs/reachability.md "OSV"), sorted unique. */
  resolve(name: string, path?: string): string[] {
    if (this.parts.bySymbol.has(name)) return [name];
    this.tails ??= new SymbolTails(this.parts.bySymbol.keys());
    return resolveSymbol(this.tails, name, path);
  }

  private evidence(state: 'reachable' | 'uncertain', matchedNodes: string[], pass: Pass, target: number): StaticEvidence {
    const { ids, symbols } = this.parts;
    const chain: number[] = [];
    for (let v = target; v !== -1; v = pass.parent[v]!) chain.push(v);
    chain.reverse();
    const possible = new Set<EdgeClass>();
    const steps: PathStep[] = chain.map((v, k) => {
      const edgeKind = k === 0 ? null : CLASSES[pass.via[v]!]!;
      if (edgeKind !== null && !CERTAIN_EDGES.has(edgeKind)) possible.add(edgeKind);
      return { nodeId: ids[v]!, symbol: symbols[v] ?? ids[v]!, edgeKind };
    });
    return {
      state,
      matchedNodes,
      entryPoint: ids[chain[0]!]!,
      path: steps.map((s) => s.symbol),
      steps,
      uncertainEdges: [...possible].sort(),
    };
  }
}

/** The node of `nodes` (ascending indexes, i.e. ascending ids) with the smallest finite distance; the first on a tie. */
function nearest(nodes: readonly number[], dist: Int32Array): number {
  let best = -1;
  let bestDist = Infinity;
  for (const i of nodes) {
    const d = dist[i]!;
    if (d >= 0 && d < bestDist) {
      best = i;
      bestDist = d;
    }
  }
  return best;
}

/**
 * One multi-source BFS: entries in node-id order at distance 0, neighbours
 * in stored edge order, first discovery wins. Over all edges, a node found
 * through a possible edge whose parent also has a certain edge to it (a
 * parallel edge later in the stored order) records the certain class: the
 * same hop, without an uncertainty that is not there.
 */
function bfs(parts: IndexParts, certainOnly: boolean): Pass {
  const n = parts.ids.length;
  const { offsets, targets, classes, entries } = parts;
  const dist = new Int32Array(n).fill(-1);
  const parent = new Int32Array(n).fill(-1);
  const via = new Uint8Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  for (const e of entries) {
    if (dist[e] !== -1) continue;
    dist[e] = 0;
    queue[tail++] = e;
  }
  for (let head = 0; head < tail; head++) {
    const u = queue[head]!;
    const du = dist[u]! + 1;
    const end = offsets[u + 1]!;
    for (let k = offsets[u]!; k < end; k++) {
      const c = classes[k]!;
      if (certainOnly && CERTAIN_CODE[c] === 0) continue;
      const v = targets[k]!;
      if (dist[v] === -1) {
        dist[v] = du;
        parent[v] = u;
        via[v] = c;
        queue[tail++] = v;
      } else if (parent[v] === u && CERTAIN_CODE[c] === 1 && CERTAIN_CODE[via[v]!] === 0) {
        via[v] = c;
      }
    }
  }
  return { dist, parent, via };
}

/** A growable Int32Array (edge endpoints while reading; a million edges are 4 MB, not 1M boxed numbers). */
class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Heap bytes of a string as JSON.parse leaves it: V8's header and hash (16
 * bytes) and allocation slack (~8), then 1 byte per char (Latin-1) or 2,
 * rounded to 8. Checked against heap snapshots of the 1M-edge bench graph.
 */
export function stringBytes(s: string): number {
  const width = /[^\u0000-\u00ff]/.test(s) ? 2 : 1;
  return (24 + width * s.length + 7) & ~7;
}

function integrity(what: string, line: number, problem: string): AttestryError {
  return new AttestryError(
    'E_INTEGRITY',
    `${what} line ${line}: ${problem}; the stored callgraph is not in the normalised form, restore its blob or upload the graph again`,
    { details: { line } },
  );
}

function tooLarge(what: string, count: string, limit: string, value: number): AttestryError {
  return new AttestryError(
    'E_PAYLOAD_TOO_LARGE',
    `${what} has more than ${value} ${count} (${limit} = ${value}); raise ${limit} or split the graph`,
    { details: { [limit]: value } },
  );
}

const EDGE_HEAD = '{"kind":"edge","from":"';
const EDGE_TO = '","to":"';
const EDGE_EXTRA = ',"extra":';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads the stored lines: nodes (strictly ascending ids), then edges naming known nodes. */
class Builder {
  readonly ids: string[] = [];
  readonly symbols: (string | undefined)[] = [];
  private readonly index = new Map<string, number>();
  private readonly entries = new IntList();
  private readonly from = new IntList();
  private readonly to = new IntList();
  private readonly cls = new IntList();
  private edges = 0;
  private candidates = 0;
  private stringBytes = 0;
  private lastFrom = '';
  private lastFromIndex = -1;

  constructor(
    private readonly limits: ReachIndexLimits,
    private readonly what: string,
  ) {}

  line(text: string, line: number): void {
    if (text.startsWith(EDGE_HEAD) && this.plainEdge(text, line)) return;
    let rec: unknown;
    try {
      rec = JSON.parse(text);
    } catch {
      throw integrity(this.what, line, 'is not JSON');
    }
    if (!isRecord(rec)) throw integrity(this.what, line, 'is not a JSON object');
    if (rec['kind'] === 'node') this.node(rec, line);
    else if (rec['kind'] === 'edge') this.edge(rec, line);
    else throw integrity(this.what, line, 'has a "kind" that is neither "node" nor "edge"');
  }

  /**
   * The stored edge line without JSON.parse of the whole line (most of the
   * build time on a million edges): the fixed key order lets the ids be
   * sliced out when they have no escapes, and only `extra` is parsed.
   * False when the line is not of that exact shape; the general path then
   * reads (or refuses) it.
   */
  private plainEdge(text: string, line: number): boolean {
    const fromEnd = text.indexOf('"', EDGE_HEAD.length);
    if (fromEnd === -1 || !text.startsWith(EDGE_TO, fromEnd)) return false;
    const toStart = fromEnd + EDGE_TO.length;
    const toEnd = text.indexOf('"', toStart);
    if (toEnd === -1) return false;
    let extra: Record<string, unknown> | undefined;
    if (toEnd === text.length - 2 && text.charCodeAt(toEnd + 1) === 0x7d) extra = undefined;
    else if (text.startsWith(EDGE_EXTRA, toEnd + 1) && text.charCodeAt(text.length - 1) === 0x7d) {
      try {
        const v: unknown = JSON.parse(text.slice(toEnd + 1 + EDGE_EXTRA.length, -1));
        if (!isRecord(v)) return false;
        extra = v;
      } catch {
        return false;
      }
    } else return false;
    const from = text.slice(EDGE_HEAD.length, fromEnd);
    const to = text.slice(toStart, toEnd);
    if (from.includes('\\') || to.includes('\\')) return false;
    this.addEdge(from, to, extra, line);
    return true;
  }

  private node(rec: Record<string, unknown>, line: number): void {
    const { id, symbol, entry, extra } = rec;
    if (this.edges > 0) throw integrity(this.what, line, 'is a node after the edges');
    if (typeof id !== 'string' || id === '') throw integrity(this.what, line, 'has no string "id"');
    if (symbol !== undefined && typeof symbol !== 'string') throw integrity(this.what, line, '"symbol" is not a string');
    if (typeof entry !== 'boolean') throw integrity(this.what, line, '"entry" is not a boolean');
    if (extra !== undefined && !isRecord(extra)) throw integrity(this.what, line, '"extra" is not an object');
    const prev = this.ids[this.ids.length - 1];
    if (prev !== undefined && !(prev < id)) throw integrity(this.what, line, 'node ids are not in strictly ascending order');
    if (this.ids.length >= this.limits.maxNodes) throw tooLarge(this.what, 'nodes', 'maxNodes', this.limits.maxNodes);
    const i = this.ids.length;
    this.ids.push(id);
    this.symbols.push(symbol);
    this.index.set(id, i);
    if (entry) this.entries.push(i);
    this.stringBytes += stringBytes(id) + (symbol === undefined ? 0 : stringBytes(symbol));
  }

  private edge(rec: Record<string, unknown>, line: number): void {
    const { from, to, extra } = rec;
    if (extra !== undefined && !isRecord(extra)) throw integrity(this.what, line, '"extra" is not an object');
    if (typeof from !== 'string' || typeof to !== 'string') throw integrity(this.what, line, 'an edge has no string "from" and "to"');
    this.addEdge(from, to, extra, line);
  }

  private addEdge(from: string, to: string, extra: Record<string, unknown> | undefined, line: number): void {
    // Stored edges are sorted by `from`: most lines repeat the previous one's, and a string compare beats a Map lookup.
    let f: number | undefined;
    if (from === this.lastFrom) f = this.lastFromIndex;
    else {
      f = this.index.get(from);
      if (f !== undefined) {
        this.lastFrom = from;
        this.lastFromIndex = f;
      }
    }
    const t = this.index.get(to);
    if (f === undefined || t === undefined) throw integrity(this.what, line, 'an edge names a node that is not in the graph');
    if (++this.edges > this.limits.maxEdges) throw tooLarge(this.what, 'edges', 'maxEdges', this.limits.maxEdges);
    const c = classifyEdge(extra);
    this.push(f, t, c);
    const targets = edgeCandidates(extra);
    if (targets.length === 0) return;
    const cc = candidateClass(c);
    for (const id of targets) {
      // Candidates are scanner hints, never checked at upload: one naming no node adds nothing.
      const ci = this.index.get(id);
      if (ci === undefined) continue;
      if (++this.candidates > this.limits.maxEdges) throw tooLarge(this.what, 'candidate edges', 'maxEdges', this.limits.maxEdges);
      this.push(f, ci, cc);
    }
  }

  private push(f: number, t: number, c: EdgeClass): void {
    this.from.push(f);
    this.to.push(t);
    this.cls.push(CODE_OF.get(c)!);
  }

  /** CSR by a stable counting sort on `from`: each node's neighbours keep the stored edge order. */
  finish(): ReachIndex {
    const n = this.ids.length;
    const m = this.from.length;
    const from = this.from.data;
    const offsets = new Int32Array(n + 1);
    for (let k = 0; k < m; k++) offsets[from[k]! + 1]! += 1;
    for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
    const fill = offsets.slice(0, n);
    const targets = new Int32Array(m);
    const classes = new Uint8Array(m);
    for (let k = 0; k < m; k++) {
      const at = fill[from[k]!]!++;
      targets[at] = this.to.data[k]!;
      classes[at] = this.cls.data[k]!;
    }
    const bySymbol = new Map<string, number | number[]>();
    let multiBytes = 0;
    for (let i = 0; i < n; i++) {
      const key = this.symbols[i] ?? this.ids[i]!;
      const had = bySymbol.get(key);
      if (had === undefined) bySymbol.set(key, i);
      else if (typeof had === 'number') {
        bySymbol.set(key, [had, i]);
        multiBytes += 48;
      } else {
        had.push(i);
        multiBytes += 8;
      }
    }
    const entries = this.entries.data.slice(0, this.entries.length);
    // Two arrays of pointers (8 bytes a slot, ~1.5x capacity from growth), the strings, ~60 bytes per Map entry
    // (an ordered hash table at up to half load), the typed arrays.
    const bytes = 24 * n + this.stringBytes + 60 * bySymbol.size + multiBytes + 4 * (n + 1) + 5 * m + 4 * entries.length;
    return new ReachIndex({
      ids: this.ids,
      symbols: this.symbols,
      bySymbol,
      entries,
      offsets,
      targets,
      classes,
      edgeCount: this.edges,
      bytes,
    });
  }
}

function checkLimits(limits: ReachIndexLimits): void {
  for (const [name, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || (v as number) < 1)
      throw new AttestryError('E_INVALID_INPUT', `reach index limit ${name} = ${String(v)} is not a positive integer`);
  }
}

/** From the stored normalised NDJSON bytes (as readContent streams them); E_INTEGRITY on a bad line. */
export async function buildReachIndex(chunks: AsyncIterable<Uint8Array>, limits: ReachIndexLimits, what: string): Promise<ReachIndex> {
  checkLimits(limits);
  const builder = new Builder(limits, what);
  try {
    for await (const batch of ndjsonLineBatches(chunks, limits.maxLineBytes, what)) {
      for (const l of batch) builder.line(l.text, l.line);
    }
  } catch (e) {
    // Stored bytes are digest-checked: bytes that are not UTF-8 there mean damage, not a bad request.
    if (e instanceof AttestryError && e.code === 'E_INVALID_INPUT') {
      throw integrity(what, Number(e.details?.['line'] ?? 0), 'is not valid UTF-8');
    }
    throw e;
  }
  return builder.finish();
}
