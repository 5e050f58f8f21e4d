/**
 * A verdict export built as the service builds one, with real crypto: a
 * small callgraph in its stored (normalised) form, its manifest signed by
 * an ECDSA P-256 service key, runtime-fact batches with provenance records
 * and signed attestations, a verdict derived by the pure rules over them
 * and signed, and all of manifest, attestations and verdict appended to a
 * log whose checkpoint an Ed25519 log key signs (Sigstore bundles with
 * inclusion proofs). Written with the export's own writers.
 */
import { readFileSync as read } from 'node:fs';
import { createServer } from 'node:http';
import { join as at } from 'node:path';
import { canonicalBytes } from '../../src/core/canonical-json.js';
import { sha256Digest } from '../../src/core/digest.js';
import { signEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { buildStatement, INTOTO_PAYLOAD_TYPE } from '../../src/crypto/intoto.js';
import { generateKeyPair, publicKeyToPem } from '../../src/crypto/keys.js';
import { createSigner, type Signer } from '../../src/crypto/signer.js';
import { envelopeBytes, manifestFileBytes, signManifest } from '../../src/signals/manifest.js';
import { deriveReachability } from '../../src/signals/reach-derive.js';
import { factsPath, callgraphPath, writeBatchFile, writeStreamedFile, writeVerdictFile } from '../../src/signals/reach-export.js';
import type { CitedBatch, ReachabilityPredicate, RuntimeThresholds } from '../../src/signals/reach-types.js';
import { evidenceDigestOf, signVerdict } from '../../src/signals/reach-verdict.js';
import { RUNTIME_FACTS_PREDICATE_TYPE, type RuntimeFactProvenance } from '../../src/signals/types.js';
import { buildLogBundle } from '../../src/tlog/bundle.js';
import { signCheckpoint } from '../../src/tlog/checkpoint.js';
import { dsseEntryBody, signatureBy } from '../../src/tlog/entry.js';
import { leafHash, nodeHash } from '../../src/tlog/hash.js';
import { inclusionProof, treeRoot } from '../../src/tlog/merkle.js';
import { NoteSigner, parseVerifierKey } from '../../src/tlog/note.js';
import { byteChunks, graphNdjson, indexOf, type EdgeSpec, type NodeSpec } from '../helpers/reach-graphs.js';

export const KEY_ID = 'signals-signer-2026-001';
export const GRAPH = '01JF3Z8Q6M0000000000000G01';
export const TENANT = 't1';
export const PURL = 'pkg:maven/org.acme/billing@1.0.0';
const ORIGIN = 'attestry.test/log';

const service = generateKeyPair('ecdsa-p256');
export const signer: Signer = createSigner(service.privateKey, KEY_ID);
/** The service's public key as a verifier would pin it (obtained independently of the export). */
export const servicePublicKey = service.publicKey;
/** A forger's own key pair, published in a forged keys.json. */
export const forgerKeys = generateKeyPair('ecdsa-p256');
/** Another key under the same id: what a forger without the service key signs with. */
export const forger: Signer = createSigner(generateKeyPair('ecdsa-p256').privateKey, KEY_ID);
const logSigner = new NoteSigner(ORIGIN, generateKeyPair('ed25519').privateKey);
export const logKey = parseVerifierKey(logSigner.verifierKey);

/** main → parse → vuln (static); dead is in the graph but unreached; plugin only behind a dynamic edge. */
export const NODES: NodeSpec[] = [
  { id: 'n0', symbol: 'app.Main.main', entry: true },
  { id: 'n1', symbol: 'lib.Parser.parse' },
  { id: 'n2', symbol: 'lib.Parser.vuln' },
  { id: 'n3', symbol: 'lib.Dead.code' },
  { id: 'n4', symbol: 'lib.Plugin.load' },
];
export const EDGES: EdgeSpec[] = [
  ['n0', 'n1'],
  ['n1', 'n2'],
  ['n1', 'n4', 'dynamic'],
];

export interface FixtureBatch {
  readonly batchId: string;
  readonly source: string;
  readonly receivedAt: string;
  readonly facts: string;
}

/** Two hosts; the vulnerable symbol ran on one of them. */
export const BATCHES: FixtureBatch[] = [
  {
    batchId: '01JF3Z8Q6M0000000000000B01',
    source: 'host-a',
    receivedAt: '2026-12-01T10:00:00.000Z',
    facts:
      '{"symbolId":"lib.Parser.vuln","hitCount":3,"observedAt":"2026-12-01T09:59:58.123456789Z"}\n' +
      '{"symbolId":"app.Main.main","hitCount":1}\n' +
      '{"symbolId":"lib.Parser.vuln","hitCount":2,"observedAt":"2026-12-01T09:59:59.5Z"}\n',
  },
  {
    batchId: '01JF3Z8Q6M0000000000000B02',
    source: 'host-b',
    receivedAt: '2026-12-01T11:00:00.000Z',
    facts: '{"symbolId":"app.Main.main","hitCount":7,"observedAt":"2026-12-01T10:59:00Z"}\n',
  },
];

/** The hits of lib.Parser.vuln per batch, counted by hand (the verifier recounts them from the facts). */
export const VULN_HITS = [
  { hitCount: 5, firstSeen: '2026-12-01T09:59:58.123456789Z', lastSeen: '2026-12-01T09:59:59.500Z' },
  { hitCount: 0, firstSeen: null, lastSeen: null },
];

export interface Fixture {
  readonly predicate: ReachabilityPredicate;
  readonly verdict: Buffer;
  readonly graph: string;
}

/** A tiny RFC 6962 log over `bodies`: bundles for each entry under one signed checkpoint. */
function logOf(bodies: Buffer[]): {
  bundle: (envelope: DsseEnvelope, index: number) => Record<string, unknown>;
  uuid: (i: number) => string;
} {
  const leaves = bodies.map((b) => leafHash(b));
  const node = (h: number, k: number): Uint8Array => (h === 0 ? leaves[k]! : nodeHash(node(h - 1, 2 * k), node(h - 1, 2 * k + 1)));
  const size = leaves.length;
  const rootHash = Buffer.from(treeRoot(size, node));
  const checkpoint = signCheckpoint(logSigner, size, rootHash);
  return {
    uuid: (i) => leaves[i]!.toString('hex'),
    bundle: (envelope, index) =>
      buildLogBundle({
        envelope,
        hint: KEY_ID,
        logIndex: index,
        body: bodies[index]!,
        proof: { index, treeSize: size, rootHash, hashes: inclusionProof(index, size, node).map((h) => Buffer.from(h)) },
        checkpoint,
        logKey: logSigner.publicKey,
      }),
  };
}

const bodyOf = (e: DsseEnvelope): Buffer => dsseEntryBody(e, signatureBy(e, service.publicKey), service.publicKey);
const pretty = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** Signs `predicate` (its evidenceDigest recomputed) with `by`. */
export function signPredicate(predicate: ReachabilityPredicate, by: Signer = signer): Buffer {
  const { decidedAt: _d, sequence: _s, previous: _p, evidenceDigest: _e, ...derivation } = predicate;
  return signVerdict({ ...predicate, evidenceDigest: evidenceDigestOf(derivation) }, by).bytes;
}

/** Writes a complete, valid verdict export on `symbol` into `dir`; `log.vkey` beside it is the pinned log key. */
export async function buildVerdictExport(
  dir: string,
  symbol = 'lib.Parser.vuln',
  thresholds: RuntimeThresholds = { minBatches: 1, minSources: 1 },
): Promise<Fixture> {
  const graph = graphNdjson(NODES, EDGES);
  const { manifest: unlogged, envelope: manifestEnvelope } = signManifest(
    {
      graphId: GRAPH,
      digest: sha256Digest(graph),
      language: 'java',
      source: 'scanner',
      createdAt: '2026-12-01T09:00:00.000Z',
      tenantId: TENANT,
      componentPurl: PURL,
      entryPoints: ['n0'],
      nodeCount: NODES.length,
      edgeCount: EDGES.length,
    },
    signer,
    KEY_ID,
  );
  const attestations = BATCHES.map((b) =>
    signEnvelope(
      INTOTO_PAYLOAD_TYPE,
      canonicalBytes(
        buildStatement(
          [{ name: `runtime-facts/${b.batchId}`, digest: { sha256: sha256Digest(b.facts).slice(7) } }],
          RUNTIME_FACTS_PREDICATE_TYPE,
          {
            batchId: b.batchId,
            provenanceHash: sha256Digest(b.facts),
            factCount: b.facts.trim().split('\n').length,
            timestamp: b.receivedAt,
            subjects: [GRAPH],
          },
        ),
      ),
      [signer],
    ),
  );
  // The log: the manifest, the batch attestations, then (below) the verdict — one tree, bundles for each.
  const preLog = [bodyOf(manifestEnvelope), ...attestations.map(bodyOf)];
  const rekor = (i: number) => leafHash(preLog[i]!).toString('hex');
  const manifest = { ...unlogged, rekorUuid: rekor(0) };

  const batches: CitedBatch[] = BATCHES.map((b, i) => ({
    batchId: b.batchId,
    provenanceId: b.batchId.replace('B', 'P'),
    provenanceHash: sha256Digest(b.facts),
    receivedAt: b.receivedAt,
    source: b.source,
    attestationId: b.batchId,
    attestationDigest: sha256Digest(envelopeBytes(attestations[i]!)),
    logIndex: i + 1,
    rekorUuid: rekor(i + 1),
    ...(symbol === 'lib.Parser.vuln' ? VULN_HITS[i]! : { hitCount: 0, firstSeen: null, lastSeen: null }),
  }));
  const index = await indexOf(NODES, EDGES);
  const derivation = deriveReachability({
    callgraph: {
      graphId: GRAPH,
      tenantId: TENANT,
      componentPurl: PURL,
      digest: manifest.digest,
      contentDigest: sha256Digest('the zstd blob is not exported'),
      manifestDigest: sha256Digest(manifestFileBytes(manifest)),
      manifestAttestationId: GRAPH,
      manifestLogIndex: 0,
      manifestRekorUuid: rekor(0),
    },
    symbol,
    vulnerability: 'GHSA-xxxx-0001',
    static: index.staticEvidence(symbol),
    batches,
    window: { since: null, until: null },
    thresholds,
  });
  const predicate: ReachabilityPredicate = {
    ...derivation,
    decidedAt: '2026-12-02T12:00:00.000Z',
    sequence: 1,
    previous: null,
    evidenceDigest: evidenceDigestOf(derivation),
  };
  const { envelope: verdictEnvelope, bytes: verdict } = signVerdict(predicate, signer);
  const log = logOf([...preLog, bodyOf(verdictEnvelope)]);

  writeVerdictFile(dir, 'manifest', pretty(manifest));
  writeVerdictFile(dir, 'manifestEnvelope', envelopeBytes(manifestEnvelope));
  writeVerdictFile(dir, 'manifestBundle', pretty(log.bundle(manifestEnvelope, 0)));
  await writeStreamedFile(callgraphPath(dir), byteChunks(graph, 13));
  for (const [i, b] of BATCHES.entries()) {
    const provenance: RuntimeFactProvenance = {
      provenanceId: batches[i]!.provenanceId,
      callgraphId: GRAPH,
      batchId: b.batchId,
      ingestedAt: b.receivedAt,
      receivedAt: b.receivedAt,
      tenantId: TENANT,
      source: b.source,
      pipelineVersion: 'abc123',
      provenanceHash: sha256Digest(b.facts),
      signerKeyId: KEY_ID,
      rekorUuid: rekor(i + 1),
      skipReason: null,
      factCount: b.facts.trim().split('\n').length,
      factTypes: ['symbol_hit'],
    };
    writeBatchFile(dir, b.batchId, 'provenance', pretty(provenance));
    writeBatchFile(dir, b.batchId, 'attestation', envelopeBytes(attestations[i]!));
    writeBatchFile(dir, b.batchId, 'attestationBundle', pretty(log.bundle(attestations[i]!, i + 1)));
    await writeStreamedFile(factsPath(dir, b.batchId), byteChunks(b.facts, 5));
  }
  writeVerdictFile(dir, 'keys', pretty({ keys: [{ keyId: KEY_ID, publicKeyPem: publicKeyToPem(service.publicKey) }] }));
  writeVerdictFile(dir, 'verdictBundle', pretty(log.bundle(verdictEnvelope, preLog.length)));
  writeVerdictFile(dir, 'verdict', verdict);
  return { predicate, verdict, graph };
}

export const logVkey = (): string => `${logSigner.verifierKey}\n`;

/**
 * An HTTP server that serves a verdict export at the API paths the CLI
 * fetches from (verdict envelope, callgraph, manifest, batches, bundles,
 * keys, locker search): `export-verdict` and `verify-verdict --server`
 * against it need no database. Only a request with `token` is answered.
 */
export async function serveExport(dir: string, verdictId: string, token: string): Promise<{ url: string; close: () => Promise<void> }> {
  const keys = JSON.parse(read(at(dir, 'keys.json'), 'utf8')) as { keys: { keyId: string; publicKeyPem: string }[] };
  const verdictDigest = sha256Digest(read(at(dir, 'verdict.dsse.json')));
  const routes: [RegExp, (m: RegExpExecArray) => string | Buffer | object | undefined][] = [
    [
      /^\/signals\/reachability\/verdicts\/([^/]+)\/envelope$/,
      (m) => (m[1] === verdictId ? read(at(dir, 'verdict.dsse.json')) : undefined),
    ],
    [/^\/signals\/callgraphs\/([^/]+)\/manifest$/, () => read(at(dir, 'manifest.json'))],
    [/^\/signals\/callgraphs\/([^/]+)\/manifest\.dsse$/, () => read(at(dir, 'manifest.dsse.json'))],
    [/^\/signals\/callgraphs\/([^/]+)$/, () => read(at(dir, 'callgraph.ndjson'))],
    [/^\/signals\/runtime-facts\/([^/]+)\/provenance$/, (m) => read(at(dir, 'batches', m[1]!, 'provenance.json'))],
    [/^\/signals\/runtime-facts\/([^/]+)\/attestation$/, (m) => read(at(dir, 'batches', m[1]!, 'attestation.dsse.json'))],
    [/^\/signals\/runtime-facts\/([^/]+)$/, (m) => read(at(dir, 'batches', m[1]!, 'facts.ndjson'))],
    [
      /^\/api\/v1\/attestations\/([^/]+)\/bundle$/,
      (m) =>
        read(
          m[1] === verdictId
            ? at(dir, 'verdict.bundle.json')
            : m[1] === GRAPH
              ? at(dir, 'manifest.bundle.json')
              : at(dir, 'batches', m[1]!, 'attestation.bundle.json'),
        ),
    ],
    [/^\/api\/v1\/keys\/([^/]+)$/, (m) => keys.keys.find((k) => k.keyId === decodeURIComponent(m[1]!))],
    [/^\/api\/v1\/attestations$/, () => ({ items: [{ id: verdictId, digest: verdictDigest }] })],
  ];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: string | Buffer) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(401, JSON.stringify({ code: 'E_UNAUTHENTICATED', message: 'no token' }));
    for (const [re, handler] of routes) {
      const m = re.exec(path);
      if (m === null) continue;
      let out: string | Buffer | object | undefined;
      try {
        out = handler(m);
      } catch {
        out = undefined;
      }
      if (out === undefined) break;
      return send(200, Buffer.isBuffer(out) || typeof out === 'string' ? out : JSON.stringify(out));
    }
    send(404, JSON.stringify({ code: 'E_NOT_FOUND', message: `nothing at ${path}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
