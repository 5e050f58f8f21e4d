/** `attestry serve` and `attestry db migrate`. */
import { join } from 'node:path';
import { Command } from 'commander';
import type { StartService } from '../../app/service.js';
import { LOG_SWITCH } from '../../app/evidence-policy.js';
import type { App } from '../../app/open-app.js';
import { emit } from '../output.js';
import { run } from '../run.js';
import { configFrom, portOption, withIndex, withServiceOptions, type ServiceFlags } from '../service-options.js';

/** `startServer` is the HTTP service's, handed in by the entry point (the CLI does not import the server). */
export function serveCommand(startServer: StartService): Command {
  return withServiceOptions(
    new Command('serve')
      .description(
        'run the HTTP service (embedded defaults: SQLite + filesystem store in the data directory; keys and an admin token are created on first start)',
      )
      .option('--port <n>', 'TCP port (0 picks a free one); also ATTESTRY_PORT', portOption)
      .option('--host <addr>', 'address to listen on (default 127.0.0.1)')
      .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent'),
  ).action((flags: ServiceFlags & { host?: string; logLevel?: string }) =>
    run(flags, async () => {
      const config = configFrom(flags);
      if (flags.host !== undefined) config.Server.Host = flags.host;
      const server = await startServer(config, flags.logLevel === undefined ? {} : { logLevel: flags.logLevel });
      const { bootstrap, services, url } = server;
      // Printed only once SIGTERM/SIGINT are handled: a supervisor that signals as soon as it reads
      // this line must get a graceful shutdown, not the default action of an unhandled signal.
      const printBanner = (): void =>
        emit(
          flags,
          {
            ok: true,
            url,
            dataDir: config.dataDir,
            database: services.index.location,
            blobStore: services.blobs.location,
            signingKey: services.signingKey.keyId,
            log: { enabled: services.tlog.enabled, origin: services.tlog.origin, verifierKey: services.tlog.key.verifierKey },
            adminTokenFile: bootstrap.adminTokenFile ?? null,
            adminToken: bootstrap.adminToken ?? null,
            writable: server.writable.ok,
          },
          () =>
            [
              `attestry listening on ${url}`,
              `  data        ${config.dataDir}`,
              `  index       ${services.index.driver} ${services.index.location}`,
              `  blob store  ${services.blobs.backend} ${services.blobs.location}`,
              `  signing key ${services.signingKey.keyId} (${services.signingKey.algorithm}${services.signingKey.created ? ', created now' : ''})`,
              `  log         ${logLine(services)}, key ${services.tlog.key.verifierKey}${services.tlog.key.created ? ' (created now)' : ''}`,
              `  timestamps  RFC 3161 at ${url}/api/v1/timestamp (TSA chain ${join(config.dataDir, 'keys', 'tsa', 'chain.pem')}${services.tsa.created ? ', created now' : ''})`,
              `  console     ${url}/console/ (sign in with an API token)`,
              ...(bootstrap.createdTenant ? [`  tenant      ${bootstrap.createdTenant} (created on first start)`] : []),
              // Every start says where the admin token is; the token itself is never printed.
              bootstrap.adminToken === undefined
                ? `  admin token none in ${config.dataDir}; make one with: attestry token create --principal admin --tenant '*' --data-dir ${config.dataDir}`
                : bootstrap.adminToken.created
                  ? `  admin token written to ${bootstrap.adminToken.file} (shown nowhere else; keep it secret)`
                  : `  admin token in ${bootstrap.adminToken.file} (written on first start)`,
              ...server.writable.problems.map((p) => `  WARNING     ${p.message}: writes will fail and /readyz is 503`),
              ...(bootstrap.adminToken?.created === true
                ? [
                    '',
                    'Try:',
                    `  curl -s ${url}/api/v1/keys`,
                    `  curl -s ${url}/tlog/checkpoint`,
                    `  curl -s -H "Authorization: Bearer $(cat ${bootstrap.adminToken.file})" "${url}/api/v1/attestations?subject=sha256:<hex>"`,
                    `  open ${url}/docs for the API reference`,
                  ]
                : []),
            ].join('\n'),
        );
      let signals = 0;
      const stop = (signal: string): void => {
        signals += 1;
        if (signals > 1) process.exit(1);
        server.log.info({ signal }, 'shutting down: finishing in-flight requests');
        const timer = setTimeout(() => {
          server.log.error({}, 'graceful shutdown timed out');
          process.exit(1);
        }, config.Server.ShutdownGraceMs);
        timer.unref();
        server.close().then(
          () => process.exit(0),
          (e: unknown) => {
            server.log.error({ err: e }, 'error during shutdown');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      printBanner();
    }),
  );
}

/** The banner's log line: the origin, or which key turned logging off (for all kinds, or for the kinds it governs). */
function logLine(services: App): string {
  const { tlog, policy } = services;
  if (!tlog.enabled) return `off (${LOG_SWITCH}: false)`;
  const unlogged = policy.loggingOffBy.map((off) => `${off.kinds.join(', ')} unlogged (${off.key}: false)`);
  return [tlog.origin, ...unlogged].join('; ');
}

export function dbCommand(): Command {
  const cmd = new Command('db').description('index database maintenance');
  withServiceOptions(cmd.command('migrate').description('apply pending schema migrations (serve also does this on start)')).action(
    (flags: ServiceFlags) =>
      run(flags, () =>
        withIndex(
          flags,
          async (s) => {
            emit(
              flags,
              { ok: true, driver: s.index.driver, location: s.index.location, applied: s.migration.applied, current: s.migration.current },
              () =>
                s.migration.applied.length === 0
                  ? `${s.index.location} is up to date (${s.migration.current ?? 'no migrations'})`
                  : `applied ${s.migration.applied.join(', ')} to ${s.index.location}`,
            );
          },
          { create: true },
        ),
      ),
  );
  return cmd;
}
