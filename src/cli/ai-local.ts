/**
 * The AI commands' local mode: the app opened in-process on `--data-dir`
 * (created on first use, with the `default` tenant, like a first `serve`),
 * acting as the ai-service role for one tenant.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { aiModule } from '../app/ai-module.js';
import { bootstrapIndex } from '../app/bootstrap.js';
import { openApp, type App } from '../app/open-app.js';
import type { AiUseCases } from '../ai/use-cases.js';
import type { Principal } from '../authz/principal.js';
import { writeFileAtomic } from '../core/atomic-file.js';
import { AttestryError } from '../core/errors.js';
import { parseTenantId } from '../core/tenant.js';
import { parseJsonText } from '../core/validation.js';
import { readTextFileBounded } from '../core/bounded-read.js';
import type { Command } from 'commander';
import { RemoteAi } from './ai-remote.js';
import { configFrom, type ServiceFlags } from './service-options.js';

export interface LocalAi {
  readonly ai: AiUseCases;
  readonly principal: Principal;
  /** Undefined with --server and no --tenant: the server takes the token's only tenant. */
  readonly tenant: string | undefined;
  /** Where copies of what was made go by default (`<dir>/evidence`): the data directory, or with --server the working directory. */
  readonly dataDir: string;
}

export interface AiFlags extends ServiceFlags {
  tenant?: string;
  server?: string;
  token?: string;
}

/** `--server` and `--token`: the AI commands run on a service instead of the data directory. */
export function withAiServerOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'run on this attestry service instead of --data-dir (token: --token or ATTESTRY_TOKEN)')
    .option('--token <token>', 'API token for --server; better: ATTESTRY_TOKEN (keeps it out of the process list)');
}

/** Runs `body` on the service named by --server, else in-process on the data directory. */
export async function withAi<T>(flags: AiFlags, body: (l: LocalAi) => Promise<T>): Promise<T> {
  if (flags.server === undefined) return withLocalAi(flags, body);
  if (flags.dataDir !== undefined) throw new AttestryError('E_USAGE', 'give --server or --data-dir, not both');
  const ai = new RemoteAi({ server: flags.server, token: flags.token, json: flags.json });
  // The server decides who acts: this principal is never sent.
  const principal: Principal = { tokenId: 'remote', role: 'ai-service', tenants: [] };
  return body({ ai, principal, tenant: flags.tenant === undefined ? undefined : parseTenantId(flags.tenant), dataDir: process.cwd() });
}

export async function withLocalAi<T>(flags: ServiceFlags & { tenant?: string }, body: (l: LocalAi) => Promise<T>): Promise<T> {
  return withLocalApp(flags, (app, tenant, dataDir) => {
    const principal: Principal = { tokenId: `cli:${process.env['USER'] ?? 'local'}`, role: 'ai-service', tenants: [tenant] };
    return body({ ai: app.useCases(aiModule), principal, tenant, dataDir });
  });
}

/** The app opened on --data-dir (created on first use) for one existing tenant, closed whatever `body` does. */
export async function withLocalApp<T>(
  flags: ServiceFlags & { tenant?: string },
  body: (app: App, tenant: string, dataDir: string) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const app = await openApp(config);
  try {
    await bootstrapIndex(app);
    const tenant = parseTenantId(flags.tenant ?? 'default');
    if ((await app.repos.tenants.get(tenant)) === undefined)
      throw new AttestryError(
        'E_NOT_FOUND',
        `unknown tenant "${tenant}" in ${config.dataDir}; add it with \`attestry tenant add ${tenant} --data-dir ${config.dataDir}\``,
      );
    return await body(app, tenant, config.dataDir);
  } finally {
    await app.close();
  }
}

export function readJsonFile(path: string, what: string, limit = 64 * 1024 * 1024): unknown {
  return parseJsonText(readTextFileBounded(path, limit, what), `${what} ${path}`);
}

/** Writes `bytes` at `root/key` crash-safely, making the folders; returns the path. */
export function writeUnder(root: string, key: string, bytes: string | Uint8Array): string {
  const path = join(root, ...key.split('/').filter((s) => s !== '' && s !== '..'));
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, bytes);
  return path;
}
