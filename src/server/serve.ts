import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ResolvedConfig } from '../core/config.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { AttestryError } from '../core/errors.js';
import { issueToken } from '../authz/tokens.js';
import { ALL_TENANTS } from '../authz/principal.js';
import { buildApp } from './app.js';
import { ServiceMetrics } from './metrics.js';
import { writeProbeFor, type WriteProbeResult } from './write-probe.js';
import { openServices, type IndexServices, type Services } from './services.js';

export interface Bootstrap {
  readonly createdTenant: string | undefined;
  /** Path of the file holding the first admin token, when this start wrote it (the token itself is never logged). */
  readonly adminTokenFile: string | undefined;
  /**
   * Where the bootstrap admin token is, on every start: the file in the data
   * directory if it is still there (`created` on this start or an earlier one),
   * or undefined when it was removed or never written (tokens existed first).
   */
  readonly adminToken: { readonly file: string; readonly created: boolean } | undefined;
}

/**
 * First start on an empty index: a `default` tenant and an admin token, so a
 * laptop user can call the API at once. The token goes to a 0600 file in the
 * data directory, not to the log.
 */
export async function bootstrapIndex(services: IndexServices): Promise<Bootstrap> {
  const { repos, config } = services;
  let createdTenant: string | undefined;
  if ((await repos.tenants.list()).length === 0) {
    try {
      await repos.tenants.add('default', 'created on first start', services.clock.now());
      createdTenant = 'default';
    } catch (e) {
      // Another node starting on the same database created it first.
      if (!(e instanceof AttestryError && e.code === 'E_CONFLICT')) throw e;
    }
  }
  let adminTokenFile: string | undefined;
  const tokenFile = join(config.dataDir, 'admin-token');
  if ((await repos.tokens.list()).length === 0) {
    const issued = await issueToken(repos, { principal: 'admin', tenants: [ALL_TENANTS], label: 'bootstrap admin token' }, services);
    adminTokenFile = tokenFile;
    writeFileAtomic(adminTokenFile, `${issued.token}\n`, 0o600);
  }
  const adminToken =
    adminTokenFile !== undefined
      ? { file: adminTokenFile, created: true }
      : existsSync(tokenFile)
        ? { file: tokenFile, created: false }
        : undefined;
  return { createdTenant, adminTokenFile, adminToken };
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly url: string;
  readonly bootstrap: Bootstrap;
  /** The data directory's write probe at start (problems also go to the log). */
  readonly writable: WriteProbeResult;
  /**
   * Stops accepting (new requests on open connections get 503), lets every
   * locker operation already started finish, then closes the stores.
   */
  close(): Promise<void>;
}

export async function startServer(config: ResolvedConfig, options: { logLevel?: string } = {}): Promise<RunningServer> {
  const metrics = new ServiceMetrics();
  const services = await openServices(config, { events: metrics });
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
  let closing: Promise<void> | undefined;
  return {
    app,
    services,
    url: `http://${host}:${port}`,
    bootstrap,
    writable,
    close: () => {
      closing ??= (async () => {
        shuttingDown = true;
        await app.close();
        await services.close();
      })();
      return closing;
    },
  };
}
