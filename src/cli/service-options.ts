import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, type ResolvedConfig } from '../core/config.js';
import { AttestryError } from '../core/errors.js';
import { openIndexServices, type IndexServices } from '../app/index-services.js';
import { databaseSettings } from '../app/settings.js';
import { parseIntOption } from './files.js';

/** Flags every command that works on a data directory shares. */
export interface ServiceFlags {
  dataDir?: string;
  config?: string;
  port?: number;
  json?: boolean;
}

export function withServiceOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory (index.sqlite, cas/, keys/); also ATTESTRY_DATA_DIR', undefined)
    .option('--config <file>', 'configuration file (see etc/attestry.yaml); also ATTESTRY_CONFIG')
    .option('--json', 'machine-readable output');
}

export function configFrom(flags: ServiceFlags): ResolvedConfig {
  return loadConfig({ file: flags.config, dataDir: flags.dataDir, port: flags.port });
}

function startFirst(config: ResolvedConfig): string {
  return `start the service once to create it (\`attestry serve --data-dir ${config.dataDir}\`, or \`npm start\` for the configured .attestry/data), or run \`attestry db migrate --data-dir ${config.dataDir}\``;
}

/**
 * Admin and read commands work on an existing installation: a mistyped
 * --data-dir (or a command run from another directory) must not quietly
 * create an empty index, keys and all, and then report an empty answer.
 */
export function requireDataDir(config: ResolvedConfig): void {
  if (!existsSync(config.dataDir)) {
    throw new AttestryError('E_NOT_FOUND', `data directory ${config.dataDir} does not exist; ${startFirst(config)}`, {
      details: { dataDir: config.dataDir },
    });
  }
}

function requireIndex(config: ResolvedConfig): void {
  const db = databaseSettings(config);
  if (db.driver !== 'sqlite') return;
  requireDataDir(config);
  if (!existsSync(db.path))
    throw new AttestryError('E_NOT_FOUND', `no index at ${db.path}; ${startFirst(config)}`, {
      details: { dataDir: config.dataDir, index: db.path },
    });
}

/**
 * Opens the index for an admin command, runs `body`, and always closes it.
 * The index must exist unless `create` (only `db migrate`, which makes one).
 */
export async function withIndex<T>(
  flags: ServiceFlags,
  body: (services: IndexServices) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const config = configFrom(flags);
  if (options.create !== true) requireIndex(config);
  const services = await openIndexServices(config);
  try {
    return await body(services);
  } finally {
    await services.close();
  }
}

export const portOption = parseIntOption('--port');

/** Collects a repeatable option; each value may also be comma-separated. */
export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}
