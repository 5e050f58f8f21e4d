/**
 * `npm run bench:reachability`: reachability answers on a 1,000,000-edge
 * callgraph (test/helpers/reach-big-graph.ts: layered, entry points, mostly
 * static edges with some runtime, heuristic, dynamic and unresolved ones),
 * against a baseline measured in the same run:
 *  1. the graph index (src/signals/reach-index.ts): build time and memory,
 *     one symbol and batches of 100 symbols, p50/p99;
 *  2. the baseline: a plain BFS over an adjacency list (array of arrays, a
 *     Map from symbol to nodes), from the entry points for every query, over
 *     certain edges and then all edges, stopping at the target;
 *  3. the real service: a child server on 127.0.0.1 (SQLite), the graph
 *     uploaded, GET /signals/reachability for 1 and for 100 symbols (the
 *     first, cold query, which builds the index, reported apart).
 * Both answer the same states and path lengths (checked; mismatches printed).
 *
 * Env: BENCH_EDGES (default 1,000,000), BENCH_QUERIES (default 2000).
 */
import { spawnJson, stopChild, type Child } from './child.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../src/core/config.js';
import { issueToken } from '../src/authz/tokens.js';
import { openIndexServices } from '../src/app/index-services.js';
import { buildReachIndex, type ReachIndex } from '../src/signals/reach-index.js';
import { classifyEdge, CERTAIN_EDGES } from '../src/signals/reach-edge-kind.js';
import { bigGraph, byteChunks, REACH_TEST_LIMITS } from '../test/helpers/reach-graphs.js';
import { send, uploadCallgraph } from '../test/helpers/signals-load.js';

const EDGES = Number(process.env['BENCH_EDGES'] ?? 1_000_000);
const QUERIES = Number(process.env['BENCH_QUERIES'] ?? 2000);
const BATCH = 100;
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TENANT = 'bench';

const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const ms = (x: number): string => (x < 1 ? `${(x * 1000).toFixed(1)} µs` : `${x.toFixed(x < 10 ? 2 : 0)} ms`);

/** The baseline: what one writes without an index. */
class PlainBfs {
  readonly adj: number[][] = [];
  readonly certain: boolean[][] = [];
  readonly bySymbol = new Map<string, number[]>();
  readonly entries: number[] = [];

  static async build(chunks: readonly Buffer[]): Promise<PlainBfs> {
    const g = new PlainBfs();
    const ids = new Map<string, number>();
    const text = byteChunks(chunks, 1 << 20);
    let rest = '';
    const line = (l: string): void => {
      if (l === '') return;
      const r = JSON.parse(l) as {
        kind: string;
        id: string;
        symbol?: string;
        entry: boolean;
        from: string;
        to: string;
        extra?: Record<string, unknown>;
      };
      if (r.kind === 'node') {
        const i = g.adj.length;
        ids.set(r.id, i);
        g.adj.push([]);
        g.certain.push([]);
        if (r.entry) g.entries.push(i);
        const key = r.symbol ?? r.id;
        const list = g.bySymbol.get(key);
        if (list) list.push(i);
        else g.bySymbol.set(key, [i]);
      } else {
        const f = ids.get(r.from)!;
        g.adj[f]!.push(ids.get(r.to)!);
        g.certain[f]!.push(CERTAIN_EDGES.has(classifyEdge(r.extra)));
      }
    };
    for await (const c of text) {
      const lines = (rest + Buffer.from(c).toString('utf8')).split('\n');
      rest = lines.pop()!;
      lines.forEach(line);
    }
    line(rest);
    return g;
  }

  /** BFS from the entries until a node of the symbol: its distance, or -1. */
  private bfs(targets: ReadonlySet<number>, certainOnly: boolean): number {
    const dist = new Int32Array(this.adj.length).fill(-1);
    const queue: number[] = [];
    for (const e of this.entries) {
      if (dist[e] !== -1) continue;
      if (targets.has(e)) return 0;
      dist[e] = 0;
      queue.push(e);
    }
    for (let h = 0; h < queue.length; h++) {
      const u = queue[h]!;
      const d = dist[u]! + 1;
      const out = this.adj[u]!;
      const cert = this.certain[u]!;
      for (let k = 0; k < out.length; k++) {
        if (certainOnly && !cert[k]) continue;
        const v = out[k]!;
        if (dist[v] !== -1) continue;
        if (targets.has(v)) return d;
        dist[v] = d;
        queue.push(v);
      }
    }
    return -1;
  }

  query(symbol: string): { state: string; distance: number } {
    const nodes = this.bySymbol.get(symbol);
    if (nodes === undefined) return { state: 'absent', distance: -1 };
    const targets = new Set(nodes);
    const c = this.bfs(targets, true);
    if (c >= 0) return { state: 'reachable', distance: c };
    const a = this.bfs(targets, false);
    return a >= 0 ? { state: 'uncertain', distance: a } : { state: 'unreachable', distance: -1 };
  }
}

function timeEach<T>(items: readonly T[], run: (item: T) => void): number[] {
  return items.map((item) => {
    const t = now();
    run(item);
    return now() - t;
  });
}

interface ServiceNumbers {
  cold?: number;
  one?: number[];
  hundred?: number[];
  todo?: string;
}

async function throughService(
  chunks: readonly Buffer[],
  singles: readonly string[],
  batches: readonly string[][],
): Promise<ServiceNumbers> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-bench-reach-'));
  let server: Child | undefined;
  try {
    const s = await openIndexServices(loadConfig({ env: {}, dataDir }));
    let token: string;
    try {
      await s.repos.tenants.add(TENANT, null, new Date());
      token = (await issueToken(s.repos, { principal: 'signals-service', tenants: [TENANT] }, s)).token;
    } finally {
      await s.close();
    }
    server = await spawnJson([CLI, 'serve', '--data-dir', dataDir, '--port', '0', '--json', '--log-level', 'warn']);
    const { graphId } = await uploadCallgraph(server.url, token, TENANT, chunks, 'pkg:maven/com.example/big@1.0.0');
    const get = async (symbols: readonly string[]): Promise<number> => {
      const q = new URLSearchParams({ tenant: TENANT, callgraph_id: graphId });
      for (const sym of symbols) q.append('symbol', sym);
      const t = now();
      const reply = await send(server!.url, 'GET', `/signals/reachability?${q}`, { token });
      const took = now() - t;
      if (reply.status !== 200) throw new Error(`GET /signals/reachability: ${reply.status} ${reply.text.slice(0, 300)}`);
      return took;
    };
    let cold: number;
    try {
      cold = await get(singles.slice(0, 1));
    } catch (e) {
      // TODO(bench): the service helper's ReachabilityService was not in main when this bench was written;
      // once it is, this branch is not taken and the service rows fill in.
      return { todo: `service not measured: ${(e as Error).message}` };
    }
    const one: number[] = [];
    for (const sym of singles.slice(1, 501)) one.push(await get([sym]));
    const hundred: number[] = [];
    for (const b of batches.slice(0, 30)) hundred.push(await get(b));
    return { cold, one, hundred };
  } finally {
    if (server) await stopChild(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.error(`bench:reachability: callgraph of ${EDGES} edges, ${QUERIES} single queries, batches of ${BATCH}`);
const graph = bigGraph({ edges: EDGES, seed: 1 });
const chunks = [...graph.chunks()];
const mib = chunks.reduce((n, c) => n + c.length, 0) / 1048576;

// A full collection before and after the build, so the heap difference is what the index holds.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
gc();
const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
let t0 = now();
const index: ReachIndex = await buildReachIndex(byteChunks(chunks, 1 << 20), REACH_TEST_LIMITS, 'bench graph');
const buildMs = now() - t0;
gc();
const heapHeld = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore;

t0 = now();
const plain = await PlainBfs.build(chunks);
const plainBuildMs = now() - t0;

const singles = graph.sample(QUERIES, 42);
const batches = Array.from({ length: 200 }, (_, i) => graph.sample(BATCH, 1000 + i));

// Same answers: state and path length.
let mismatches = 0;
for (const sym of singles) {
  const ours = index.staticEvidence(sym);
  const base = plain.query(sym);
  const want = graph.expected(sym);
  const dist = ours.path.length - 1;
  if (ours.state !== base.state || ours.state !== want.state || (base.distance >= 0 && dist !== base.distance)) {
    if (++mismatches <= 5)
      console.error(
        `mismatch ${sym}: index ${ours.state}/${dist}, bfs ${base.state}/${base.distance}, built ${want.state}/${want.distance}`,
      );
  }
}

timeEach(singles.slice(0, 200), (s) => index.staticEvidence(s)); // warm-up
const oursOne = timeEach(singles, (s) => index.staticEvidence(s));
const oursHundred = timeEach(batches, (b) => b.forEach((s) => index.staticEvidence(s)));
const baseOne = timeEach(singles.slice(0, 1000), (s) => plain.query(s));
const baseHundred = timeEach(batches.slice(0, 5), (b) => b.forEach((s) => plain.query(s)));

const service = await throughService(chunks, singles, batches);

const row = (measure: string, result: string, target: string, baseline: string, ratio: string): void =>
  console.log(`| ${measure} | ${result} | ${target} | ${baseline} | ${ratio} |`);
const ratio = (b: number, o: number): string => `${(b / o).toFixed(0)}×`;
console.log(
  `\nGraph: ${graph.nodeCount.toLocaleString('en')} nodes, ${graph.edgeCount.toLocaleString('en')} edges, ${graph.entryCount} entries, ${mib.toFixed(0)} MiB NDJSON; answers: ${mismatches} mismatches over ${singles.length} symbols\n`,
);
row('measure', 'ours', 'target', 'baseline (plain BFS, same run)', 'baseline / ours');
row('---', '---:', '---:', '---:', '---:');
row(
  'index build (parse + CSR + 2 BFS passes)',
  `${(buildMs / 1000).toFixed(2)} s, ${(index.bytes / 1048576).toFixed(0)} MiB (\`bytes\`), ${(heapHeld / 1048576).toFixed(0)} MiB measured heap`,
  '—',
  `adjacency lists: ${(plainBuildMs / 1000).toFixed(2)} s`,
  '—',
);
for (const [p, name] of [
  [0.5, 'p50'],
  [0.99, 'p99'],
] as const) {
  row(
    `index, 1 symbol, ${name} (${oursOne.length} symbols)`,
    ms(pct(oursOne, p)),
    '≤ 100 ms',
    ms(pct(baseOne, p)),
    ratio(pct(baseOne, p), pct(oursOne, p)),
  );
}
for (const [p, name] of [
  [0.5, 'p50'],
  [0.99, 'p99'],
] as const) {
  row(
    `index, ${BATCH} symbols, ${name}`,
    ms(pct(oursHundred, p)),
    '≤ 1 s',
    ms(pct(baseHundred, p)),
    ratio(pct(baseHundred, p), pct(oursHundred, p)),
  );
}
if (service.todo !== undefined) {
  row('service GET /signals/reachability', `TODO: ${service.todo}`, '≤ 100 ms / ≤ 1 s', '—', '—');
} else {
  row('service, first (cold) query: index built from the stored blob', ms(service.cold!), '—', '—', '—');
  for (const [p, name] of [
    [0.5, 'p50'],
    [0.99, 'p99'],
  ] as const) {
    row(
      `service GET, 1 symbol, ${name} (${service.one!.length} queries)`,
      ms(pct(service.one!, p)),
      '≤ 100 ms',
      ms(pct(baseOne, p)),
      ratio(pct(baseOne, p), pct(service.one!, p)),
    );
    row(
      `service GET, ${BATCH} symbols, ${name} (${service.hundred!.length} queries)`,
      ms(pct(service.hundred!, p)),
      '≤ 1 s',
      ms(pct(baseHundred, p)),
      ratio(pct(baseHundred, p), pct(service.hundred!, p)),
    );
  }
}
if (mismatches > 0) process.exitCode = 1;
