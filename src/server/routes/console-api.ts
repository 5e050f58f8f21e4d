/**
 * The reads the console needs that no other route gives: one search box over
 * every kind of id, the server-side chain check behind its verify button,
 * the log's growth, and the Signals overview from the metrics registry that
 * /metrics serves. Thin adapters: the work is in src/app/console-*.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actsFor } from '../../authz/principal.js';
import { searchEvidence, type SearchDeps } from '../../app/console-search.js';
import { verifyBatchChain, verifyEvidenceChain, type VerifyDeps } from '../../app/console-verify.js';
import { checkpointStatus } from '../../tlog/checkpoint-status.js';
import type { LogReader } from '../../tlog/log-reader.js';
import { MAX_GROWTH_POINTS, type GrowthPoint } from '../../tlog/log-growth.js';
import type { NoteVerifierKey } from '../../tlog/note.js';
import type { AuthHook } from '../auth.js';
import type { ServiceMetrics } from '../metrics.js';
import { routeSchema } from '../route-schema.js';
import { ErrorReplySchema } from '../schemas.js';

const errors = { 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };
const SearchQuery = z.object({ q: z.string().min(1).max(2048).describe('a sha256: subject digest, a pkg: URL, or an id') });
const VerifyBody = z.object({
  type: z.enum(['batch', 'evidence']).describe('batch: the runtime-fact chain; evidence: any stored record'),
  id: z.string().min(1).max(256),
});
const GrowthQuery = z.object({
  points: z
    .string()
    .regex(/^[0-9]{1,3}$/)
    .describe(`samples (default 60, at most ${MAX_GROWTH_POINTS})`)
    .optional(),
});
const loose = routeSchema(z.looseObject({}));

export interface ConsoleApiDeps extends SearchDeps, VerifyDeps {
  /** The log's growth in at most `points` samples (logGrowth over the index). */
  readonly growth: (points: number) => Promise<GrowthPoint[]>;
  readonly metrics: ServiceMetrics;
  readonly logReader: LogReader;
  readonly witnesses: readonly NoteVerifierKey[];
}

type Sample = { value: number; labels: Record<string, string | number> };
async function samples(metrics: ServiceMetrics, name: string): Promise<Sample[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return [];
  const got = await metric.get();
  return got.values.map((v) => ({ value: v.value, labels: v.labels as Record<string, string | number> }));
}

export async function consoleApiRoutes(app: FastifyInstance, deps: ConsoleApiDeps, requireAuth: AuthHook): Promise<void> {
  const tags = ['console'];
  const security = [{ bearer: [] }];

  app.get<{ Querystring: z.infer<typeof SearchQuery> }>(
    '/console/api/search',
    {
      onRequest: requireAuth,
      schema: {
        summary: 'Finds evidence by subject digest, PURL, callgraph id, batch id, evidence id or AI artifact id',
        tags,
        security,
        querystring: routeSchema(SearchQuery),
        response: { 200: loose, ...errors },
      },
    },
    async (request) => searchEvidence(deps, request.principal!, request.query.q),
  );

  app.post<{ Body: z.infer<typeof VerifyBody> }>(
    '/console/api/verify',
    {
      onRequest: requireAuth,
      bodyLimit: 4096,
      schema: {
        summary: "Verifies a stored object's chain on the server (blob, provenance, DSSE, log entry, checkpoint), step by step",
        tags,
        security,
        body: routeSchema(VerifyBody),
        response: { 200: loose, ...errors },
      },
    },
    async (request) => {
      const { type, id } = request.body;
      return type === 'batch' ? verifyBatchChain(deps, request.principal!, id) : verifyEvidenceChain(deps, request.principal!, id);
    },
  );

  app.get<{ Querystring: z.infer<typeof GrowthQuery> }>(
    '/console/api/log/growth',
    {
      onRequest: requireAuth,
      schema: {
        summary: "The log's size over time, sampled from the checkpoints it signed",
        tags,
        security,
        querystring: routeSchema(GrowthQuery),
        response: { 200: loose, ...errors },
      },
    },
    async (request) => ({ points: await deps.growth(request.query.points === undefined ? 60 : Number(request.query.points)) }),
  );

  app.get(
    '/console/api/log/checkpoint',
    {
      onRequest: requireAuth,
      schema: {
        summary: "The latest signed checkpoint, and each signature's status against the log's key and its witnesses'",
        tags,
        security,
        response: { 200: loose, ...errors },
      },
    },
    async () => checkpointStatus((await deps.logReader.state()).checkpoint, deps.logKey, deps.witnesses),
  );

  app.get(
    '/console/api/overview',
    {
      onRequest: requireAuth,
      schema: {
        summary:
          'Signals at a glance, from the metrics /metrics serves: callgraphs, batches and facts per tenant, the log, the last GC run',
        tags,
        security,
        response: { 200: loose, ...errors },
      },
    },
    async (request) => {
      const principal = request.principal!;
      const tenants = new Map<string, { callgraphs: number; batches: number; facts: number }>();
      const add = (rows: Sample[], field: 'callgraphs' | 'batches' | 'facts'): void => {
        for (const r of rows) {
          const tenant = String(r.labels['tenant'] ?? '');
          if (tenant === '' || !actsFor(principal, tenant)) continue;
          const t = tenants.get(tenant) ?? { callgraphs: 0, batches: 0, facts: 0 };
          t[field] += r.value;
          tenants.set(tenant, t);
        }
      };
      add(await samples(deps.metrics, 'signals_callgraphs_stored_total'), 'callgraphs');
      add(await samples(deps.metrics, 'signals_runtime_facts_batches_total'), 'batches');
      add(await samples(deps.metrics, 'signals_runtime_facts_ingested_total'), 'facts');
      const one = async (name: string): Promise<number | null> => (await samples(deps.metrics, name))[0]?.value ?? null;
      const lastRun = await one('attestry_gc_last_run_timestamp_seconds');
      return {
        at: new Date().toISOString(),
        uptimeSeconds: Math.round(process.uptime()),
        tenants: [...tenants.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([tenant, t]) => ({ tenant, ...t })),
        logSize: await one('attestry_tlog_tree_size'),
        gc: {
          enabled: lastRun !== null,
          runs: await one('attestry_gc_runs'),
          lastRunAt: lastRun === null || lastRun === 0 ? null : new Date(lastRun * 1000).toISOString(),
          lastRemovedBlobs: await one('attestry_gc_last_run_removed_blobs'),
          lastFailed: (await one('attestry_gc_last_run_failed')) === 1,
        },
      };
    },
  );
}
