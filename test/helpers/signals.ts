/**
 * Signals use cases over a real app (openApp: index, blobs, keyring, log,
 * locker), the way the Signals AppModule wires them, for tests that run
 * before or without that module. Shared by the callgraph and fact tests.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, type App } from '../../src/app/open-app.js';
import { signalsDeps } from '../../src/app/signals-module.js';
import { loadConfig, type ResolvedConfig } from '../../src/core/config.js';
import { AttestryError, type ErrorCode } from '../../src/core/errors.js';
import type { Principal } from '../../src/authz/principal.js';
import type { Role } from '../../src/core/roles.js';
import type { SignalsDeps, SignalsLimits } from '../../src/signals/deps.js';
import type { SignalsEvents } from '../../src/signals/events.js';
import { PG_URL } from './databases.js';

/** Every event the use cases reported, in order, for assertions. */
export interface RecordedSignalsEvents extends SignalsEvents {
  readonly calls: { readonly name: keyof SignalsEvents; readonly args: readonly unknown[] }[];
}

export function recordingSignalsEvents(): RecordedSignalsEvents {
  const calls: RecordedSignalsEvents['calls'] = [];
  const record =
    (name: keyof SignalsEvents) =>
    (...args: unknown[]): void => {
      calls.push({ name, args });
    };
  return {
    calls,
    callgraphStored: record('callgraphStored'),
    factsIngested: record('factsIngested'),
    batchStored: record('batchStored'),
    provenanceRecorded: record('provenanceRecorded'),
    attestationCreated: record('attestationCreated'),
    casOperation: record('casOperation'),
  };
}

/** SignalsDeps from an open app: its stores, locker and kinds, and the `Signals.Signing.KeyId` key (the app's service key). */
export function signalsDepsFromApp(
  app: App,
  options: { events?: SignalsEvents; limits?: Partial<SignalsLimits> } = {},
): SignalsDeps & { readonly events: SignalsEvents } {
  // The app's own wiring (src/app/signals-module.ts), with events recorded for assertions.
  return signalsDeps(app, { events: options.events ?? recordingSignalsEvents(), limits: options.limits });
}

export type SignalsBackend = 'sqlite' | 'postgres';

/** A config on a fresh data directory; PostgreSQL gets a schema of its own (drop it with dropSchema). */
export function signalsTestConfig(
  backend: SignalsBackend,
  dataDir: string,
  pgSchema: string,
  configure?: (config: ResolvedConfig) => void,
): ResolvedConfig {
  const env: Record<string, string> =
    backend === 'postgres' ? { ATTESTRY_DATABASE_URL: PG_URL, ATTESTRY__Storage__Database__Schema: pgSchema } : {};
  const config = loadConfig({ env, dataDir });
  config.Server.LogLevel = 'silent';
  configure?.(config);
  return config;
}

export interface SignalsTestApp {
  readonly app: App;
  readonly deps: SignalsDeps & { readonly events: SignalsEvents };
  readonly dataDir: string;
  close(): Promise<void>;
}

/** Opens an app on a fresh (or the given) data directory with the given tenants registered. */
export async function openSignalsTestApp(
  backend: SignalsBackend,
  pgSchema: string,
  options: {
    tenants?: readonly string[];
    configure?: (config: ResolvedConfig) => void;
    events?: SignalsEvents;
    limits?: Partial<SignalsLimits>;
    /** Reopen an existing data directory (a restart); it is then left in place on close. */
    dataDir?: string;
  } = {},
): Promise<SignalsTestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'attestry-signals-'));
  const app = await openApp(signalsTestConfig(backend, dataDir, pgSchema, options.configure), { verifyThreads: 1 });
  for (const t of options.tenants ?? []) {
    if ((await app.repos.tenants.get(t)) === undefined) await app.repos.tenants.add(t, null, app.clock.now());
  }
  const deps = signalsDepsFromApp(app, {
    ...(options.events === undefined ? {} : { events: options.events }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return {
    app,
    deps,
    dataDir,
    close: async () => {
      await app.close();
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A principal of a role acting for the given tenants (as a bearer token would resolve). */
export function principalOf(role: Role, tenants: readonly string[] | '*'): Principal {
  return { tokenId: `test-${role}`, role, tenants };
}

/** A callgraph in the NDJSON upload form: `nodes` nodes n0…, the first `entries` of them entry points, and the given edges by index. */
export function ndjsonCallgraph(nodes: number, edges: readonly (readonly [number, number])[], entries = 1): string {
  const lines: string[] = [];
  for (let i = 0; i < nodes; i++) lines.push(JSON.stringify({ kind: 'node', id: `n${i}`, symbol: `sym:js:f${i}`, entry: i < entries }));
  for (const [from, to] of edges) lines.push(JSON.stringify({ kind: 'edge', from: `n${from}`, to: `n${to}` }));
  return `${lines.join('\n')}\n`;
}

/** A body streamed in chunks of `chunkBytes`. */
export async function* bodyOf(data: string | Uint8Array, chunkBytes = 16 * 1024): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
}

/** A body that records whether anyone started reading it (switches and validation refuse before that). */
export function tripwireBody(data = '{}\n'): { readonly body: AsyncIterable<Uint8Array>; readonly read: () => boolean } {
  let read = false;
  return {
    body: {
      [Symbol.asyncIterator]() {
        read = true;
        return bodyOf(data)[Symbol.asyncIterator]();
      },
    },
    read: () => read,
  };
}

/** Collects a stream into one buffer. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** The fields of a callgraph manifest (seed 000 §4.2), written out here so a test fails if the code drifts from the spec. */
export const MANIFEST_FIELDS: readonly string[] = [
  'graphId',
  'digest',
  'language',
  'source',
  'createdAt',
  'tenantId',
  'componentPurl',
  'entryPoints',
  'nodeCount',
  'edgeCount',
  'signerKeyId',
  'signature',
  'rekorUuid',
];

/** The fields of a runtime-fact provenance record (seed 000 §5), kept apart from the code for the same reason. */
export const PROVENANCE_FIELDS: readonly string[] = [
  'provenanceId',
  'callgraphId',
  'batchId',
  'ingestedAt',
  'receivedAt',
  'tenantId',
  'source',
  'pipelineVersion',
  'provenanceHash',
  'signerKeyId',
  'rekorUuid',
  'skipReason',
  'factCount',
  'factTypes',
];

/** For assert.rejects: an AttestryError with this code and, if given, a message matching pattern. */
export const hasCode =
  (c: string, pattern?: RegExp) =>
  (e: unknown): boolean =>
    e instanceof AttestryError && e.code === c && (pattern === undefined || pattern.test(e.message));

/** For assert.rejects: like hasCode, also checking the HTTP status, and saying which part differs. */
export function rejectsWith(code: ErrorCode, status: number, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof AttestryError, `expected an AttestryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.httpStatus, status);
    if (pattern !== undefined) assert.match(e.message, pattern);
    return true;
  };
}
