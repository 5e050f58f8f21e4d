import type { ResolvedConfig } from '../core/config.js';
import { ensureDir } from '../core/atomic-file.js';
import { systemClock, ulidSource, type Clock, type IdSource } from '../core/ids.js';
import { openIndexDatabase, type IndexDatabase } from '../store/db/connect.js';
import { EvidenceRepo } from '../store/db/evidence-repo.js';
import { TrustedKeysRepo } from '../store/db/keys-repo.js';
import { pingDatabase, type MigrationReport } from '../store/db/migrations.js';
import { sqliteError } from '../store/db/sqlite-errors.js';
import { TenantsRepo } from '../store/db/tenants-repo.js';
import { TokensRepo } from '../store/db/tokens-repo.js';
import { appSettings, type AppSettings } from './settings.js';

export interface Repos {
  readonly tenants: TenantsRepo;
  readonly tokens: TokensRepo;
  readonly trustedKeys: TrustedKeysRepo;
  readonly evidence: EvidenceRepo;
}

/** The index database with its repositories: all the admin CLI commands need. */
export interface IndexServices {
  readonly config: ResolvedConfig;
  readonly settings: AppSettings;
  readonly index: IndexDatabase;
  readonly repos: Repos;
  readonly migration: MigrationReport;
  readonly clock: Clock;
  readonly ids: IdSource;
  /** Answers when the index database does (readiness). */
  pingIndex(): Promise<void>;
  close(): Promise<void>;
}

export interface IndexDeps {
  readonly clock?: Clock | undefined;
  readonly ids?: IdSource | undefined;
}

/** Opens the index and applies pending migrations (idempotent; safe with several nodes). */
export async function openIndexServices(config: ResolvedConfig, deps: IndexDeps = {}): Promise<IndexServices> {
  const settings = appSettings(config);
  ensureDir(config.dataDir, 0o700);
  const index = await openIndexDatabase(settings.database);
  let migration: MigrationReport;
  try {
    migration = await index.migrate();
  } catch (e) {
    await index.close();
    throw startupError(e, settings);
  }
  const repos: Repos = {
    tenants: new TenantsRepo(index.db),
    tokens: new TokensRepo(index.db),
    trustedKeys: new TrustedKeysRepo(index.db),
    evidence: new EvidenceRepo(index.db),
  };
  return {
    config,
    settings,
    index,
    repos,
    migration,
    clock: deps.clock ?? systemClock,
    ids: deps.ids ?? ulidSource(),
    pingIndex: () => pingDatabase(index.db),
    close: () => index.close(),
  };
}

/**
 * A start that fails on a full or read-only disk says so (E_NO_SPACE, E_IO
 * with EROFS/EACCES), whichever step hit it first; other errors pass unchanged.
 */
export function startupError(e: unknown, settings: AppSettings): unknown {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return sqliteError(e, 'use', settings.databaseLabel);
  return e;
}
