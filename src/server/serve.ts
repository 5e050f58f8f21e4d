import type { FastifyInstance } from 'fastify';
import type { ResolvedConfig } from '../core/config.js';
import { AttestryError } from '../core/errors.js';
import { bootstrapIndex, type Bootstrap } from '../app/bootstrap.js';
import { startGcJob, type GcJob } from '../app/gc-job.js';
import type { RunningService } from '../app/service.js';
import { buildApp } from './app.js';
import { ServiceMetrics } from './metrics.js';
import { writeProbeFor, type WriteProbeResult } from './write-probe.js';
import { openApp, type App } from '../app/open-app.js';

export { bootstrapIndex, type Bootstrap };

export interface RunningServer extends RunningService {
  readonly app: FastifyInstance;
  readonly services: App;
  readonly url: string;
  readonly bootstrap: Bootstrap;
  /** The data directory's write probe at start (problems also go to the log). */
  readonly writable: WriteProbeResult;
  /** The scheduled GC (Gc.*); undefined when Gc.Enabled is false. */
  readonly gc: GcJob | undefined;
  /**
   * Stops accepting (new requests on open connections get 503), lets every
   * locker operation already started finish, stops the scheduled GC (waiting
   * for a run in progress), then closes the stores.
   */
  close(): Promise<void>;
}

export interface StartServerOptions {
  readonly logLevel?: string;
  /** Overrides Gc.IntervalMinutes (tests run the job every few milliseconds). */
  readonly gcIntervalMs?: number;
}

export async function startServer(config: ResolvedConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const metrics = new ServiceMetrics();
  const services = await openApp(config, { events: metrics, signalsEvents: metrics });
  metrics.watchLog(async () => (await services.tlog.reader.state()).size);
  let shuttingDown = false;
  let app: FastifyInstance;
  let bootstrap: Bootstrap;
  try {
    bootstrap = await bootstrapIndex(services);
    app = await buildApp({
      services,
      metrics,
      isShuttingDown: () => shuttingDown,
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    });
    await app.listen({ host: config.Server.Host, port: config.Server.Port });
  } catch (e) {
    await services.close();
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'EADDRINUSE' || errno === 'EACCES' || errno === 'EADDRNOTAVAIL') {
      throw new AttestryError(
        'E_UNAVAILABLE',
        `cannot listen on ${config.Server.Host}:${config.Server.Port} (${errno}); choose another with --port or Server.Port`,
        { cause: e },
      );
    }
    throw e;
  }
  // A full or read-only disk does not stop the start (reads still work) but is said at once, and /readyz is 503.
  const writable = await writeProbeFor(config).check();
  for (const problem of writable.problems)
    app.log.warn({ code: problem.code }, `data directory not writable: ${problem.message}; /readyz reports 503 until it is`);
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.Server.Port;
  const host = config.Server.Host.includes(':') ? `[${config.Server.Host}]` : config.Server.Host;
  const gc = config.Gc.Enabled
    ? startGcJob(services, app.log, {
        intervalMs: options.gcIntervalMs ?? config.Gc.IntervalMinutes * 60_000,
        minAgeMs: config.Gc.MinAgeSeconds * 1000,
        clock: services.clock,
      })
    : undefined;
  if (gc !== undefined) metrics.watchGc(gc);
  let closing: Promise<void> | undefined;
  return {
    app,
    log: app.log,
    services,
    url: `http://${host}:${port}`,
    bootstrap,
    writable,
    gc,
    close: () => {
      closing ??= (async () => {
        shuttingDown = true;
        // No new run starts while requests drain; one in progress finishes before the stores close.
        await Promise.all([app.close(), gc?.stop()]);
        await services.close();
      })();
      return closing;
    },
  };
}
