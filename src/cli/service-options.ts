import type { Command } from 'commander';
import { loadConfig, type ResolvedConfig } from '../core/config.js';
import { openIndexServices, type IndexServices } from '../server/services.js';
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

/** Opens the index for an admin command, runs `body`, and always closes it. */
export async function withIndex<T>(flags: ServiceFlags, body: (services: IndexServices) => Promise<T>): Promise<T> {
  const services = await openIndexServices(configFrom(flags));
  try {
    return await body(services);
  } finally {
    await services.close();
  }
}

export const portOption = parseIntOption('--port');

/** Collects a repeatable option; each value may also be comma-separated. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}
