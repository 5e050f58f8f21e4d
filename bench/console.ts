/**
 * `npm run bench:console`: what the web console asks of the server, against
 * the real service (a child process on 127.0.0.1, SQLite + filesystem),
 * beside baselines measured in the same run.
 *
 *   - Throughput (autocannon): the console's page and its 43 KB script from
 *     /console/ (with the CSP headers), the cookie-authenticated session read,
 *     the one-box search and the log's growth, each against a bare Fastify GET.
 *   - The verify button (POST /console/api/verify, a batch's whole chain:
 *     facts streamed and hashed, two signatures, two log inclusion proofs)
 *     on a small batch (100 facts) and a large one (BENCH_LARGE_FACTS,
 *     default 300,000 facts ≈ 36 MB), against `sha256sum` of the same facts
 *     (the floor for anything that checks the blob) and a bare round trip.
 *
 * Env: BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 32), BENCH_LARGE_FACTS.
 */
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueToken } from '../src/authz/tokens.js';
import { openIndexServices } from '../src/app/index-services.js';
import { loadConfig } from '../src/core/config.js';
import { callgraphLines, chunked, factBatch, factsPath, send, uploadCallgraph } from '../test/helpers/signals-load.js';
import { spawnJson, stopChild } from './child.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const LARGE_FACTS = Number(process.env['BENCH_LARGE_FACTS'] ?? 300_000);
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-fastify.js', import.meta.url));
const ASSETS = fileURLToPath(new URL('../console/assets', import.meta.url));
const TENANT = 'bench';

interface Result {
  rps: number;
  p99: number;
  non2xx: number;
}

async function load(url: string, headers: Record<string, string> = {}): Promise<Result> {
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: SECONDS });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx };
}

/** Median of `rounds` sequential calls, in milliseconds. */
async function median(rounds: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const fmt = (n: number): string => n.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const dataDir = mkdtempSync(join(tmpdir(), 'attestry-bench-console-'));
try {
  const s = await openIndexServices(loadConfig({ env: {}, dataDir }));
  await s.repos.tenants.add(TENANT, null, new Date());
  const sig = (await issueToken(s.repos, { principal: 'signals-service', tenants: [TENANT] }, s)).token;
  const aud = (await issueToken(s.repos, { principal: 'audit-service', tenants: [TENANT] }, s)).token;
  await s.close();

  console.error(`bench:console: ${SECONDS}s per run, ${CONNECTIONS} connections; large batch ${fmt(LARGE_FACTS)} facts`);
  const bare = await spawnJson([BARE]);
  const bareGet = await load(`${bare.url}/bare/01JBENCH0000000000000000000`);
  const bareLatency = await median(50, async () => {
    await send(bare.url, 'GET', '/bare/x');
  });
  await stopChild(bare);

  const server = await spawnJson([CLI, 'serve', '--data-dir', dataDir, '--port', '0', '--json', '--log-level', 'warn']);
  try {
    const { graphId } = await uploadCallgraph(server.url, sig, TENANT, chunked(callgraphLines(1000, 3000)));
    const batch = async (facts: Buffer): Promise<string> => {
      const r = await send(server.url, 'POST', factsPath(TENANT, graphId), {
        token: sig,
        headers: { 'content-type': 'application/x-ndjson' },
        body: facts,
      });
      if (r.status !== 201) throw new Error(`ingest: ${r.status} ${r.text.slice(0, 300)}`);
      return (r.json as { batchId: string }).batchId;
    };
    const smallFacts = factBatch(100, 'small');
    const largeFacts = factBatch(LARGE_FACTS, 'large');
    const small = await batch(smallFacts);
    const large = await batch(largeFacts);
    const login = await send(server.url, 'POST', '/console/api/login', {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ token: aud })),
    });
    const cookie = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
    const csrf = (login.json as { csrfToken: string }).csrfToken;
    const script = readdirSync(ASSETS).find((f) => /^index-.*\.js$/.test(f))!;

    const rows: [string, Result][] = [
      ['GET /console/ (index.html, CSP headers)', await load(`${server.url}/console/`)],
      [`GET /console/assets/${script.replace(/-.*/, '-*.js')} (46 KB, identity)`, await load(`${server.url}/console/assets/${script}`)],
      [
        `GET /console/assets/${script.replace(/-.*/, '-*.js')} (15 KB brotli, as browsers ask)`,
        await load(`${server.url}/console/assets/${script}`, { 'accept-encoding': 'gzip, deflate, br, zstd' }),
      ],
      ['GET /console/api/session (cookie auth)', await load(`${server.url}/console/api/session`, { cookie })],
      [
        'GET /console/api/search?q=<batch id> (3 kinds looked up)',
        await load(`${server.url}/console/api/search?q=${small}`, { cookie, 'x-csrf-token': csrf }),
      ],
      ['GET /console/api/log/growth (60 samples)', await load(`${server.url}/console/api/log/growth`, { cookie, 'x-csrf-token': csrf })],
    ];

    const verify = (id: string) => async (): Promise<void> => {
      const r = await send(server.url, 'POST', '/console/api/verify', {
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ type: 'batch', id })),
      });
      if (r.status !== 200 || (r.json as { ok: boolean }).ok !== true) throw new Error(`verify ${id}: ${r.status} ${r.text.slice(0, 300)}`);
    };
    const verifySmall = await median(50, verify(small));
    const verifyLarge = await median(5, verify(large));
    const file = join(dataDir, 'large.ndjson');
    writeFileSync(file, largeFacts);
    const sum = await median(5, async () => {
      const r = spawnSync('sha256sum', [file]);
      if (r.status !== 0) throw new Error('sha256sum failed');
    });

    console.log('| console request | req/s | p99 ms | vs bare Fastify GET |');
    console.log('|---|---:|---:|---:|');
    console.log(`| bare Fastify GET | ${fmt(bareGet.rps)} | ${bareGet.p99} | 1.00 |`);
    for (const [name, r] of rows) {
      // A refused request is cheap: a row of them would measure the wrong thing.
      if (r.non2xx > 0) throw new Error(`${name}: ${r.non2xx} non-2xx replies`);
      console.log(`| ${name} | ${fmt(r.rps)} | ${r.p99} | ${(r.rps / bareGet.rps).toFixed(2)} |`);
    }
    console.log('');
    console.log('| verify button (POST /console/api/verify, batch chain) | median ms | baseline | ratio |');
    console.log('|---|---:|---|---:|');
    console.log(
      `| 100 facts (${fmt(smallFacts.length)} B) | ${verifySmall.toFixed(1)} | bare round trip ${bareLatency.toFixed(2)} ms | ${(verifySmall / bareLatency).toFixed(1)} |`,
    );
    console.log(
      `| ${fmt(LARGE_FACTS)} facts (${(largeFacts.length / 1e6).toFixed(1)} MB) | ${verifyLarge.toFixed(0)} | sha256sum of the facts ${sum.toFixed(0)} ms | ${(verifyLarge / sum).toFixed(2)} |`,
    );
  } finally {
    await stopChild(server);
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
