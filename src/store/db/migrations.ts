import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { AttestryError } from '../../core/errors.js';

/**
 * Versioned migrations, in code so they ship inside the package. Each runs in
 * Kysely's migrator, which takes a lock so several nodes starting together on
 * one PostgreSQL apply each migration exactly once. Never edit a released
 * migration; add the next one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('display_name', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('tenants', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('trusted_keys')
        .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('public_key_pem', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('hint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .addPrimaryKeyConstraint('trusted_keys_pk', ['tenant', 'key_id'])
        .execute();
      await db.schema.createIndex('trusted_keys_fingerprint').on('trusted_keys').columns(['tenant', 'fingerprint']).execute();
      await db.schema.createIndex('trusted_keys_hint').on('trusted_keys').columns(['tenant', 'hint']).execute();
      await db.schema
        .createTable('evidence')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('payload_type', 'text', (c) => c.notNull())
        .addColumn('predicate_type', 'text')
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('principal', 'text', (c) => c.notNull())
        .addColumn('signer_key_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('evidence_tenant_digest').unique().on('evidence').columns(['tenant', 'digest']).execute();
      await db.schema
        .createTable('evidence_subjects')
        .addColumn('evidence_id', 'text', (c) => c.notNull().references('evidence.id'))
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addPrimaryKeyConstraint('evidence_subjects_pk', ['evidence_id', 'digest'])
        .execute();
      await db.schema.createIndex('evidence_subjects_lookup').on('evidence_subjects').columns(['tenant', 'digest', 'evidence_id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['evidence_subjects', 'evidence', 'trusted_keys', 'tokens', 'tenants']) {
        await db.schema.dropTable(table).execute();
      }
    },
  },
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

export interface MigrationReport {
  readonly applied: string[];
  readonly current: string | undefined;
}

/**
 * `schema` keeps Kysely's bookkeeping tables in the configured PostgreSQL
 * schema (its existence check otherwise looks across all schemas). SQLite has
 * no migration lock in Kysely, so two processes migrating one file at once
 * can collide; the loser's transaction rolls back and a retry finds the work
 * done.
 */
export async function migrateToLatest(db: Kysely<unknown>, options: { schema?: string; retries?: number } = {}): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider, ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }) });
  let { error, results } = await migrator.migrateToLatest();
  for (let attempt = 1; error !== undefined && attempt <= (options.retries ?? 0); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AttestryError('E_INTERNAL', `database migration ${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const all = await migrator.getMigrations();
  const executed = all.filter((m) => m.executedAt !== undefined);
  return { applied, current: executed[executed.length - 1]?.name };
}

export const LATEST_MIGRATION = Object.keys(MIGRATIONS).sort().at(-1) as string;

/** Used by readiness: a cheap round trip. */
export async function pingDatabase<T>(db: Kysely<T>): Promise<void> {
  await sql`select 1`.execute(db);
}
