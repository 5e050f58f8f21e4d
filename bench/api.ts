/**
 * `npm run bench:api`: authenticated, verified, durably stored attestation
 * writes (POST /api/v1/attestations) and GET by id against the real server
 * (a child process on 127.0.0.1), on SQLite and on PostgreSQL, driven by
 * autocannon; the baseline is a bare Fastify route measured in the same run.
 *
 * Env: BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 32),
 * ATTESTRY_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/core/config.js';
import { issueToken } from '../src/authz/tokens.js';
import { trustPublicKey } from '../src/evidence/trust.js';
import { generateKeyPair, type KeyAlgorithm } from '../src/crypto/keys.js';
import { signEnvelope } from '../src/crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE } from '../src/crypto/intoto.js';
import { createSigner } from '../src/crypto/signer.js';
import { openIndexServices } from '../src/app/index-services.js';
import { dropBenchSchema, spawnJson, stopChild } from './child.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const PG_URL = process.env['ATTESTRY_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-fastify.js', import.meta.url));

/** Pre-signed, all-distinct envelopes so every POST is a real new write. */
function makeBodies(n: number, signer: ReturnType<typeof createSigner>): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const statement = buildStatement(
      [{ name: `artifact-${i}`, digest: { sha256: i.toString(16).padStart(64, '0') } }],
      'https://stella.ops/attestation/runtime-facts/v1',
      { batch: i, facts: 128 },
    );
    bodies.push(JSON.stringify(signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), [signer])));
  }
  return bodies;
}

interface Result {
  rps: number;
  p99: number;
  non2xx: number;
  total: number;
}

async function load(opts: autocannon.Options, bodies?: string[], paths?: string[]): Promise<Result> {
  let i = 0;
  const instance = autocannon({
    ...opts,
    connections: CONNECTIONS,
    duration: SECONDS,
    ...(bodies || paths
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => {
                const k = i++;
                if (bodies) req.body = bodies[k % bodies.length] as string;
                if (paths) req.path = paths[k % paths.length] as string;
                return req;
              },
            },
          ],
        }
      : {}),
  });
  const r = await instance;
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, total: r.requests.total };
}

async function prepareIndex(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  algorithm: KeyAlgorithm,
): Promise<{ token: string; signer: ReturnType<typeof createSigner> }> {
  const s = await openIndexServices(loadConfig({ env, dataDir }));
  try {
    await s.repos.tenants.add('bench', null, new Date());
    const pair = generateKeyPair(algorithm);
    await trustPublicKey(s.repos.trustedKeys, 'bench', 'bench-key', pair.publicKey, new Date());
    const { token } = await issueToken(s.repos, { principal: 'signals-service', tenants: ['bench'] }, s);
    return { token, signer: createSigner(pair.privateKey, 'bench-key') };
  } finally {
    await s.close();
  }
}

async function benchAttestry(
  label: string,
  env: NodeJS.ProcessEnv,
  bodies: (signer: ReturnType<typeof createSigner>) => string[],
  algorithm: KeyAlgorithm = 'ed25519',
): Promise<{ post: Result; get: Result }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-bench-'));
  try {
    const { token, signer } = await prepareIndex(dataDir, env, algorithm);
    const posts = bodies(signer);
    const server = await spawnJson([CLI, 'serve', '--data-dir', dataDir, '--port', '0', '--json', '--log-level', 'warn'], env);
    try {
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      await load({ url: `${server.url}/api/v1/attestations`, method: 'POST', headers, duration: 2 }, posts.slice(-5000)); // warm-up
      const post = await load({ url: `${server.url}/api/v1/attestations`, method: 'POST', headers }, posts);
      const s = await openIndexServices(loadConfig({ env, dataDir }));
      const ids = (await s.index.db.selectFrom('evidence').select('id').limit(20000).execute()).map((r) => `/api/v1/attestations/${r.id}`);
      await s.close();
      const get = await load({ url: server.url, method: 'GET', headers: { authorization: `Bearer ${token}` } }, undefined, ids);
      console.error(`${label}: POST ${post.total} requests (${post.non2xx} non-2xx), GET ${get.total} (${get.non2xx} non-2xx)`);
      return { post, get };
    } finally {
      await stopChild(server);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (n: number): string => n.toFixed(0).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

console.error(`bench:api: ${SECONDS}s per run, ${CONNECTIONS} connections, autocannon in this process, server in a child process`);
const bare = await spawnJson([BARE]);
let bareResult: { post: Result; get: Result };
{
  const sample = JSON.stringify(
    signEnvelope(INTOTO_PAYLOAD_TYPE, Buffer.from('{}'), [createSigner(generateKeyPair('ed25519').privateKey, 'k')]),
  );
  const post = await load({ url: `${bare.url}/bare`, method: 'POST', body: sample, headers: { 'content-type': 'application/json' } });
  const get = await load({ url: `${bare.url}/bare/01JBENCH0000000000000000000`, method: 'GET' });
  bareResult = { post, get };
  await stopChild(bare);
}
// Enough distinct bodies for the run at a generous rate; reused bodies would hit the idempotent path.
const needed = Math.max(20000, Math.ceil(bareResult.post.rps * SECONDS * 0.6));
const bodiesFor = (signer: ReturnType<typeof createSigner>): string[] => makeBodies(needed, signer);
const sqlite = await benchAttestry('sqlite', {}, bodiesFor);
// Seed 000's default signing algorithm; its signatures verify about twice as fast as Ed25519 here.
const sqliteP256 = await benchAttestry('sqlite ecdsa-p256', {}, bodiesFor, 'ecdsa-p256');

const schema = `bench_${process.pid}`;
let postgres: { post: Result; get: Result } | undefined;
try {
  postgres = await benchAttestry('postgres', { ATTESTRY_DATABASE_URL: PG_URL, ATTESTRY__Storage__Database__Schema: schema }, bodiesFor);
} catch (e) {
  console.error(`postgres run skipped: ${(e as Error).message}`);
} finally {
  await dropBenchSchema(PG_URL, schema);
}

console.log('| route | backend | req/s | p99 ms | vs bare Fastify |');
console.log('|---|---|---:|---:|---:|');
console.log(`| bare Fastify POST | – | ${fmt(bareResult.post.rps)} | ${bareResult.post.p99} | 1.00 |`);
const row = (route: string, backend: string, r: Result, base: Result): void =>
  console.log(`| ${route} | ${backend} | ${fmt(r.rps)} | ${r.p99} | ${(r.rps / base.rps).toFixed(2)} |`);
row('POST /api/v1/attestations (auth + verify + fsync), Ed25519', 'SQLite + fs', sqlite.post, bareResult.post);
row('POST /api/v1/attestations (auth + verify + fsync), ECDSA P-256', 'SQLite + fs', sqliteP256.post, bareResult.post);
if (postgres) row('POST /api/v1/attestations (auth + verify + fsync), Ed25519', 'PostgreSQL + fs', postgres.post, bareResult.post);
console.log(`| bare Fastify GET | – | ${fmt(bareResult.get.rps)} | ${bareResult.get.p99} | 1.00 |`);
row('GET /api/v1/attestations/{id} (auth + digest check)', 'SQLite + fs', sqlite.get, bareResult.get);
if (postgres) row('GET /api/v1/attestations/{id} (auth + digest check)', 'PostgreSQL + fs', postgres.get, bareResult.get);
