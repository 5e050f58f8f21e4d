/**
 * kill -9 of a real `attestry serve` child while several runtime agents
 * upload fact batches (plain, gzip and zstd, some naming their batch).
 * After restart (startup repair runs): every acknowledged (201) batch is
 * served, its bytes hash to its provenanceHash, its attestation verifies with
 * the published key; the blob directory holds only complete pairs (provenance
 * + content) and each pair is either served whole or not at all; no intent
 * row is left 'writing'; an agent re-sending an interrupted named batch gets
 * it stored once. With `attestry signals verify`, acknowledged batches also
 * verify offline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { startServeChild, type ServeChild } from '../helpers/serve-child.js';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { compress as zstdCompress, DecompressStream } from 'zstd-napi';
import { loadConfig } from '../../src/core/config.js';
import { sha256Digest } from '../../src/core/digest.js';
import { ulidSource } from '../../src/core/ids.js';
import { issueToken } from '../../src/authz/tokens.js';
import { openIndexServices } from '../../src/app/index-services.js';
import { parseEnvelope, verifyEnvelope } from '../../src/crypto/dsse.js';
import { loadPublicKey } from '../../src/crypto/keys.js';
import { createVerifier } from '../../src/crypto/signer.js';
import { runCli, show } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { callgraphLines, factBatch, factsPath, send, uploadCallgraph } from '../helpers/signals-load.js';

const TENANT = 'crash';
const AGENTS = 6;
const FACTS_PER_BATCH = 3_000;
/** Acknowledged batches before the kill. */
const ACKED_BEFORE_KILL = 48;

const dataDir = mkdtempSync(join(tmpdir(), 'attestry-signals-kill9-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const ids = ulidSource();

async function prepare(): Promise<string> {
  const s = await openIndexServices(loadConfig({ env: {}, dataDir }));
  try {
    await s.repos.tenants.add(TENANT, null, new Date());
    return (await issueToken(s.repos, { principal: 'signals-service', tenants: [TENANT] }, s)).token;
  } finally {
    await s.close();
  }
}

const startChild = (): Promise<ServeChild> => startServeChild(dataDir);

interface Sent {
  readonly raw: Buffer;
  readonly hash: string;
  readonly encoding: 'identity' | 'gzip' | 'zstd';
  /** The batch id the agent chose, when it named its batch. */
  readonly batchId: string | undefined;
}

interface Acked extends Sent {
  readonly provenance: Record<string, unknown>;
}

function encode(sent: Sent): Buffer {
  if (sent.encoding === 'gzip') return gzipSync(sent.raw, { level: 1 });
  if (sent.encoding === 'zstd') return zstdCompress(sent.raw);
  return sent.raw;
}

function post(url: string, token: string, graphId: string, sent: Sent): ReturnType<typeof send> {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (sent.encoding !== 'identity') headers['content-encoding'] = sent.encoding;
  return send(url, 'POST', factsPath(TENANT, graphId, sent.batchId === undefined ? {} : { batch_id: sent.batchId }), {
    token,
    headers,
    body: encode(sent),
  });
}

async function inflate(zst: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of Readable.from([zst]).pipe(new DecompressStream())) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The blob directory of the tenant's batches: id → the suffixes present. */
function blobPairs(): Map<string, Set<string>> {
  const dir = join(dataDir, 'cas', 'signals', 'runtime-facts', TENANT);
  const pairs = new Map<string, Set<string>>();
  if (!existsSync(dir)) return pairs;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.tmp-')) continue; // a crash's temp file: never a blob, swept later
    const m = /^([0-9A-Z]{26})\.(provenance\.json|ndjson\.zst)$/.exec(name);
    assert.ok(m, `unexpected file in the runtime-facts directory: ${name}`);
    const [, id, suffix] = m as unknown as [string, string, string];
    pairs.set(id, (pairs.get(id) ?? new Set()).add(suffix));
  }
  return pairs;
}

async function assertServedWhole(srv: TestServer, token: string, batchId: string, expectedHash: string): Promise<Record<string, unknown>> {
  const prov = await srv.request('GET', `/signals/runtime-facts/${batchId}/provenance`, { token });
  assert.equal(prov.status, 200, `provenance of ${batchId}: ${prov.text}`);
  const provenance = prov.json as Record<string, unknown>;
  assert.equal(provenance['provenanceHash'], expectedHash, `provenanceHash of ${batchId}`);
  // The bytes as received, and the stored blob itself, hash to provenanceHash.
  const content = await fetch(`${srv.url}/signals/runtime-facts/${batchId}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(content.status, 200, `content of ${batchId}`);
  assert.equal(sha256Digest(Buffer.from(await content.arrayBuffer())), expectedHash, `served bytes of ${batchId}`);
  const dir = join(dataDir, 'cas', 'signals', 'runtime-facts', TENANT);
  assert.equal(sha256Digest(await inflate(readFileSync(join(dir, `${batchId}.ndjson.zst`)))), expectedHash, `blob of ${batchId}`);
  const record = JSON.parse(readFileSync(join(dir, `${batchId}.provenance.json`), 'utf8')) as Record<string, unknown>;
  assert.equal(record['provenanceHash'], expectedHash, `provenance blob of ${batchId}`);
  // The batch attestation verifies with the service's published key and says what it covers.
  const att = await srv.request('GET', `/signals/runtime-facts/${batchId}/attestation`, { token });
  assert.equal(att.status, 200, `attestation of ${batchId}: ${att.text}`);
  const keyId = provenance['signerKeyId'];
  assert.equal(typeof keyId, 'string', `signerKeyId of ${batchId}`);
  const key = await srv.request('GET', `/api/v1/keys/${String(keyId)}`);
  assert.equal(key.status, 200, key.text);
  const pem = (key.json as { publicKeyPem: string }).publicKeyPem;
  const verified = verifyEnvelope(parseEnvelope(att.json), [createVerifier(loadPublicKey(pem, `key ${String(keyId)}`))]);
  const statement = JSON.parse(verified.payload.toString('utf8')) as {
    subject: { digest: { sha256: string } }[];
    predicateType: string;
    predicate: { batchId: string; provenanceHash: string; factCount: number };
  };
  assert.equal(statement.predicateType, 'https://stella.ops/attestation/runtime-facts/v1');
  assert.equal(`sha256:${statement.subject[0]?.digest.sha256}`, expectedHash);
  assert.equal(statement.predicate.batchId, batchId);
  assert.equal(statement.predicate.provenanceHash, expectedHash);
  assert.equal(statement.predicate.factCount, provenance['factCount']);
  return provenance;
}

test(
  'kill -9 during concurrent fact-batch uploads: acknowledged batches verify, blobs and provenance come in pairs',
  { timeout: 180_000 },
  async () => {
    const token = await prepare();
    const server = await startChild();
    const { graphId } = await uploadCallgraph(server.url, token, TENANT, Buffer.from([...callgraphLines(50, 120)].join('')));

    const acked = new Map<string, Acked>();
    const inFlight = new Set<Sent>();
    let stop = false;
    let attempted = 0;
    const agent = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const raw = factBatch(FACTS_PER_BATCH, `agent-${w}-${i}`);
        const sent: Sent = {
          raw,
          hash: sha256Digest(raw),
          encoding: (['identity', 'gzip', 'zstd'] as const)[(w + i) % 3] as Sent['encoding'],
          batchId: i % 2 === 0 ? ids.next() : undefined,
        };
        attempted += 1;
        inFlight.add(sent);
        let reply: Awaited<ReturnType<typeof send>>;
        try {
          reply = await post(server.url, token, graphId, sent);
        } catch (e) {
          if (stop) return; // connection cut by the kill: not acknowledged
          throw e;
        }
        if (reply.status !== 201) {
          if (stop) return;
          assert.fail(`agent ${w} batch ${i}: ${reply.status} ${reply.text.slice(0, 300)}`);
        }
        inFlight.delete(sent);
        const provenance = reply.json as Record<string, unknown>;
        assert.equal(provenance['provenanceHash'], sent.hash);
        acked.set(String(provenance['batchId']), { ...sent, provenance });
      }
    };
    const agents = Array.from({ length: AGENTS }, (_, w) => agent(w));
    while (acked.size < ACKED_BEFORE_KILL) {
      await Promise.race([Promise.all(agents), new Promise((r) => setTimeout(r, 10))]);
    }
    stop = true;
    await server.kill();
    await Promise.all(agents);
    assert.ok(attempted > acked.size, 'some batches were in flight at the kill');

    const restarted = await startTestServer({ dataDir });
    try {
      // Every acknowledged batch: served whole, hash, blob and attestation agree.
      for (const [batchId, a] of acked) {
        const provenance = await assertServedWhole(restarted, token, batchId, a.hash);
        assert.equal(provenance['factCount'], FACTS_PER_BATCH);
        assert.equal(provenance['callgraphId'], graphId);
        if (a.batchId !== undefined) assert.equal(batchId, a.batchId, 'the batch id the agent chose');
      }
      // No intent row survives the startup repair.
      const writing = await sql<{ batch_id: string }>`select batch_id from signals_batches where state <> 'stored'`.execute(
        restarted.services.index.db,
      );
      assert.deepEqual(writing.rows, [], 'rows left writing after repair');
      const stored = await sql<{ batch_id: string }>`select batch_id from signals_batches`.execute(restarted.services.index.db);
      // No provenance without blob, no blob without provenance; each pair served whole or absent.
      const pairs = blobPairs();
      let orphans = 0;
      for (const [batchId, suffixes] of pairs) {
        assert.deepEqual([...suffixes].sort(), ['ndjson.zst', 'provenance.json'], `batch ${batchId} has only ${[...suffixes].join(', ')}`);
        const prov = await restarted.request('GET', `/signals/runtime-facts/${batchId}/provenance`, { token });
        if (prov.status === 200) {
          await assertServedWhole(restarted, token, batchId, String((prov.json as Record<string, unknown>)['provenanceHash']));
        } else {
          assert.equal(prov.status, 404, `batch ${batchId}: ${prov.text}`);
          for (const path of [`/signals/runtime-facts/${batchId}`, `/signals/runtime-facts/${batchId}/attestation`])
            assert.equal((await restarted.request('GET', path, { token })).status, 404, `${path} of an unserved pair`);
          orphans += 1;
        }
      }
      for (const row of stored.rows) assert.ok(pairs.has(row.batch_id), `stored row ${row.batch_id} without its blobs`);
      for (const batchId of acked.keys()) assert.ok(pairs.has(batchId), `acknowledged ${batchId} without its blobs`);

      // The stream carries each acknowledged batch's facts exactly once, and only served batches.
      const stream = await restarted.request(
        'GET',
        `/signals/runtime-facts/ndjson?tenant=${TENANT}&callgraph_id=${graphId}&include_provenance=true`,
        { token },
      );
      assert.equal(stream.status, 200, stream.text.slice(0, 300));
      const perHash = new Map<string, number>();
      for (const line of stream.text.split('\n')) {
        if (line === '') continue;
        const fact = JSON.parse(line) as { provenance_hash: string; callgraph_id: string };
        assert.equal(fact.callgraph_id, graphId);
        perHash.set(fact.provenance_hash, (perHash.get(fact.provenance_hash) ?? 0) + 1);
      }
      for (const a of acked.values())
        assert.equal(perHash.get(a.hash), FACTS_PER_BATCH, `facts of ${String(a.provenance['batchId'])} in the stream`);
      assert.equal(perHash.size, stored.rows.length, 'the stream names exactly the stored batches');

      // Agents re-send the named batches the kill interrupted: each ends up stored once.
      const retried = [...inFlight].filter((s) => s.batchId !== undefined);
      for (const s of retried) {
        const again = await post(restarted.url, token, graphId, s);
        assert.ok(again.status === 201 || again.status === 200, `retry of ${s.batchId}: ${again.status} ${again.text}`);
        assert.equal((again.json as Record<string, unknown>)['batchId'], s.batchId);
        await assertServedWhole(restarted, token, s.batchId as string, s.hash);
      }

      // Offline verification, when the CLI has it.
      const help = await runCli(['signals', 'verify', '--help']);
      let cliVerified = 0;
      if (help.code === 0) {
        const logKey = join(dataDir, 'log.vkey');
        writeFileSync(logKey, ((await restarted.request('GET', '/api/v1/log/key')).json as { verifierKey: string }).verifierKey);
        const extra = help.stdout.includes('--log-key') ? ['--log-key', `@${logKey}`] : [];
        for (const batchId of [...acked.keys()].slice(0, 3)) {
          const r = await runCli(['signals', 'verify', '--batch', batchId, '--server', restarted.url, ...extra], {
            env: { ATTESTRY_TOKEN: token },
          });
          assert.equal(r.code, 0, `signals verify --batch ${batchId}: ${show(r)}`);
          cliVerified += 1;
        }
      }
      console.error(
        `signals-kill9: ${attempted} attempted, ${acked.size} acknowledged, ${inFlight.size} in flight at the kill ` +
          `(${retried.length} re-sent), ${pairs.size} blob pairs (${orphans} unserved), ${cliVerified} verified by the CLI`,
      );
    } finally {
      await restarted.stop();
    }
  },
);
