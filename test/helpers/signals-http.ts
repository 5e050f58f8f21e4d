/**
 * What the Signals end-to-end tests share: servers on each index back end,
 * callgraph and fact bodies, the HTTP calls of the fixed interface (seed 000
 * §6 and issue 14 "Interface the acceptance check uses"), independent
 * verification of the service's signatures, and a /metrics reader. Loading
 * this file runs nothing (node --test loads every file under dist/test).
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { canonicalBytes } from '../../src/core/canonical-json.js';
import { pae } from '../../src/crypto/dsse.js';
import { backends } from './databases.js';
import { isRecord } from './model.js';
import type { TestServer } from './server.js';

export const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
export const HEX64_RE = /^[0-9a-f]{64}$/;
/** `Signals.Signing.KeyId` by default (seed 000 §9). */
export const SIGNALS_KEY_ID = 'signals-signer-2025-001';
export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.attestry.callgraph-manifest+json';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const FACTS_PREDICATE_TYPE = 'https://stella.ops/attestation/runtime-facts/v1';
export const NDJSON = 'application/x-ndjson';

export type Reply = Awaited<ReturnType<TestServer['request']>>;

/** One index back end: the ATTESTRY_* variables that select it, and how to drop it afterwards. */
export interface SignalsBackend {
  readonly name: string;
  readonly skip: string | false;
  open(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;
}

export async function signalsBackends(): Promise<SignalsBackend[]> {
  return (await backends()).map((b) => ({
    name: b.name,
    skip: b.skip,
    open: async () => {
      const fresh = await b.fresh();
      const s = fresh.settings;
      const env: Record<string, string> =
        s.driver === 'postgres'
          ? { ATTESTRY_DATABASE_URL: s.url, ATTESTRY__Storage__Database__Schema: s.schema }
          : { ATTESTRY__Storage__Database__Path: s.path };
      return { env, cleanup: () => fresh.cleanup() };
    },
  }));
}

export function sha256Tag(bytes: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function json(r: { json: unknown; text: string; status: number }): Record<string, unknown> {
  assert.ok(isRecord(r.json), `reply ${r.status} is not a JSON object: ${r.text.slice(0, 400)}`);
  return r.json;
}

export function expectError(r: Reply, status: number, code: string, message?: RegExp): void {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text.slice(0, 400)}`);
  const b = json(r);
  assert.equal(b['code'], code, r.text.slice(0, 400));
  assert.equal(typeof b['message'], 'string');
  if (message !== undefined) assert.match(String(b['message']), message);
}

// ---------------------------------------------------------------- bodies

export interface GraphNode {
  readonly id: string;
  readonly symbol: string;
  readonly entry: boolean;
}
export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

/** `n` nodes `sym:<ns>:f<i>`, a chain of calls plus a few fan-out edges; nodes 0 and 1 are entry points. */
export function makeGraph(n: number, ns = 'app'): Graph {
  const id = (i: number): string => `sym:java:${ns}.f${String(i).padStart(4, '0')}`;
  const nodes = Array.from({ length: n }, (_, i) => ({ id: id(i), symbol: `${ns}.F${i}()`, entry: i < 2 }));
  const edges: { from: string; to: string }[] = [];
  for (let i = 0; i + 1 < n; i++) edges.push({ from: id(i), to: id(i + 1) });
  for (let i = 0; i + 3 < n; i += 3) edges.push({ from: id(i), to: id(i + 3) });
  return { nodes, edges };
}

/** Deterministic shuffle (a seeded LCG), so a failure reproduces. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The minimal NDJSON form of issue 14; `seed` interleaves nodes and edges in a scrambled order. */
export function graphNdjson(g: Graph, seed?: number): string {
  const lines = [
    ...g.nodes.map((n) => JSON.stringify({ kind: 'node', id: n.id, symbol: n.symbol, entry: n.entry })),
    ...g.edges.map((e) => JSON.stringify({ kind: 'edge', from: e.from, to: e.to })),
  ];
  return `${(seed === undefined ? lines : shuffled(lines, seed)).join('\n')}\n`;
}

export interface Fact {
  readonly symbolId: string;
  readonly hitCount: number;
  readonly observedAt: string;
  readonly type?: string;
  readonly processName?: string;
}

/** `count` facts over the graph's symbols, observed one second apart from `start`. */
export function makeFacts(g: Graph, count: number, start: string, type?: string): Fact[] {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) => ({
    symbolId: (g.nodes[i % g.nodes.length] as GraphNode).id,
    hitCount: i + 1,
    observedAt: new Date(t0 + i * 1000).toISOString(),
    ...(type === undefined ? {} : { type }),
    processName: 'java',
  }));
}

export function factsNdjson(facts: readonly Fact[]): Buffer {
  return Buffer.from(facts.map((f) => `${JSON.stringify(f)}\n`).join(''), 'utf8');
}

// ---------------------------------------------------------------- calls

export interface GraphUpload {
  readonly tenant?: string;
  readonly language?: string;
  readonly source?: string;
  readonly purl: string;
  readonly body: string | Buffer;
  /** Raw query text appended as is (e.g. `&digest=...`). */
  readonly extra?: string;
}

export function uploadGraph(srv: TestServer, token: string, u: GraphUpload): Promise<Reply> {
  const q = [
    ...(u.tenant === undefined ? [] : [`tenant=${encodeURIComponent(u.tenant)}`]),
    `language=${encodeURIComponent(u.language ?? 'java')}`,
    `source=${encodeURIComponent(u.source ?? 'stella-callgraph-java')}`,
    `componentPurl=${encodeURIComponent(u.purl)}`,
  ].join('&');
  return srv.request('POST', `/signals/callgraphs?${q}${u.extra ?? ''}`, { token, rawBody: u.body, headers: { 'content-type': NDJSON } });
}

export interface FactsUpload {
  readonly tenant?: string;
  readonly callgraphId: string;
  readonly source?: string;
  readonly pipelineVersion?: string;
  readonly body: Buffer;
  readonly encoding?: 'gzip' | 'zstd';
  /** The agents' path (`/signals/runtime-facts/ndjson`) instead of the seed's. */
  readonly agentPath?: boolean;
  readonly extra?: string;
}

export function ingestFacts(srv: TestServer, token: string, u: FactsUpload): Promise<Reply> {
  const q = [
    ...(u.tenant === undefined ? [] : [`tenant=${encodeURIComponent(u.tenant)}`]),
    `callgraph_id=${encodeURIComponent(u.callgraphId)}`,
    `source=${encodeURIComponent(u.source ?? 'host-17.ebpf')}`,
    `pipeline_version=${encodeURIComponent(u.pipelineVersion ?? '3f2a9c1')}`,
  ].join('&');
  const headers: Record<string, string> = { 'content-type': NDJSON };
  if (u.encoding !== undefined) headers['content-encoding'] = u.encoding;
  const path = u.agentPath === true ? '/signals/runtime-facts/ndjson' : '/signals/runtime-facts';
  return srv.request('POST', `${path}?${q}${u.extra ?? ''}`, { token, rawBody: u.body, headers });
}

/** A GET whose body is read as bytes; a body that breaks off mid-way is reported, not thrown. */
export async function rawGet(
  srv: TestServer,
  path: string,
  token: string,
): Promise<{ status: number; headers: Headers; bytes: Buffer | undefined; error: Error | undefined }> {
  const response = await fetch(`${srv.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  try {
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()), error: undefined };
  } catch (e) {
    return { status: response.status, headers: response.headers, bytes: undefined, error: e instanceof Error ? e : new Error(String(e)) };
  }
}

/** The non-empty lines of an NDJSON body, parsed. */
export function ndjsonObjects(bytes: Buffer | string): Record<string, unknown>[] {
  return bytes
    .toString()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const v: unknown = JSON.parse(l);
      assert.ok(isRecord(v), `line ${i + 1} is not an object: ${l.slice(0, 200)}`);
      return v;
    });
}

// ---------------------------------------------------------------- verification

/** The published key (GET /api/v1/keys/{keyId}), read by a client that trusts nothing else. */
export async function publishedKey(srv: TestServer, keyId: string): Promise<KeyObject> {
  const r = await srv.request('GET', `/api/v1/keys/${encodeURIComponent(keyId)}`);
  assert.equal(r.status, 200, r.text);
  const pem = json(r)['publicKeyPem'];
  assert.equal(typeof pem, 'string');
  return createPublicKey(String(pem));
}

function verifyRaw(key: KeyObject, message: Buffer, signatureB64: string): boolean {
  const hash = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
  return nodeVerify(hash, message, key, Buffer.from(signatureB64, 'base64'));
}

/** DSSE PAE over the canonical manifest without signature, rekorUuid and skipReason. */
export function manifestSignatureVerifies(manifest: Record<string, unknown>, key: KeyObject): boolean {
  const signed = Object.fromEntries(Object.entries(manifest).filter(([k]) => !['signature', 'rekorUuid', 'skipReason'].includes(k)));
  const sig = manifest['signature'];
  assert.equal(typeof sig, 'string', 'manifest has a signature');
  return verifyRaw(key, pae(MANIFEST_PAYLOAD_TYPE, canonicalBytes(signed)), String(sig));
}

/** Verifies a DSSE envelope's first signature with `key`; returns the decoded payload. */
export function verifiedDssePayload(envelope: unknown, key: KeyObject, payloadType: string): Buffer {
  assert.ok(isRecord(envelope), 'envelope is an object');
  assert.equal(envelope['payloadType'], payloadType);
  const payload = Buffer.from(String(envelope['payload']), 'base64');
  const signatures = envelope['signatures'];
  assert.ok(Array.isArray(signatures) && signatures.length >= 1, 'envelope is signed');
  const first: unknown = signatures[0];
  assert.ok(isRecord(first) && typeof first['sig'] === 'string');
  assert.ok(verifyRaw(key, pae(payloadType, payload), first['sig']), 'the envelope signature verifies with the published key');
  return payload;
}

/** A log entry id (RFC 6962 leaf hash) the log proves included. */
export async function assertLogged(srv: TestServer, rekorUuid: unknown): Promise<void> {
  assert.match(String(rekorUuid), HEX64_RE, 'rekorUuid is a leaf hash');
  const r = await srv.request('GET', `/api/v1/log/proof/inclusion?leaf=${String(rekorUuid)}`);
  assert.equal(r.status, 200, `inclusion proof for ${String(rekorUuid)}: ${r.text.slice(0, 300)}`);
}

/** The blob store's file for a key (filesystem backend, default bucket `cas://signals`). */
export function blobPath(srv: TestServer, key: string): string {
  return join(srv.dataDir, 'cas', 'signals', ...key.split('/'));
}

// ---------------------------------------------------------------- metrics

export async function scrape(srv: TestServer): Promise<string> {
  const r = await srv.request('GET', '/metrics');
  assert.equal(r.status, 200, r.text.slice(0, 300));
  return r.text;
}

/** Sum of the samples of `name` whose labels include `labels` (others may be present). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map([...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(m[4]);
  }
  return sum;
}

/** Whether `/metrics` declares the metric with this type. */
export function metricType(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];
}
