/**
 * A large, reproducible callgraph whose answers are known by construction
 * (for the reachability tests and `bench:reachability`). Nodes fall in
 * three groups:
 * - main: layered; layer 0 holds the entry points, every node of layer L has
 *   a static edge from layer L-1, and edges only go forward one layer (or
 *   back, making cycles), so its certain distance is exactly L: `reachable`;
 * - maybe: layered too, but every edge into them is a possible one
 *   (heuristic, dynamic, unresolved), so they are `uncertain` at distance L;
 * - island: edges only among themselves, no entry: `unreachable`.
 * Edges are mostly plain static ones, with some explicit static, runtime,
 * heuristic, dynamic (`callKind: virtual`) and unresolved edges; the text is
 * exactly the server's normalised form (sorted, keys in order).
 */

/** mulberry32: small, fast, reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BigGraphOptions {
  readonly edges: number;
  readonly seed?: number;
  /** Default edges / 10 (at least 200). */
  readonly nodes?: number;
  /** Layers of the main group (default 16): the longest certain path has layers - 1 edges. */
  readonly layers?: number;
}

export type BigGroup = 'main' | 'maybe' | 'island';

export interface BigGraph {
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly entryCount: number;
  readonly layers: number;
  /** The normalised NDJSON in buffers of about `size` bytes (generated afresh on each call). */
  chunks(size?: number): Generator<Buffer>;
  /** node.symbol ?? node.id of node `i`. */
  symbolOf(i: number): string;
  /** `count` random symbols of a group (main: at certain distance `layer` when given), reproducible from `seed`. */
  pick(group: BigGroup, count: number, seed: number, layer?: number): string[];
  /** Symbols no node has. */
  absent(count: number): string[];
  /** A mix for query benchmarks: 70% main at any depth, 15% maybe, 10% island, 5% absent. */
  sample(count: number, seed: number): string[];
  /** What the index must answer for a symbol: the state and the path's edge count (-1 for no path). */
  expected(symbol: string): { state: 'reachable' | 'uncertain' | 'unreachable' | 'absent'; distance: number };
}

// Edge codes in the order their stored lines sort for one (from, to) pair: the `"extra"` lines by their
// canonical text, then the plain line (`,` sorts before `}`).
const EXTRA = [
  '{"callKind":"virtual"}',
  '{"isResolved":false,"kind":"static"}',
  '{"kind":"heuristic"}',
  '{"kind":"runtime"}',
  '{"kind":"static"}',
  '',
];
const [DYN, UNRES, HEUR, RUNTIME, STATIC_X, PLAIN] = [0, 1, 2, 3, 4, 5] as const;

const idOf = (i: number): string => `n${i.toString().padStart(7, '0')}`;

export function bigGraph(options: BigGraphOptions): BigGraph {
  const E = options.edges;
  const N = options.nodes ?? Math.max(200, Math.floor(E / 10));
  const L = options.layers ?? 16;
  if (N < 200 || N > 9_999_999 || E < N) throw new Error(`bigGraph: need 200 ≤ nodes ≤ edges (nodes ${N}, edges ${E})`);
  const rnd = prng(options.seed ?? 1);
  const int = (n: number): number => Math.floor(rnd() * n);

  // Layout: [main | maybe | island]; main's layer 0 (the entries) is 1% of it.
  const M = Math.floor(N * 0.85);
  const U = Math.floor(N * 0.1);
  const groupOf = (i: number): BigGroup => (i < M ? 'main' : i < M + U ? 'maybe' : 'island');
  const e0 = Math.max(1, Math.floor(M * 0.01));
  const mainStart = new Int32Array(L + 1);
  for (let l = 1; l <= L; l++) mainStart[l] = e0 + Math.floor(((M - e0) * (l - 1)) / (L - 1));
  mainStart[L] = M;
  // maybe layers 1..L-1
  const maybeStart = new Int32Array(L + 1);
  for (let l = 1; l <= L; l++) maybeStart[l] = M + Math.floor((U * (l - 1)) / (L - 1));
  maybeStart[0] = M;
  maybeStart[L] = M + U;
  const layerOf = (i: number): number => {
    const starts = i < M ? mainStart : maybeStart;
    let l = 0;
    while (l < L - 1 && starts[l + 1]! <= i) l++;
    return l;
  };
  const inLayer = (starts: Int32Array, l: number): number => {
    const a = starts[l]!;
    const b = starts[l + 1]!;
    return b > a ? a + int(b - a) : -1;
  };
  const certainCode = (): number => {
    const r = rnd();
    return r < 0.9 ? PLAIN : r < 0.95 ? STATIC_X : RUNTIME;
  };
  const possibleCode = (): number => {
    const r = rnd();
    return r < 0.4 ? HEUR : r < 0.75 ? DYN : UNRES;
  };
  const anyCode = (): number => (rnd() < 0.92 ? certainCode() : possibleCode());

  const keys = new Float64Array(E);
  let k = 0;
  const add = (from: number, to: number, code: number): void => {
    if (from >= 0 && to >= 0 && k < E) keys[k++] = (from * N + to) * 8 + code;
  };
  // Spines: every main node past layer 0 from the layer before (static), every maybe node from main (possible).
  for (let i = e0; i < M; i++) add(inLayer(mainStart, layerOf(i) - 1), i, PLAIN);
  for (let i = M; i < M + U; i++) add(inLayer(mainStart, layerOf(i) - 1), i, possibleCode());
  for (let i = M + U; i < N; i++) add(M + U + int(N - M - U), i, anyCode());
  while (k < E) {
    const r = rnd();
    if (r < 0.7) {
      const l = int(L - 1);
      add(inLayer(mainStart, l), inLayer(mainStart, l + 1), anyCode());
    } else if (r < 0.8) {
      const l = 1 + int(L - 1);
      add(inLayer(mainStart, l), inLayer(mainStart, int(l + 1)), anyCode());
    } else if (r < 0.88) {
      const l = 1 + int(L - 1);
      const from = l - 1 + int(L - l + 1);
      add(rnd() < 0.7 || from === 0 ? inLayer(mainStart, from) : inLayer(maybeStart, from), inLayer(maybeStart, l), possibleCode());
    } else if (r < 0.95) {
      const l = 1 + int(L - 1);
      add(inLayer(maybeStart, l), inLayer(mainStart, int(Math.min(l + 2, L))), anyCode());
    } else {
      add(M + U + int(N - M - U), M + U + int(N - M - U), anyCode());
    }
  }
  keys.sort();

  const symbolOf = (i: number): string =>
    i % 101 === 50 ? idOf(i) : `sym:java:com.example.${groupOf(i)}.L${layerOf(i)}.C${i}.run(java.lang.String)`;

  function* chunks(size = 1 << 20): Generator<Buffer> {
    let parts: string[] = [];
    let length = 0;
    const put = (line: string): Buffer | undefined => {
      parts.push(line);
      length += line.length;
      if (length < size) return undefined;
      const out = Buffer.from(parts.join(''));
      parts = [];
      length = 0;
      return out;
    };
    for (let i = 0; i < N; i++) {
      const sym = i % 101 === 50 ? '' : `,"symbol":${JSON.stringify(symbolOf(i))}`;
      const out = put(`{"kind":"node","id":"${idOf(i)}"${sym},"entry":${i < e0 ? 'true' : 'false'}}\n`);
      if (out) yield out;
    }
    for (let j = 0; j < E; j++) {
      const key = keys[j]!;
      const code = key % 8;
      const pair = (key - code) / 8;
      const extra = EXTRA[code]!;
      const line = `{"kind":"edge","from":"${idOf(Math.floor(pair / N))}","to":"${idOf(pair % N)}"${extra === '' ? '' : `,"extra":${extra}`}}\n`;
      const out = put(line);
      if (out) yield out;
    }
    if (parts.length > 0) yield Buffer.from(parts.join(''));
  }

  const range = (group: BigGroup, layer: number | undefined): [number, number] => {
    if (group === 'island') return [M + U, N];
    const starts = group === 'main' ? mainStart : maybeStart;
    if (layer === undefined) return [starts[0]!, starts[L]!];
    return [starts[layer]!, starts[layer + 1]!];
  };
  const pick = (group: BigGroup, count: number, seed: number, layer?: number): string[] => {
    const [a, b] = range(group, layer);
    if (b <= a) return [];
    const r = prng(seed);
    return Array.from({ length: count }, () => symbolOf(a + Math.floor(r() * (b - a))));
  };
  const absent = (count: number): string[] => Array.from({ length: count }, (_, i) => `sym:java:com.example.absent.C${i}.run()`);

  let bySymbol: Map<string, number> | undefined;
  const expected = (symbol: string): ReturnType<BigGraph['expected']> => {
    if (bySymbol === undefined) {
      bySymbol = new Map();
      for (let i = 0; i < N; i++) bySymbol.set(symbolOf(i), i);
    }
    const i = bySymbol.get(symbol);
    if (i === undefined) return { state: 'absent', distance: -1 };
    const g = groupOf(i);
    if (g === 'island') return { state: 'unreachable', distance: -1 };
    return { state: g === 'main' ? 'reachable' : 'uncertain', distance: layerOf(i) };
  };

  const sample = (count: number, seed: number): string[] => {
    const r = prng(seed);
    return Array.from({ length: count }, (_, i) => {
      const x = r();
      const s = Math.floor(r() * 1e9);
      if (x < 0.7) return pick('main', 1, s)[0]!;
      if (x < 0.85) return pick('maybe', 1, s)[0]!;
      if (x < 0.95) return pick('island', 1, s)[0]!;
      return `sym:java:com.example.absent.S${i}.run()`;
    });
  };

  return { nodeCount: N, edgeCount: E, entryCount: e0, layers: L, chunks, symbolOf, pick, absent, sample, expected };
}
