import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { App } from '../../app/open-app.js';
import { routeSchema } from '../route-schema.js';
import type { ServiceMetrics } from '../metrics.js';
import { writeProbeFor } from '../write-probe.js';

/** Liveness, readiness, metrics and the OpenAPI document. */
export function opsRoutes(app: FastifyInstance, services: App, metrics: ServiceMetrics, isShuttingDown: () => boolean): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process serves HTTP',
        tags: ['ops'],
        response: { 200: routeSchema(z.object({ status: z.literal('ok') })) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const probe = writeProbeFor(services.config);
  let lastState = '';
  const Readiness = routeSchema(z.object({ status: z.string(), checks: z.record(z.string(), z.string()) }));
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Ready when the index database and the blob store answer and the data directory takes a write (probed at most every 2 s)',
        tags: ['ops'],
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {};
      const problems: string[] = [];
      let ok = !isShuttingDown();
      try {
        await services.pingIndex();
        checks['database'] = 'ok';
      } catch (e) {
        ok = false;
        checks['database'] = 'unreachable';
        problems.push(`database: ${(e as Error).message}`);
      }
      try {
        await services.blobs.ping();
        checks['blobStore'] = 'ok';
      } catch (e) {
        ok = false;
        checks['blobStore'] = 'unreachable';
        problems.push(`blob store: ${(e as Error).message}`);
      }
      // A full or read-only disk still answers reads; only a write shows it.
      const writable = await probe.check();
      checks['dataDir'] = writable.ok ? 'ok' : writable.problems.map((p) => p.message).join('; ');
      if (!writable.ok) {
        ok = false;
        problems.push(...writable.problems.map((p) => `data directory: ${p.message}`));
      }
      // Pollers call this every few seconds: log when readiness changes, not on every call.
      const state = problems.join('; ');
      if (state !== lastState) {
        if (state === '') app.log.info('ready again');
        else app.log.warn({ problems }, 'not ready');
        lastState = state;
      }
      if (isShuttingDown()) checks['server'] = 'shutting down';
      void reply.code(ok ? 200 : 503);
      return { status: ok ? 'ready' : 'not ready', checks };
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus text format: process metrics, per-route latency, seed 000 §8.1 metrics', tags: ['ops'] } },
    async (_request, reply) => {
      void reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
