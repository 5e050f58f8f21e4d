/**
 * `npm run bench:signals`: the Signals paths of the real server (a child
 * process on 127.0.0.1), on SQLite and on PostgreSQL when it answers, each
 * against a baseline measured in the same run on this machine:
 *  1. runtime-fact ingest over HTTP, batches of 10,000 facts from 4
 *     concurrent agents, each batch durable, attested and logged — against
 *     JSON.parse of the same lines on one core;
 *  2. upload of a 1,000,000-edge callgraph, stored and signed — against
 *     sha256 of the same bytes;
 *  3. GET /signals/runtime-facts/ndjson with include_provenance over what (1)
 *     stored — against JSON.parse of the streamed lines.
 *
 * Env: BENCH_SECONDS (ingest duration, default 10), BENCH_AGENTS (default 4),
 * ATTESTRY_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { dropBenchSchema, spawnJson, stopChild, type Child } from './child.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/core/config.js';
import { issueToken } from '../src/authz/tokens.js';
import { openIndexServices } from '../src/app/index-services.js';
import { callgraphLines, chunked, factBatch, factsPath, send, uploadCallgraph } from '../test/helpers/signals-load.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 4);
const FACTS_PER_BATCH = 10_000;
const EDGES = 1_000_000;
const NODES = 100_000;
const PG_URL = process.env['ATTESTRY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const TENANT = 'bench';

function spawnServer(dataDir: string, env: NodeJS.ProcessEnv): Promise<Child> {
  return spawnJson([CLI, 'serve', '--data-dir', dataDir, '--port', '0', '--json', '--log-level', 'warn'], env);
}

/** Peak RSS of a child so far (VmHWM), in MiB. */
function peakRssMiB(c: Child): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${c.proc.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Calls `fn` repeatedly for about `ms` milliseconds; returns units per second. */
function rate(ms: number, units: number, fn: () => void): number {
  fn(); // warm-up
  let rounds = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    fn();
    rounds += 1;
    elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  }
  return (rounds * units) / (elapsed / 1000);
}

function parseRate(lines: readonly string[]): number {
  let sink = 0;
  const r = rate(2000, lines.length, () => {
    for (const l of lines) sink += (JSON.parse(l) as object) === null ? 1 : 0;
  });
  if (sink < 0) console.error(sink);
  return r;
}

interface Measured {
  ingestFactsPerSec: number;
  ingestBatches: number;
  ingestFailures: number;
  attested: boolean;
  logged: boolean;
  callgraphSeconds: number;
  streamFactsPerSec: number;
  streamMiBPerSec: number;
  streamSample: string[];
  serverPeakRssMiB: number;
}

async function ingestLoad(
  url: string,
  token: string,
  graphId: string,
): Promise<{ factsPerSec: number; batches: number; failures: number; first: unknown }> {
  const rest = factBatch(FACTS_PER_BATCH, 'base').subarray(factBatch(1, 'base').length);
  let facts = 0;
  let batches = 0;
  let failures = 0;
  let first: unknown;
  const deadline = Date.now() + SECONDS * 1000;
  const agent = async (w: number): Promise<void> => {
    for (let i = 0; Date.now() < deadline; i++) {
      // A salted first line: every batch is new content, as from a real agent.
      const body = [factBatch(1, `agent-${w}-${i}-${Date.now()}`), rest];
      const reply = await send(url, 'POST', factsPath(TENANT, graphId), {
        token,
        headers: { 'content-type': 'application/x-ndjson' },
        body,
      });
      if (reply.status !== 201) {
        failures += 1;
        if (failures <= 3) console.error(`ingest: ${reply.status} ${reply.text.slice(0, 300)}`);
        continue;
      }
      first ??= reply.json;
      facts += (reply.json as { factCount: number }).factCount;
      batches += 1;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: AGENTS }, (_, w) => agent(w)));
  return { factsPerSec: (facts / (Date.now() - started)) * 1000, batches, failures, first };
}

/** Streams the graph's facts with provenance, counting lines; keeps the first few thousand for the parse baseline. */
function streamAll(url: string, token: string, graphId: string): Promise<{ lines: number; bytes: number; ms: number; sample: string[] }> {
  const path = `/signals/runtime-facts/ndjson?tenant=${TENANT}&callgraph_id=${graphId}&include_provenance=true`;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = httpRequest(new URL(path, url), { headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream: ${res.statusCode}`));
      let lines = 0;
      let bytes = 0;
      let head = '';
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines += 1;
        if (head.length < 2 * 1024 * 1024) head += c.toString('utf8');
      });
      res.on('error', reject);
      res.on('end', () => resolve({ lines, bytes, ms: Date.now() - started, sample: head.split('\n').slice(0, -1) }));
      return undefined;
    });
    req.on('error', reject);
    req.end();
  });
}

async function benchBackend(label: string, env: NodeJS.ProcessEnv, callgraphBody: Buffer[]): Promise<Measured> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-bench-signals-'));
  try {
    const s = await openIndexServices(loadConfig({ env, dataDir }));
    let token: string;
    try {
      await s.repos.tenants.add(TENANT, null, new Date());
      token = (await issueToken(s.repos, { principal: 'signals-service', tenants: [TENANT] }, s)).token;
    } finally {
      await s.close();
    }
    const server = await spawnServer(dataDir, env);
    try {
      const cgStarted = process.hrtime.bigint();
      await uploadCallgraph(server.url, token, TENANT, callgraphBody, 'pkg:maven/com.example/big@1.0.0');
      const callgraphSeconds = Number(process.hrtime.bigint() - cgStarted) / 1e9;

      const { graphId } = await uploadCallgraph(server.url, token, TENANT, Buffer.from([...callgraphLines(1000, 3000)].join('')));
      const ingest = await ingestLoad(server.url, token, graphId);
      const first = (ingest.first ?? {}) as { signerKeyId?: unknown; rekorUuid?: unknown; skipReason?: unknown };
      const streamed = await streamAll(server.url, token, graphId);
      const serverPeakRssMiB = peakRssMiB(server);
      console.error(
        `${label}: callgraph ${callgraphSeconds.toFixed(2)} s; ingest ${ingest.batches} batches (${ingest.failures} failed); ` +
          `stream ${streamed.lines} lines, ${(streamed.bytes / 1048576).toFixed(0)} MiB in ${streamed.ms} ms; server peak RSS ${serverPeakRssMiB.toFixed(0)} MiB` +
          (first.skipReason ? `; skipReason: ${String(first.skipReason)}` : ''),
      );
      return {
        ingestFactsPerSec: ingest.factsPerSec,
        ingestBatches: ingest.batches,
        ingestFailures: ingest.failures,
        attested: typeof first.signerKeyId === 'string',
        logged: typeof first.rekorUuid === 'string',
        callgraphSeconds,
        streamFactsPerSec: streamed.lines / (streamed.ms / 1000),
        streamMiBPerSec: streamed.bytes / 1048576 / (streamed.ms / 1000),
        streamSample: streamed.sample.slice(0, 20_000),
        serverPeakRssMiB,
      };
    } finally {
      await stopChild(server);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number): string => n.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

console.error(
  `bench:signals: ingest ${SECONDS}s with ${AGENTS} agents × ${FACTS_PER_BATCH}-fact batches; callgraph of ${EDGES} edges; server in a child process`,
);
// Baselines, on this core, before any server runs.
const batchLines = factBatch(FACTS_PER_BATCH, 'baseline').toString('utf8').split('\n').slice(0, -1);
const parseFactsPerSec = parseRate(batchLines);
const callgraphBody = [...chunked(callgraphLines(NODES, EDGES))];
const callgraphBytes = callgraphBody.reduce((n, c) => n + c.length, 0);
const hashSeconds =
  1 /
  rate(2000, 1, () => {
    const h = createHash('sha256');
    for (const c of callgraphBody) h.update(c);
    h.digest();
  });

const results: { label: string; m: Measured }[] = [{ label: 'SQLite + fs', m: await benchBackend('sqlite', {}, callgraphBody) }];
const schema = `bench_signals_${process.pid}`;
try {
  results.push({
    label: 'PostgreSQL + fs',
    m: await benchBackend('postgres', { ATTESTRY_DATABASE_URL: PG_URL, ATTESTRY__Storage__Database__Schema: schema }, callgraphBody),
  });
} catch (e) {
  console.error(`postgres run skipped: ${(e as Error).message}`);
} finally {
  await dropBenchSchema(PG_URL, schema);
}
const streamParseFactsPerSec = parseRate(results[0]!.m.streamSample);

console.log('| measure | backend | result | goal | baseline (same run) | vs baseline |');
console.log('|---|---|---:|---:|---:|---:|');
for (const { label, m } of results) {
  const flags = `${m.attested ? 'attested' : 'NOT attested'}, ${m.logged ? 'logged' : 'NOT logged'}`;
  console.log(
    `| ingest, ${AGENTS} agents × ${fmt(FACTS_PER_BATCH)}-fact batches (${flags}; ${m.ingestBatches} batches, ${m.ingestFailures} failed) | ${label} | ` +
      `${fmt(m.ingestFactsPerSec)} facts/s | ≥ 200,000 and ≥ 40% | JSON.parse, 1 core: ${fmt(parseFactsPerSec)} facts/s | ${((100 * m.ingestFactsPerSec) / parseFactsPerSec).toFixed(0)}% |`,
  );
  console.log(
    `| callgraph upload, ${fmt(EDGES)} edges + ${fmt(NODES)} nodes (${(callgraphBytes / 1048576).toFixed(0)} MiB), stored + signed | ${label} | ` +
      `${m.callgraphSeconds.toFixed(2)} s | ≤ 5 s | sha256 of the bytes: ${hashSeconds.toFixed(3)} s | ${(m.callgraphSeconds / hashSeconds).toFixed(1)}× |`,
  );
  console.log(
    `| NDJSON stream with provenance (${m.streamMiBPerSec.toFixed(0)} MiB/s, server peak RSS ${m.serverPeakRssMiB.toFixed(0)} MiB) | ${label} | ` +
      `${fmt(m.streamFactsPerSec)} facts/s | ≥ 500,000 | JSON.parse of the lines: ${fmt(streamParseFactsPerSec)} facts/s | ${((100 * m.streamFactsPerSec) / streamParseFactsPerSec).toFixed(0)}% |`,
  );
}
