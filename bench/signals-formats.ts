/**
 * Measures the Signals input formats on one core: parse + normalise of a
 * generated 1M-edge NDJSON callgraph (and the same graph as a
 * stella.callgraph.v1 document), and readFactBatch on 100k facts against
 * plain JSON.parse of the same lines. `node dist/bench/signals-formats.js [edges] [facts]`.
 */
import { parseCallgraph } from '../src/signals/callgraph-input.js';
import { normalizedDigest } from '../src/signals/callgraph-normalize.js';
import { readFactBatch } from '../src/signals/facts-input.js';

const edgesWanted = Number(process.argv[2] ?? 1_000_000);
const factsWanted = Number(process.argv[3] ?? 100_000);

function* chunked(buf: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
async function* source(buf: Buffer): AsyncGenerator<Buffer> {
  yield* chunked(buf);
}

function graphNdjson(edges: number): Buffer {
  const nodes = Math.max(2, Math.floor(edges / 4));
  const lines: string[] = [];
  for (let i = 0; i < nodes; i++)
    lines.push(JSON.stringify({ kind: 'node', id: `n${i}`, symbol: `sym:java:com.acme.C${i % 997}.m${i}()`, entry: i % 1000 === 0 }));
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) >>> 8) % nodes;
  for (let i = 0; i < edges; i++) lines.push(JSON.stringify({ kind: 'edge', from: `n${rnd()}`, to: `n${rnd()}` }));
  return Buffer.from(`${lines.join('\n')}\n`);
}

function graphStella(edges: number): Buffer {
  const nodes = Math.max(2, Math.floor(edges / 4));
  const parts: string[] = ['{"schema":"stella.callgraph.v1","scanKey":"bench","language":"java","nodes":['];
  for (let i = 0; i < nodes; i++)
    parts.push(
      `${i ? ',' : ''}${JSON.stringify({ id: `n${i}`, name: `sym:java:com.acme.C${i % 997}.m${i}()`, kind: 'method', isEntrypointCandidate: i % 1000 === 0 })}`,
    );
  parts.push('],"edges":[');
  let seed = 1;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) >>> 8) % nodes;
  for (let i = 0; i < edges; i++)
    parts.push(`${i ? ',' : ''}${JSON.stringify({ sourceId: `n${rnd()}`, targetId: `n${rnd()}`, kind: 'static' })}`);
  parts.push('],"entrypoints":[]}');
  return Buffer.from(parts.join(''));
}

/** User + system CPU of this process: on a shared machine, wall time mostly measures the neighbours. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const limits = { maxBytes: 2 ** 31, maxLineBytes: 1 << 20, maxNodes: 10_000_000, maxEdges: 10_000_000 };

async function benchGraph(label: string, body: Buffer, form: 'ndjson' | 'json'): Promise<void> {
  const t0 = performance.now();
  const c0 = cpuMs();
  const graph = await parseCallgraph(source(body), form, limits);
  const t1 = performance.now();
  const c1 = cpuMs();
  const digest = normalizedDigest(graph);
  const t2 = performance.now();
  const c2 = cpuMs();
  console.log(
    `${label}: ${graph.nodes.length} nodes, ${graph.edges.length} edges, ${(body.length / 1e6).toFixed(1)} MB: parse ${(t1 - t0).toFixed(0)} ms + normalise ${(t2 - t1).toFixed(0)} ms = ${(t2 - t0).toFixed(0)} ms wall; CPU ${(c1 - c0).toFixed(0)} + ${(c2 - c1).toFixed(0)} = ${(c2 - c0).toFixed(0)} ms (${digest.slice(0, 19)}…)`,
  );
}

function factsBody(n: number, distinct: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        symbolId: `sym:java:com.acme.C${(i % distinct) % 997}.m${i % distinct}()`,
        hitCount: 1 + (i % 7),
        observedAt: new Date(1766138400000 + i * 10).toISOString(),
        codeId: `code-${i % 31}`,
        loaderBase: '0x7f0000000000',
        processId: 4242,
        processName: 'java',
        containerId: 'c0ffee',
      }),
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function benchFacts(n: number, distinct: number): Promise<void> {
  const body = factsBody(n, distinct);
  const lines = body
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  let best = { read: Infinity, parse: Infinity };
  for (let round = 0; round < 5; round++) {
    const t0 = cpuMs();
    const summary = await readFactBatch(source(body), 'ndjson', { maxBytes: 2 ** 31, maxLineBytes: 64 * 1024, maxFacts: 10_000_000 });
    const t1 = cpuMs();
    let keys = 0;
    for (const l of lines) keys += Object.keys(JSON.parse(l) as object).length;
    const t2 = cpuMs();
    if (summary.factCount !== n || keys === 0) throw new Error('bench: wrong count');
    best = { read: Math.min(best.read, t1 - t0), parse: Math.min(best.parse, t2 - t1) };
  }
  const readRate = n / (best.read / 1000);
  const parseRate = n / (best.parse / 1000);
  console.log(
    `facts (${distinct} distinct symbols, CPU time, best of 5): ${n} facts, ${(body.length / 1e6).toFixed(1)} MB: readFactBatch ${best.read.toFixed(0)} ms = ${Math.round(readRate)} facts/s; JSON.parse ${best.parse.toFixed(0)} ms = ${Math.round(parseRate)} facts/s; ratio ${((readRate / parseRate) * 100).toFixed(0)}%`,
  );
}

await benchGraph('ndjson callgraph', graphNdjson(edgesWanted), 'ndjson');
await benchGraph('stella.callgraph.v1', graphStella(edgesWanted), 'json');
await benchFacts(factsWanted, factsWanted);
await benchFacts(factsWanted, 1000);
