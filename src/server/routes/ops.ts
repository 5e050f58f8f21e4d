import type { FastifyInstance } from 'fastify';
import { pingDatabase } from '../../store/db/migrations.js';
import type { Services } from '../services.js';
import type { ServiceMetrics } from '../metrics.js';

/** Liveness, readiness, metrics and the OpenAPI document. */
export function opsRoutes(app: FastifyInstance, services: Services, metrics: ServiceMetrics, isShuttingDown: () => boolean): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'Ready when the index database and the blob store answer', tags: ['ops'] } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    let ok = !isShuttingDown();
    try {
      await pingDatabase(services.index.db);
      checks['database'] = 'ok';
    } catch (e) {
      ok = false;
      checks['database'] = (e as Error).message;
    }
    try {
      await services.blobs.ping();
      checks['blobStore'] = 'ok';
    } catch (e) {
      ok = false;
      checks['blobStore'] = (e as Error).message;
    }
    if (isShuttingDown()) checks['server'] = 'shutting down';
    void reply.code(ok ? 200 : 503);
    return { status: ok ? 'ready' : 'not ready', checks };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
