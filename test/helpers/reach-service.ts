/**
 * A real app (SQLite or PostgreSQL, its own data dir / schema) with tenants
 * acme and other, and the use cases a reachability answer needs: callgraphs
 * and runtime facts stored through the Signals use cases, answers through
 * the app's reachability module. Shared by test/signals/reachability*.test.ts
 * (and usable by the HTTP/CLI/verdict tests).
 */
import { randomBytes } from 'node:crypto';
import { reachabilityModule } from '../../src/app/reachability-module.js';
import type { Principal } from '../../src/authz/principal.js';
import type { ResolvedConfig } from '../../src/core/config.js';
import type { Role } from '../../src/core/roles.js';
import { CallgraphService } from '../../src/signals/callgraphs.js';
import type { ReachabilityUseCases } from '../../src/signals/reach-types.js';
import { RuntimeFactsService } from '../../src/signals/runtime-facts.js';
import type { RuntimeFactProvenance } from '../../src/signals/types.js';
import { dropSchema, probePostgres, SKIP_PG } from './databases.js';
import { graphNdjson, type EdgeSpec, type NodeSpec } from './reach-graphs.js';
import { bodyOf, openSignalsTestApp, principalOf, type SignalsBackend, type SignalsTestApp } from './signals.js';

export const REACH_BACKENDS: readonly SignalsBackend[] = ['sqlite', 'postgres'];

/** Why a backend's tests are skipped (PostgreSQL unreachable and ATTESTRY_TEST_SKIP_PG=1), or false. */
export async function reachSkip(backend: SignalsBackend): Promise<string | false> {
  if (backend === 'sqlite') return false;
  const unreachable = await probePostgres();
  return unreachable !== undefined && SKIP_PG ? `PostgreSQL unreachable: ${unreachable}` : false;
}

/** One runtime fact of a batch: a symbol seen `hitCount` times, optionally when. */
export interface FactSpec {
  readonly symbolId: string;
  readonly hitCount?: number;
  readonly observedAt?: string;
}

export interface ReachEnv {
  readonly t: SignalsTestApp;
  readonly reach: ReachabilityUseCases;
  readonly callgraphs: CallgraphService;
  readonly facts: RuntimeFactsService;
  /** signals-service for a tenant (default acme). */
  readonly service: (tenant?: string) => Principal;
  readonly as: (role: Role, tenants?: readonly string[] | '*') => Principal;
  storeGraph(nodes: readonly NodeSpec[], edges: readonly EdgeSpec[], options?: { tenant?: string; purl?: string }): Promise<string>;
  ingest(
    graph: string,
    facts: readonly FactSpec[],
    options?: { tenant?: string; source?: string; receivedAt?: string },
  ): Promise<RuntimeFactProvenance>;
  close(): Promise<void>;
}

export const DEFAULT_PURL = 'pkg:maven/org.example/app@1.0.0';

export async function openReachEnv(
  backend: SignalsBackend,
  options: { configure?: (config: ResolvedConfig) => void } = {},
): Promise<ReachEnv> {
  const schema = `attestry_reach_${randomBytes(6).toString('hex')}`;
  const t = await openSignalsTestApp(backend, schema, {
    tenants: ['acme', 'other'],
    ...(options.configure === undefined ? {} : { configure: options.configure }),
  });
  const callgraphs = new CallgraphService(t.deps);
  const facts = new RuntimeFactsService(t.deps);
  const service = (tenant = 'acme'): Principal => principalOf('signals-service', [tenant]);
  return {
    t,
    reach: t.app.useCases(reachabilityModule),
    callgraphs,
    facts,
    service,
    as: (role, tenants = ['acme']) => principalOf(role, tenants),
    async storeGraph(nodes, edges, o = {}) {
      const tenant = o.tenant ?? 'acme';
      const { manifest } = await callgraphs.storeCallgraph(
        principalOf('scanner-worker', [tenant]),
        { language: 'java', source: 'test-scanner', componentPurl: o.purl ?? DEFAULT_PURL },
        bodyOf(graphNdjson(nodes, edges)),
        'ndjson',
      );
      return manifest.graphId;
    },
    async ingest(graph, specs, o = {}) {
      const lines = specs.map((f) =>
        JSON.stringify({
          symbolId: f.symbolId,
          hitCount: f.hitCount ?? 1,
          codeId: 'code-0',
          processName: 'java',
          ...(f.observedAt === undefined ? {} : { observedAt: f.observedAt }),
        }),
      );
      const { provenance } = await facts.ingestFacts(
        service(o.tenant),
        {
          callgraphId: graph,
          source: o.source ?? 'host-1.example',
          pipelineVersion: 'agent@1.0.0',
          ...(o.receivedAt === undefined ? {} : { receivedAt: new Date(o.receivedAt) }),
        },
        bodyOf(`${lines.join('\n')}\n`),
        'ndjson',
      );
      return provenance;
    },
    close: async () => {
      await t.close();
      if (backend === 'postgres') await dropSchema(schema);
    },
  };
}
