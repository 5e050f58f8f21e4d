/**
 * The real app (auth, error handler, limits) with the Signals routes on top
 * of an in-memory implementation of OUR OWN SignalsUseCases interface that
 * records what the routes hand it: for the route and CLI tests, until the
 * real use cases are wired (those are tested where they live).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { openApp, type App } from '../../src/app/open-app.js';
import type { Principal } from '../../src/authz/principal.js';
import { issueToken } from '../../src/authz/tokens.js';
import { loadConfig } from '../../src/core/config.js';
import { AttestryError } from '../../src/core/errors.js';
import { buildApp } from '../../src/server/app.js';
import { ServiceMetrics } from '../../src/server/metrics.js';
import type { CallgraphManifest, RuntimeFactProvenance, SignalsUseCases, StreamFactsQuery } from '../../src/signals/types.js';

export const GRAPH = '01HWXYZ123456789ABCDEFGHJK';
export const BATCH = '01HWXYZ123456789ABCDEFGHJM';
export const BROKEN = '01HWXYZ123456789ABCDEFGHJB';
export const SIGNALS_LIMIT = 8 * 1024 * 1024;
/** The JSON API's limit in this test: the uploads below go past it. */
export const JSON_LIMIT = 64 * 1024;

export function manifestOf(graphId: string, tenant: string): CallgraphManifest {
  return {
    graphId,
    digest: `sha256:${'7d'.repeat(32)}`,
    language: 'javascript',
    source: 'stella-callgraph-node',
    createdAt: '2025-12-19T10:00:00.000Z',
    tenantId: tenant,
    componentPurl: 'pkg:npm/%40acme/backend@1.2.3',
    entryPoints: ['src/index.js'],
    nodeCount: 2,
    edgeCount: 1,
    signerKeyId: 'signals-signer-2025-001',
    signature: 'c2ln',
    rekorUuid: 'ab'.repeat(32),
  };
}

export function provenanceOf(batchId: string, callgraphId: string): RuntimeFactProvenance {
  return {
    provenanceId: '01HWXYZ123456789ABCDEFGHJP',
    callgraphId,
    batchId,
    ingestedAt: '2025-12-19T10:00:01.000Z',
    receivedAt: '2025-12-19T10:00:00.000Z',
    tenantId: 'tenant-001',
    source: 'host-1',
    pipelineVersion: 'abc123',
    provenanceHash: `sha256:${'0f'.repeat(32)}`,
    signerKeyId: 'signals-signer-2025-001',
    rekorUuid: null,
    skipReason: 'Signals.Provenance.RekorEnabled is false',
    factCount: 1,
    factTypes: ['symbol_hit'],
  };
}

export interface Call {
  readonly op: string;
  readonly args: unknown[];
  readonly body?: Buffer;
  readonly form?: string;
}

/** A test double of our own use-case interface: records calls, reads bodies as a consumer would. */
export class RecordingUseCases implements SignalsUseCases {
  readonly calls: Call[] = [];
  readonly graphs = new Set<string>();
  readonly batches = new Set<string>();
  /** Resolves the first time a body chunk arrives (to prove the route does not wait for the whole body). */
  firstChunk: (() => void) | undefined;

  async #read(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of body) {
      this.firstChunk?.();
      this.firstChunk = undefined;
      chunks.push(Buffer.from(c));
    }
    return Buffer.concat(chunks);
  }

  last(op: string): Call {
    const c = [...this.calls].reverse().find((x) => x.op === op);
    assert.ok(c, `no ${op} call`);
    return c;
  }

  async storeCallgraph(
    p: Principal,
    q: Parameters<SignalsUseCases['storeCallgraph']>[1],
    body: AsyncIterable<Uint8Array>,
    form: 'ndjson' | 'json',
  ) {
    if (q.source === 'conflict') throw new AttestryError('E_CONFLICT', 'graph id taken with other content');
    const bytes = await this.#read(body);
    this.calls.push({ op: 'storeCallgraph', args: [p.role, q], body: bytes, form });
    const id = q.graphId ?? GRAPH;
    const created = !this.graphs.has(id);
    this.graphs.add(id);
    return { manifest: manifestOf(id, q.tenant ?? 'tenant-001'), created };
  }

  async getCallgraph(_p: Principal, graphId: string) {
    this.calls.push({ op: 'getCallgraph', args: [graphId] });
    if (graphId === BROKEN) {
      // The first lines stream out, then the stored bytes turn out not to match their digest.
      async function* failing(): AsyncGenerator<Buffer> {
        yield Buffer.from('{"kind":"node","id":"a"}\n'.repeat(2000));
        await new Promise((r) => setTimeout(r, 20));
        throw new AttestryError('E_INTEGRITY', `callgraph ${graphId}: stored content does not match its digest`);
      }
      return { manifest: manifestOf(graphId, 't1'), content: Readable.from(failing()) };
    }
    if (!this.graphs.has(graphId)) throw new AttestryError('E_NOT_FOUND', `no callgraph ${graphId}`);
    return { manifest: manifestOf(graphId, 't1'), content: Readable.from([Buffer.from('{"kind":"node","id":"a","entry":true}\n')]) };
  }

  async getManifest(_p: Principal, graphId: string) {
    this.calls.push({ op: 'getManifest', args: [graphId] });
    return manifestOf(graphId, 't1');
  }

  async getManifestEnvelope(_p: Principal, graphId: string) {
    this.calls.push({ op: 'getManifestEnvelope', args: [graphId] });
    return Buffer.from(JSON.stringify({ payloadType: 'application/vnd.attestry.callgraph-manifest+json', payload: '', signatures: [] }));
  }

  async findByPurl(
    _p: Principal,
    purl: string,
    q: { tenant?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
  ) {
    this.calls.push({ op: 'findByPurl', args: [purl, q] });
    return { items: [manifestOf(GRAPH, 't1')], next: q.limit === 1 ? 'page-2' : undefined };
  }

  async ingestFacts(
    p: Principal,
    q: Parameters<SignalsUseCases['ingestFacts']>[1],
    body: AsyncIterable<Uint8Array>,
    form: 'ndjson' | 'json',
  ) {
    const bytes = await this.#read(body);
    this.calls.push({ op: 'ingestFacts', args: [p.role, q], body: bytes, form });
    const id = q.batchId ?? BATCH;
    const created = !this.batches.has(id);
    this.batches.add(id);
    return { provenance: provenanceOf(id, q.callgraphId ?? GRAPH), created };
  }

  async getBatch(_p: Principal, batchId: string) {
    this.calls.push({ op: 'getBatch', args: [batchId] });
    return {
      provenance: provenanceOf(batchId, GRAPH),
      content: Readable.from([Buffer.from('{"symbolId":"s"}\n')]),
      form: 'ndjson' as const,
    };
  }

  async getProvenance(_p: Principal, batchId: string) {
    this.calls.push({ op: 'getProvenance', args: [batchId] });
    return provenanceOf(batchId, GRAPH);
  }

  async getAttestation(_p: Principal, batchId: string) {
    this.calls.push({ op: 'getAttestation', args: [batchId] });
    return Buffer.from('{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"AA=="}]}');
  }

  async streamFacts(_p: Principal, q: StreamFactsQuery) {
    this.calls.push({ op: 'streamFacts', args: [q] });
    const lines = Array.from({ length: 3 }, (_, i) => Buffer.from(`{"symbolId":"s${i}"}\n`));
    return { next: q.limit === undefined || q.cursor !== undefined ? undefined : 'cursor-2', body: Readable.from(lines) };
  }
}

export interface SignalsTestServer {
  readonly base: string;
  readonly token: string;
  readonly uc: RecordingUseCases;
  readonly app: FastifyInstance;
  stop(): Promise<void>;
}

/** The app on a fresh data directory, Server.BodyLimitBytes = JSON_LIMIT, the Signals limits SIGNALS_LIMIT, a signals-service token for tenant t1. */
export async function startSignalsRoutesServer(): Promise<SignalsTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-signals-routes-'));
  const config = loadConfig({ env: {}, dataDir, port: 0 });
  config.Server.LogLevel = 'silent';
  config.Server.BodyLimitBytes = JSON_LIMIT;
  const services: App = await openApp(config);
  const uc = new RecordingUseCases();
  // The app's own routes over a stand-in for the use cases, with small limits.
  const app = await buildApp({
    services,
    metrics: new ServiceMetrics(),
    logLevel: process.env['TEST_LOG'] ?? 'silent',
    signals: { useCases: uc, limits: { maxCallgraphBytes: SIGNALS_LIMIT, maxBatchBytes: SIGNALS_LIMIT } },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  await services.repos.tenants.add('t1', null, services.clock.now());
  const token = (await issueToken(services.repos, { principal: 'signals-service', tenants: ['t1'] }, services)).token;
  return {
    base,
    token,
    uc,
    app,
    stop: async () => {
      await app.close();
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
