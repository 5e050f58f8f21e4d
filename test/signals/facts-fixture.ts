/**
 * Shared set-up of the runtime-fact tests: a real app (index, blobs, keys,
 * log, locker) on SQLite or PostgreSQL, tenants, stored callgraph rows for
 * batches to name, and fact bodies.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../../src/authz/principal.js';
import type { ResolvedConfig } from '../../src/core/config.js';
import { ulidSource } from '../../src/core/ids.js';
import { CallgraphService } from '../../src/signals/callgraphs.js';
import { RuntimeFactsService } from '../../src/signals/runtime-facts.js';
import type { SignalsDeps, SignalsLimits } from '../../src/signals/deps.js';
import { dropSchema, probePostgres, SKIP_PG } from '../helpers/databases.js';
import {
  bodyOf,
  ndjsonCallgraph,
  openSignalsTestApp,
  principalOf,
  recordingSignalsEvents,
  type RecordedSignalsEvents,
  type SignalsBackend,
  type SignalsTestApp,
} from '../helpers/signals.js';

export const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const ids = ulidSource();
export const newId = (): string => ids.next();

/** Stores a small callgraph for `tenant` through the callgraph use case; batches must name one. */
export async function insertGraph(deps: SignalsDeps, tenant: string): Promise<string> {
  const { manifest } = await new CallgraphService(deps).storeCallgraph(
    principalOf('signals-service', [tenant]),
    { language: 'java', source: 'test-scanner', componentPurl: 'pkg:maven/org.example/app@1.0.0' },
    bodyOf(
      ndjsonCallgraph(3, [
        [0, 1],
        [1, 2],
      ]),
    ),
    'ndjson',
  );
  return manifest.graphId;
}

export interface FactOptions {
  readonly type?: string;
  readonly observedAt?: (i: number) => string | undefined;
  readonly symbols?: number;
}

/** `n` facts as NDJSON, one per line; symbols repeat so aggregates sum hit counts. */
export function factLinesOf(n: number, o: FactOptions = {}): string[] {
  const symbols = o.symbols ?? Math.max(1, Math.floor(n / 4));
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const fact: Record<string, unknown> = {
      symbolId: `sym:java:org.example.C${i % symbols}.m()`,
      hitCount: 1 + (i % 3),
      codeId: `code-${Math.floor(i / symbols) % 2}`,
      processName: 'java',
    };
    if (o.type !== undefined) fact['type'] = o.type;
    const observed = o.observedAt?.(i);
    if (observed !== undefined) fact['observedAt'] = observed;
    lines.push(JSON.stringify(fact));
  }
  return lines;
}

export const ndjson = (lines: readonly string[]): Buffer => Buffer.from(`${lines.join('\n')}\n`, 'utf8');

/** A request body as the server hands it on: a stream of chunks. */
export async function* chunks(bytes: Uint8Array, size = 16 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

/** A body that records whether anyone read it. */
export function watchedBody(bytes: Uint8Array): { body: AsyncIterable<Uint8Array>; read: () => boolean } {
  let touched = false;
  return {
    body: {
      [Symbol.asyncIterator]() {
        touched = true;
        return chunks(bytes)[Symbol.asyncIterator]();
      },
    },
    read: () => touched,
  };
}

export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(parts);
}

export interface FactsEnv {
  readonly t: SignalsTestApp;
  readonly service: RuntimeFactsService;
  readonly events: RecordedSignalsEvents;
  readonly agent: Principal;
  readonly graph: string;
  readonly otherGraph: string;
  close(): Promise<void>;
}

export const BACKENDS: readonly SignalsBackend[] = ['sqlite', 'postgres'];

/** Why a backend's tests are skipped (PostgreSQL unreachable and ATTESTRY_TEST_SKIP_PG=1), or false. */
export async function skipReason(backend: SignalsBackend): Promise<string | false> {
  if (backend === 'sqlite') return false;
  const unreachable = await probePostgres();
  return unreachable !== undefined && SKIP_PG ? `PostgreSQL unreachable: ${unreachable}` : false;
}

/** An app with tenants acme and other, a callgraph in each, and the runtime-facts service over it. */
export async function openFactsEnv(
  backend: SignalsBackend,
  options: { configure?: (config: ResolvedConfig) => void; limits?: Partial<SignalsLimits>; dataDir?: string; schema?: string } = {},
): Promise<FactsEnv> {
  const schema = options.schema ?? `attestry_facts_${randomBytes(6).toString('hex')}`;
  const events = recordingSignalsEvents();
  const t = await openSignalsTestApp(backend, schema, {
    tenants: ['acme', 'other'],
    events,
    ...(options.configure === undefined ? {} : { configure: options.configure }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  // With Signals writes off no callgraph can be stored; those tests are refused before the graph matters.
  const writable = t.deps.switches.writesOff === undefined;
  const graph = writable ? await insertGraph(t.deps, 'acme') : newId();
  const otherGraph = writable ? await insertGraph(t.deps, 'other') : newId();
  return {
    t,
    service: new RuntimeFactsService(t.deps),
    events,
    agent: principalOf('signals-service', ['acme']),
    graph,
    otherGraph,
    close: async () => {
      await t.close();
      if (backend === 'postgres' && options.schema === undefined) await dropSchema(schema);
    },
  };
}

export const ingestQuery = (graph: string, extra: Record<string, string> = {}) => ({
  callgraphId: graph,
  source: 'host-1.example',
  pipelineVersion: 'agent@0.9.1',
  ...extra,
});
