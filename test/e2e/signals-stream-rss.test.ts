/**
 * GET /signals/runtime-facts/ndjson with include_provenance over 320 MiB of
 * facts (ATTESTRY_STREAM_TEST_MIB=1024 for the 1 GiB run; bench:signals
 * streams more), served by the real server in this process to a consumer
 * that reads slower than the server writes: the stream is backpressured, so
 * this process's RSS (sampled every 100 ms) stays flat, and every ingested
 * fact arrives once, carrying provenance_hash and callgraph_id.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { callgraphLines, factBatch, factLine, factsPath, MiB, sampleRss, send, uploadCallgraph } from '../helpers/signals-load.js';

const TENANT = 'stream';
/** 1.6 times the RSS budget: a stream that buffered instead of waiting for the reader would fail (320 MiB keeps npm test short; 512 took 40 s). */
const TARGET_BYTES = Number(process.env['ATTESTRY_STREAM_TEST_MIB'] ?? 320) * MiB;
/** Each ingested batch (well under the 256 MiB batch limit, few enough requests to be quick). */
const BATCH_BYTES = 100 * MiB;
const RSS_BUDGET = 200 * MiB;

let srv: TestServer;
let token: string;
before(async () => {
  srv = await startTestServer();
  await srv.addTenant(TENANT);
  token = await srv.token('signals-service', [TENANT]);
});
after(() => srv.stop());

/** A batch of about `bytes`: one salted line, then the same 1 MiB block of whole fact lines. */
function* bigBatch(salt: string, block: Buffer, bytes: number): Generator<Buffer> {
  yield factBatch(1, salt);
  for (let sent = 0; sent < bytes; sent += block.length) yield block;
}

async function ingest(graphId: string, body: Iterable<Buffer> | Buffer): Promise<{ batchId: string; factCount: number }> {
  const reply = await send(srv.url, 'POST', factsPath(TENANT, graphId), {
    token,
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  assert.equal(reply.status, 201, reply.text.slice(0, 500));
  const p = reply.json as { batchId: string; factCount: number };
  return { batchId: p.batchId, factCount: p.factCount };
}

interface Streamed {
  bytes: number;
  lines: number;
  first: string;
  last: string;
}

/** Reads the stream, pausing 5 ms after every 4 MiB, so the server must wait on the consumer. */
function consume(path: string): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, srv.url), { headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream: ${res.statusCode}`));
        res.resume();
        return;
      }
      const out: Streamed = { bytes: 0, lines: 0, first: '', last: '' };
      let sincePause = 0;
      let head = '';
      let tail = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        out.bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) out.lines += 1;
        if (head.length < 4096) head += chunk.subarray(0, 4096).toString('utf8');
        tail = Buffer.concat([tail, chunk]).subarray(-4096);
        sincePause += chunk.length;
        if (sincePause >= 4 * MiB) {
          sincePause = 0;
          res.pause();
          setTimeout(() => res.resume(), 5);
        }
      });
      res.on('error', reject);
      res.on('end', () => {
        out.first = head.split('\n')[0] ?? '';
        const lines = tail.toString('utf8').split('\n');
        out.last = lines[lines.length - 2] ?? '';
        resolve(out);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function assertLine(text: string, graphId: string, hashes: Set<string>): void {
  const fact = JSON.parse(text) as { symbolId?: unknown; provenance_hash?: unknown; callgraph_id?: unknown };
  assert.equal(typeof fact.symbolId, 'string', text);
  assert.equal(fact.callgraph_id, graphId, text);
  assert.ok(hashes.has(String(fact.provenance_hash)), `provenance_hash of ${text}`);
}

test(`a stream of ${TARGET_BYTES / MiB} MiB with provenance is served in flat memory`, { timeout: 300_000 }, async () => {
  const { graphId } = await uploadCallgraph(srv.url, token, TENANT, Buffer.from([...callgraphLines(20, 40)].join('')));
  const lines: string[] = [];
  for (let i = 0, size = 0; size < MiB; i++) {
    lines.push(factLine(i));
    size += lines[lines.length - 1]!.length;
  }
  const block = Buffer.from(lines.join(''));
  const factsPerBlock = lines.length;

  // How many stream bytes one fact makes, from a small probe on another graph.
  const { graphId: probeGraph } = await uploadCallgraph(
    srv.url,
    token,
    TENANT,
    Buffer.from([...callgraphLines(2, 1)].join('')),
    'pkg:npm/probe@1.0.0',
  );
  const probe = await ingest(probeGraph, block);
  const probed = await consume(`/signals/runtime-facts/ndjson?tenant=${TENANT}&callgraph_id=${probeGraph}&include_provenance=true`);
  assert.equal(probed.lines, probe.factCount);
  const bytesPerFact = probed.bytes / probed.lines;
  const factsNeeded = Math.ceil((TARGET_BYTES * 1.02) / bytesPerFact);
  const batches = Math.ceil(factsNeeded / ((BATCH_BYTES / block.length) * factsPerBlock));

  const ingestStarted = Date.now();
  const hashes = new Set<string>();
  let facts = 0;
  for (let b = 0; b < batches; b++) {
    const reply = await send(srv.url, 'POST', factsPath(TENANT, graphId), {
      token,
      headers: { 'content-type': 'application/x-ndjson' },
      body: bigBatch(`stream-${b}`, block, BATCH_BYTES),
    });
    assert.equal(reply.status, 201, reply.text.slice(0, 500));
    const p = reply.json as { provenanceHash: string; factCount: number };
    hashes.add(p.provenanceHash);
    facts += p.factCount;
  }
  const ingestMs = Date.now() - ingestStarted;

  const baseline = process.memoryUsage().rss;
  const rss = sampleRss(100);
  const streamStarted = Date.now();
  const got = await consume(`/signals/runtime-facts/ndjson?tenant=${TENANT}&callgraph_id=${graphId}&include_provenance=true`);
  const streamMs = Date.now() - streamStarted;
  const growth = rss.stop() - baseline;
  console.error(
    `stream-rss: ingested ${batches} × ${BATCH_BYTES / MiB} MiB (${facts} facts, ${bytesPerFact.toFixed(0)} stream bytes/fact) in ${ingestMs} ms ` +
      `(${((batches * BATCH_BYTES) / MiB / (ingestMs / 1000)).toFixed(0)} MiB/s); streamed ${(got.bytes / MiB).toFixed(0)} MiB, ` +
      `${got.lines} lines in ${streamMs} ms (${(got.bytes / MiB / (streamMs / 1000)).toFixed(0)} MiB/s, ` +
      `${Math.round(got.lines / (streamMs / 1000))} facts/s); RSS ${(baseline / MiB).toFixed(0)} MiB → +${(growth / MiB).toFixed(1)} MiB peak`,
  );
  assert.ok(got.bytes >= TARGET_BYTES, `streamed ${got.bytes} bytes, wanted ≥ ${TARGET_BYTES}`);
  assert.equal(got.lines, facts, 'every ingested fact streamed once');
  assertLine(got.first, graphId, hashes);
  assertLine(got.last, graphId, hashes);
  assert.ok(growth < RSS_BUDGET, `RSS grew by ${(growth / MiB).toFixed(1)} MiB while streaming (budget ${RSS_BUDGET / MiB} MiB)`);
});
