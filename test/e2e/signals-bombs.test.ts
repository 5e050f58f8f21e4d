/**
 * Decompression bombs and over-long lines against the real server
 * (in-process, so its RSS is this process's): a ~10 MB zstd body and a gzip
 * body of valid fact lines that inflate far past the Signals batch limit
 * are refused 413 E_PAYLOAD_TOO_LARGE while memory stays bounded; a line
 * over 64 KiB is refused naming its line number; after each refusal nothing
 * is stored (no row, no blob, nothing streamed).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Agent } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { CompressStream } from 'zstd-napi';
import { DEFAULT_SIGNALS_LIMITS } from '../../src/signals/deps.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { callgraphLines, factsPath, MiB, sampleRss, send, uploadCallgraph } from '../helpers/signals-load.js';

const TENANT = 'bombs';
/** Allowed growth of this process's RSS while the server refuses a bomb. */
const RSS_BUDGET = 150 * MiB;
/** Each line just under the 64 KiB line limit, so the decoded-size limit is what trips. */
const PAD = 60_000;

function line(n: number, pad: string): string {
  return `${JSON.stringify({ symbolId: `sym:java:com.example.Bomb${n % 97}.run`, hitCount: 1, metadata: { pad } })}\n`;
}

/**
 * Valid fact lines: first `headBytes` of lines with random (incompressible)
 * padding, which make up nearly all of the compressed body, then constant
 * lines up to `inflatedBytes`, which cost almost nothing compressed. The
 * server so reads most of the body before the decoded size crosses its limit.
 */
function* bombLines(headBytes: number, inflatedBytes: number): Generator<Buffer> {
  let produced = 0;
  let n = 0;
  while (produced < headBytes) {
    const chunk = Buffer.from(line(n++, randomBytes((PAD * 3) / 4).toString('base64')));
    produced += chunk.length;
    yield chunk;
  }
  const constant = Buffer.from(Array.from({ length: 16 }, () => line(n++, 'a'.repeat(PAD))).join(''));
  while (produced < inflatedBytes) {
    produced += constant.length;
    yield constant;
  }
}

async function compressed(lines: Iterable<Buffer>, encoder: NodeJS.ReadWriteStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(Readable.from(lines), encoder, async (source: AsyncIterable<string | Buffer>) => {
    for await (const c of source) parts.push(Buffer.from(c));
  });
  return Buffer.concat(parts);
}

describe('Signals decompression bombs and long lines', () => {
  let srv: TestServer;
  let token: string;
  let graphId: string;
  /** Past the batch limit by a factor of 2 at least; the brief asks for 2+ GB inflated. */
  const inflated = Math.max(2 * 1024 * MiB, 2 * DEFAULT_SIGNALS_LIMITS.maxBatchBytes);

  before(async () => {
    srv = await startTestServer();
    await srv.addTenant(TENANT);
    token = await srv.token('signals-service', [TENANT]);
    ({ graphId } = await uploadCallgraph(srv.url, token, TENANT, Buffer.from([...callgraphLines(10, 20)].join(''))));
  });
  after(() => srv.stop());

  async function assertNothingStored(): Promise<void> {
    const rows = await sql<{
      batch_id: string;
      state: string;
    }>`select batch_id, state from signals_batches where tenant = ${TENANT}`.execute(srv.services.index.db);
    assert.deepEqual(rows.rows, [], 'no batch row (not even an intent row) after a refusal');
    const dir = join(srv.dataDir, 'cas', 'signals', 'runtime-facts', TENANT);
    // The refusal may be sent while the aborted blob write is still being removed.
    let left: string[] = [];
    for (let i = 0; i < 40; i++) {
      left = existsSync(dir) ? readdirSync(dir) : [];
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(left, [], 'no blob and no temp file after a refusal');
    const stream = await srv.request(
      'GET',
      `/signals/runtime-facts/ndjson?tenant=${TENANT}&callgraph_id=${graphId}&include_provenance=true`,
      {
        token,
      },
    );
    assert.equal(stream.status, 200, stream.text);
    assert.equal(stream.text.trim(), '', 'nothing streamed');
  }

  async function refuseBomb(encoding: 'zstd' | 'gzip', body: Buffer, inflatedTo: number): Promise<void> {
    const baseline = process.memoryUsage().rss;
    const rss = sampleRss(20);
    const started = Date.now();
    const reply = await send(srv.url, 'POST', factsPath(TENANT, graphId), {
      token,
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': encoding },
      body,
    });
    const growth = rss.stop() - baseline;
    console.error(
      `${encoding} bomb: ${(body.length / MiB).toFixed(1)} MiB body inflating to ${(inflatedTo / MiB).toFixed(0)} MiB → ` +
        `${reply.status} in ${Date.now() - started} ms, RSS growth ${(growth / MiB).toFixed(1)} MiB`,
    );
    assert.equal(reply.status, 413, reply.text);
    assert.equal((reply.json as { code?: unknown }).code, 'E_PAYLOAD_TOO_LARGE', reply.text);
    assert.ok(growth < RSS_BUDGET, `RSS grew by ${(growth / MiB).toFixed(1)} MiB (budget ${RSS_BUDGET / MiB} MiB)`);
    await assertNothingStored();
  }

  test('a ~10 MB zstd body inflating past the limit: 413, bounded memory, nothing stored', { timeout: 120_000 }, async () => {
    // Random base64 compresses to about 3/4: 13 MiB of it make the ~10 MB body.
    const body = await compressed(bombLines(13 * MiB, inflated), new CompressStream({ compressionLevel: 1 }));
    assert.ok(body.length > 8 * MiB && body.length < 12 * MiB, `body of ${body.length} bytes`);
    await refuseBomb('zstd', body, inflated);
  });

  test('a gzip body inflating past the limit: 413, bounded memory, nothing stored', { timeout: 120_000 }, async () => {
    // gzip tops out near 1000:1, so its bomb inflates to just past twice the limit.
    const to = 2 * DEFAULT_SIGNALS_LIMITS.maxBatchBytes;
    const body = await compressed(bombLines(4 * MiB, to), createGzip({ level: 1 }));
    await refuseBomb('gzip', body, to);
  });

  test('a keep-alive agent can send its next batch after a bomb was refused', { timeout: 60_000 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const headers = { 'content-type': 'application/x-ndjson' };
      const bomb = await compressed(bombLines(0, 2 * DEFAULT_SIGNALS_LIMITS.maxBatchBytes), createGzip({ level: 1 }));
      const refused = await send(srv.url, 'POST', factsPath(TENANT, graphId), {
        token,
        agent,
        headers: { ...headers, 'content-encoding': 'gzip' },
        body: bomb,
      });
      assert.equal(refused.status, 413, refused.text);
      // Either the refusal said Connection: close (the agent opens a new socket) or the socket is still good.
      const next = await send(srv.url, 'GET', `/signals/runtime-facts/ndjson?tenant=${TENANT}&callgraph_id=${graphId}`, { token, agent });
      assert.equal(next.status, 200, `the next request on the agent (413 said connection: ${refused.headers.connection}): ${next.text}`);
    } finally {
      agent.destroy();
    }
  });

  test('a line over 64 KiB is refused naming its line number; nothing stored', async () => {
    const ok = line(1, 'ok');
    const long = line(3, 'y'.repeat(70 * 1024));
    for (const encoding of ['identity', 'zstd'] as const) {
      const raw = Buffer.from(ok + ok + long + ok);
      const body = encoding === 'zstd' ? await compressed([raw], new CompressStream()) : raw;
      const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
      if (encoding !== 'identity') headers['content-encoding'] = encoding;
      const reply = await send(srv.url, 'POST', factsPath(TENANT, graphId), { token, headers, body });
      assert.ok(reply.status === 413 || reply.status === 400, `${encoding}: ${reply.status} ${reply.text}`);
      const message = String((reply.json as { message?: unknown }).message);
      assert.match(message, /line 3\b/, `${encoding}: the message names line 3: ${message}`);
      await assertNothingStored();
    }
  });
});
