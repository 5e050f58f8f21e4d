import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/db/schema.js';
import type { ResolvedConfig } from '../core/config.js';
import { systemClock, ulidSource, type Clock, type IdSource } from '../core/ids.js';
import { ensureDir } from '../core/atomic-file.js';
import { Keyring, SIGNING_ALGORITHMS, type PublicKeyInfo } from '../crypto/keyring.js';
import { EvidenceLocker, type LockerEvents } from '../evidence/locker.js';
import { VerifyPool } from '../evidence/verify-pool.js';
import type { BlobStore } from '../store/blob/blob-store.js';
import { openBlobStore } from '../store/blob/open.js';
import { openIndexDatabase, type DatabaseSettings, type IndexDatabase } from '../store/db/connect.js';
import type { MigrationReport } from '../store/db/migrations.js';
import { EvidenceRepo } from '../store/db/evidence-repo.js';
import { directWriter, SqliteEvidenceWriter, type EvidenceWriter } from '../evidence/sqlite-writer.js';
import { LogReader } from '../tlog/log-reader.js';
import { LogSequencer } from '../tlog/log-store.js';
import { NoteSigner, parseVerifierKey, type NoteVerifierKey } from '../tlog/note.js';
import { TrustedKeysRepo } from '../store/db/keys-repo.js';
import { TenantsRepo } from '../store/db/tenants-repo.js';
import { TokensRepo } from '../store/db/tokens-repo.js';
import { openTsaDirectory } from '../tlog/tsa-certs.js';
import { TimestampAuthority, type TsaSettings } from '../tlog/tsa.js';
import { AttestryError } from '../core/errors.js';
import { sqliteError } from '../store/db/sqlite-errors.js';

export interface Repos {
  readonly tenants: TenantsRepo;
  readonly tokens: TokensRepo;
  readonly trustedKeys: TrustedKeysRepo;
  readonly evidence: EvidenceRepo;
}

/** The index database with its repositories: all the admin CLI commands need. */
export interface IndexServices {
  readonly config: ResolvedConfig;
  readonly index: IndexDatabase;
  readonly repos: Repos;
  readonly migration: MigrationReport;
  readonly clock: Clock;
  readonly ids: IdSource;
  close(): Promise<void>;
}

/** The transparency log as the service runs it. */
export interface TransparencyLog {
  readonly enabled: boolean;
  readonly origin: string;
  /** The note signer's public half and its vkey text. */
  readonly key: PublicKeyInfo & { readonly created: boolean; readonly verifierKey: string };
  readonly noteKey: NoteVerifierKey;
  readonly witnesses: readonly NoteVerifierKey[];
  readonly reader: LogReader;
  /** For the few log writes outside appends (witness cosignatures). */
  readonly db: Kysely<Database>;
}

export interface Services extends IndexServices {
  readonly blobs: BlobStore;
  readonly keyring: Keyring;
  readonly signingKey: PublicKeyInfo & { readonly created: boolean };
  readonly locker: EvidenceLocker;
  readonly tlog: TransparencyLog;
  /** The RFC 3161 timestamp authority (POST /api/v1/timestamp; tokens on logged records). */
  readonly tsa: TimestampAuthority & { readonly created: boolean };
}

export function databaseSettings(config: ResolvedConfig): DatabaseSettings {
  const db = config.Storage.Database;
  if (db.Driver === 'postgres') {
    if (db.Url === null) throw new AttestryError('E_CONFIG', 'Storage.Database.Url: required for the postgres driver');
    return { driver: 'postgres', url: db.Url, schema: db.Schema, poolSize: db.PoolSize };
  }
  return { driver: 'sqlite', path: db.Path ?? join(config.dataDir, 'index.sqlite') };
}

/** Opens the index and applies pending migrations (idempotent; safe with several nodes). */
export async function openIndexServices(config: ResolvedConfig, deps: { clock?: Clock; ids?: IdSource } = {}): Promise<IndexServices> {
  ensureDir(config.dataDir, 0o700);
  const index = await openIndexDatabase(databaseSettings(config));
  let migration: MigrationReport;
  try {
    migration = await index.migrate();
  } catch (e) {
    await index.close();
    throw startupError(e, settingsPath(config));
  }
  const repos: Repos = {
    tenants: new TenantsRepo(index.db),
    tokens: new TokensRepo(index.db),
    trustedKeys: new TrustedKeysRepo(index.db),
    evidence: new EvidenceRepo(index.db),
  };
  return { config, index, repos, migration, clock: deps.clock ?? systemClock, ids: deps.ids ?? ulidSource(), close: () => index.close() };
}

export function keyringFor(config: ResolvedConfig): Keyring {
  return new Keyring(join(config.dataDir, 'keys'));
}

/** The log's note key lives apart from evidence signing keys, so it is never trusted as an evidence signer. */
export function logKeyringFor(config: ResolvedConfig): Keyring {
  return new Keyring(join(config.dataDir, 'keys', 'log'));
}

/**
 * The timestamp authority's keys and certificate chain live in `keys/tsa/`,
 * apart from evidence signing keys, created on first start; nodes of one
 * service share them as they share `keys/log/`.
 */
export function openTimestampAuthority(
  config: ResolvedConfig,
  now: Date = new Date(),
): { tsa: TimestampAuthority & { readonly created: boolean }; settings: TsaSettings } {
  const { privateKeyPem, chain, created } = openTsaDirectory(join(config.dataDir, 'keys', 'tsa'), now);
  const settings: TsaSettings = { privateKeyPem, chainDer: chain.der };
  return { tsa: Object.assign(new TimestampAuthority(settings), { created }), settings };
}

/** Opens (creating on first use) the log's Ed25519 note key and signs the first checkpoint if there is none. */
export async function openTransparencyLog(
  config: ResolvedConfig,
  index: IndexDatabase,
): Promise<{ log: TransparencyLog; signer: NoteSigner; keyring: Keyring }> {
  const keyring = logKeyringFor(config);
  const { info, created } = keyring.ensure(config.Log.KeyId, 'ed25519');
  const signer = new NoteSigner(config.Log.Origin, keyring.privateKeyPem(config.Log.KeyId));
  const witnesses = config.Log.Witnesses.map((w, i) => {
    try {
      return parseVerifierKey(w);
    } catch (e) {
      throw new AttestryError('E_CONFIG', `Log.Witnesses[${i}]: ${(e as Error).message}`, { cause: e });
    }
  });
  await new LogSequencer(signer, index.driver).initialize(index.db);
  return {
    log: {
      enabled: config.Signals.Provenance.RekorEnabled,
      origin: config.Log.Origin,
      key: { ...info, created, verifierKey: signer.verifierKey },
      noteKey: parseVerifierKey(signer.verifierKey),
      witnesses,
      reader: new LogReader(index.db),
      db: index.db,
    },
    signer,
    keyring,
  };
}

export async function openServices(
  config: ResolvedConfig,
  deps: { clock?: Clock; ids?: IdSource; events?: LockerEvents; verifyThreads?: number } = {},
): Promise<Services> {
  const base = await openIndexServices(config, deps);
  const blobs = openBlobStore(config);
  try {
    await blobs.ping();
    const keyring = keyringFor(config);
    const algorithm = SIGNING_ALGORITHMS[config.Signals.Signing.Algorithm];
    if (algorithm === undefined)
      throw new AttestryError('E_CONFIG', `Signals.Signing.Algorithm: unsupported ${config.Signals.Signing.Algorithm}`);
    const { info, created } = keyring.ensure(config.Signals.Signing.KeyId, algorithm);
    const serviceKeys = keyring.list();
    const settings = databaseSettings(config);
    const { log: tlog, signer: noteSigner, keyring: logKeyring } = await openTransparencyLog(config, base.index);
    const { tsa, settings: tsaSettings } = openTimestampAuthority(config, base.clock.now());
    const writer: EvidenceWriter =
      settings.driver === 'sqlite' && settings.path !== ':memory:'
        ? new SqliteEvidenceWriter(
            settings.path,
            tlog.enabled ? { origin: config.Log.Origin, privateKeyPem: logKeyring.privateKeyPem(config.Log.KeyId) } : undefined,
          )
        : directWriter(base.repos.evidence, tlog.enabled ? new LogSequencer(noteSigner, base.index.driver) : undefined);
    // Logged records are timestamped where they are verified (off the event loop).
    const verifier = new VerifyPool({
      ...(deps.verifyThreads === undefined ? {} : { threads: deps.verifyThreads }),
      tsa: tlog.enabled ? tsaSettings : undefined,
    });
    const locker = new EvidenceLocker({
      tenants: base.repos.tenants,
      evidence: base.repos.evidence,
      writer,
      trustedKeys: base.repos.trustedKeys,
      blobs,
      serviceKeys: () => serviceKeys,
      clock: base.clock,
      ids: base.ids,
      writeEnabled: config.Signals.CAS.WriteEnabled,
      verifier,
      events: deps.events,
      transparency: tlog.enabled
        ? { enabled: true, log: tlog.reader, logKey: noteSigner.publicKey, tsa }
        : { enabled: false, skipReason: 'transparency logging is disabled (Signals.Provenance.RekorEnabled: false)' },
    });
    return {
      ...base,
      blobs,
      keyring,
      signingKey: { ...info, created },
      locker,
      tlog,
      tsa,
      close: async () => {
        await locker.drain();
        await verifier.close();
        await writer.close?.();
        await blobs.close();
        await base.close();
      },
    };
  } catch (e) {
    await blobs.close().catch(() => undefined);
    await base.close();
    throw startupError(e, settingsPath(config));
  }
}

function settingsPath(config: ResolvedConfig): string {
  const settings = databaseSettings(config);
  return settings.driver === 'sqlite' ? settings.path : 'PostgreSQL';
}

/**
 * A start that fails on a full or read-only disk says so (E_NO_SPACE, E_IO
 * with EROFS/EACCES), whichever step hit it first; other errors pass unchanged.
 */
function startupError(e: unknown, dbPath: string): unknown {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return sqliteError(e, 'use', dbPath);
  return e;
}
