import { join } from 'node:path';
import type { ResolvedConfig } from '../core/config.js';
import { AttestryError } from '../core/errors.js';
import type { KeyAlgorithm } from '../crypto/keys.js';
import { SIGNING_ALGORITHMS } from '../crypto/keyring.js';
import type { DatabaseSettings } from '../store/db/connect.js';

/** How evidence batches reach the index: a writer thread (SQLite file) or the repository on the event loop. */
export type WriterChoice = 'thread' | 'direct';

/**
 * What the configuration means for the stores, derived once. Defaults live in
 * core/config.ts; this module only turns the resolved values into the
 * settings each store takes (paths under the data directory, the driver's
 * connection, the writer that suits the driver), so no other module repeats them.
 */
export interface AppSettings {
  readonly database: DatabaseSettings;
  /** How startup errors name the database: the SQLite path or "PostgreSQL". */
  readonly databaseLabel: string;
  readonly writer: WriterChoice;
  /** Evidence signing keys (the service's own, trusted for every tenant). */
  readonly keysDir: string;
  /** The log's note key, apart from evidence keys so it is never trusted as an evidence signer. */
  readonly logKeysDir: string;
  /** The timestamp authority's key and certificate chain. */
  readonly tsaDir: string;
  /** The service signing key: `Signals.Signing.KeyId` with its algorithm. */
  readonly signingKey: { readonly keyId: string; readonly algorithm: KeyAlgorithm };
}

export function appSettings(config: ResolvedConfig): AppSettings {
  const database = databaseSettings(config);
  const keysDir = join(config.dataDir, 'keys');
  return {
    database,
    databaseLabel: database.driver === 'sqlite' ? database.path : 'PostgreSQL',
    // A writer thread needs a file both threads open; an in-memory SQLite index and PostgreSQL are written directly.
    writer: database.driver === 'sqlite' && database.path !== ':memory:' ? 'thread' : 'direct',
    keysDir,
    logKeysDir: join(keysDir, 'log'),
    tsaDir: join(keysDir, 'tsa'),
    signingKey: { keyId: config.Signals.Signing.KeyId, algorithm: signingAlgorithm(config) },
  };
}

export function databaseSettings(config: ResolvedConfig): DatabaseSettings {
  const db = config.Storage.Database;
  if (db.Driver === 'postgres') {
    // loadConfig refuses this already; a config built by hand gets the same answer.
    if (db.Url === null) throw new AttestryError('E_CONFIG', 'Storage.Database.Url: required for the postgres driver');
    return { driver: 'postgres', url: db.Url, schema: db.Schema, poolSize: db.PoolSize };
  }
  return { driver: 'sqlite', path: db.Path ?? join(config.dataDir, 'index.sqlite') };
}

/** The key algorithm `Signals.Signing.Algorithm` names (the seed's spelling → the keyring's). */
export function signingAlgorithm(config: ResolvedConfig): KeyAlgorithm {
  const algorithm = SIGNING_ALGORITHMS[config.Signals.Signing.Algorithm];
  if (algorithm === undefined)
    throw new AttestryError('E_CONFIG', `Signals.Signing.Algorithm: unsupported ${config.Signals.Signing.Algorithm}`);
  return algorithm;
}
