import {
  type CreateTableBuilder,
  DEFAULT_MIGRATION_TABLE,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
} from 'kysely';
import { AttestryError } from '../../core/errors.js';

/**
 * Versioned migrations, in code so they ship inside the package. Each runs in
 * Kysely's migrator, which takes a lock so several nodes starting together on
 * one PostgreSQL apply each migration exactly once. Never edit a released
 * migration; add the next one.
 */
export type SqlDialect = 'sqlite' | 'postgres';

function withoutRowid(builder: CreateTableBuilder<string, string>, dialect: SqlDialect): CreateTableBuilder<string, string> {
  return dialect === 'sqlite' ? builder.modifyEnd(sql`without rowid`) : builder;
}

function migrations(dialect: SqlDialect): Record<string, Migration> {
  return {
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
        // SQLite: WITHOUT ROWID keeps each table a single B-tree, so a stored
        // object costs three index insertions (id, tenant+digest, subjects)
        // instead of six; ingest is bound by those page writes.
        await withoutRowid(
          db.schema
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
            // JSON [{digest, name}], sorted by digest: the record's own copy, read with the row.
            .addColumn('subjects', 'text', (c) => c.notNull()),
          dialect,
        ).execute();
        await db.schema.createIndex('evidence_tenant_digest').unique().on('evidence').columns(['tenant', 'digest']).execute();
        // The lookup table for "evidence about this subject": digest first, so admin searches across tenants use it too.
        await withoutRowid(
          db.schema
            .createTable('evidence_subjects')
            .addColumn('tenant', 'text', (c) => c.notNull())
            .addColumn('digest', 'text', (c) => c.notNull())
            .addColumn('evidence_id', 'text', (c) => c.notNull().references('evidence.id'))
            .addPrimaryKeyConstraint('evidence_subjects_pk', ['digest', 'tenant', 'evidence_id']),
          dialect,
        ).execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const table of ['evidence_subjects', 'evidence', 'trusted_keys', 'tokens', 'tenants']) {
          await db.schema.dropTable(table).execute();
        }
      },
    },
    // The transparency log (src/tlog): tiles hold the Merkle tree, entries the
    // leaf data, one state row the sequencer locks. Evidence rows learn their
    // log index in the same transaction that appends them.
    '0002_transparency_log': {
      async up(db: Kysely<unknown>): Promise<void> {
        const blob = dialect === 'sqlite' ? 'blob' : 'bytea';
        const int64 = dialect === 'sqlite' ? 'integer' : 'bigint';
        await db.schema
          .createTable('tlog_state')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('origin', 'text')
          .addColumn('size', int64, (c) => c.notNull())
          .addColumn('root', blob, (c) => c.notNull())
          .addColumn('checkpoint', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db
          .insertInto('tlog_state' as never)
          .values({
            id: 1,
            origin: null,
            size: 0,
            root: Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'),
            checkpoint: null,
            updated_at: new Date(0).toISOString(),
          })
          .execute();
        await db.schema
          .createTable('tlog_tiles')
          .addColumn('level', 'integer', (c) => c.notNull())
          .addColumn('idx', int64, (c) => c.notNull())
          .addColumn('hashes', blob, (c) => c.notNull())
          // Level-0 tiles only: the hashes of their 16-leaf groups, so a proof
          // through a tile costs ~25 hashes instead of 255 (+6% storage).
          .addColumn('mids', blob)
          .addPrimaryKeyConstraint('tlog_tiles_pk', ['level', 'idx'])
          .execute();
        // SQLite: "integer primary key" is the rowid itself, so an entry costs
        // its row plus one index entry for lookups by leaf hash. That index
        // holds a 48-bit prefix of the leaf hash (a third of the bytes of the
        // full hash); candidates are confirmed against the level-0 tile.
        await db.schema
          .createTable('tlog_entries')
          .addColumn('idx', int64, (c) => c.primaryKey())
          .addColumn('prefix', int64, (c) => c.notNull())
          .addColumn('body', blob, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('tlog_entries_prefix').on('tlog_entries').column('prefix').execute();
        await db.schema
          .createTable('tlog_checkpoints')
          .addColumn('size', int64, (c) => c.primaryKey())
          .addColumn('note', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await withoutRowid(
          db.schema
            .createTable('tlog_cosignatures')
            .addColumn('size', int64, (c) => c.notNull())
            .addColumn('name', 'text', (c) => c.notNull())
            .addColumn('line', 'text', (c) => c.notNull())
            .addColumn('created_at', 'text', (c) => c.notNull())
            .addPrimaryKeyConstraint('tlog_cosignatures_pk', ['size', 'name']),
          dialect,
        ).execute();
        await db.schema.alterTable('evidence').addColumn('log_index', int64).execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('evidence').dropColumn('log_index').execute();
        for (const table of ['tlog_cosignatures', 'tlog_checkpoints', 'tlog_entries', 'tlog_tiles', 'tlog_state']) {
          await db.schema.dropTable(table).execute();
        }
      },
    },
    // RFC 3161 timestamps (src/tlog/tsa.ts): each logged record's token over
    // its signature, written in the same transaction as the record.
    '0003_timestamps': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .alterTable('evidence')
          .addColumn('tsa_token', dialect === 'sqlite' ? 'blob' : 'bytea')
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('evidence').dropColumn('tsa_token').execute();
      },
    },
    // Issue 13: a record may reference several blobs (a callgraph's content,
    // its meta and its signed manifest), so GC asks this table, not the row,
    // whether a blob is referenced. Every existing row references its one
    // blob as `primary`. Retention deletions leave a row in evidence_deletions.
    '0004_evidence_blobs': {
      async up(db: Kysely<unknown>): Promise<void> {
        await withoutRowid(
          db.schema
            .createTable('evidence_blobs')
            .addColumn('blob_key', 'text', (c) => c.primaryKey())
            .addColumn('evidence_id', 'text', (c) => c.notNull().references('evidence.id'))
            .addColumn('role', 'text', (c) => c.notNull()),
          dialect,
        ).execute();
        await db.schema.createIndex('evidence_blobs_evidence').on('evidence_blobs').columns(['evidence_id', 'role']).unique().execute();
        await sql`insert into evidence_blobs (blob_key, evidence_id, role) select blob_key, id, 'primary' from evidence`.execute(db);
        await db.schema
          .createTable('evidence_deletions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          // JSON [{digest, name}], the deleted record's subjects.
          .addColumn('subjects', 'text', (c) => c.notNull())
          // JSON [{role, key}], the blobs deleted with it.
          .addColumn('blobs', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('deleted_at', 'text', (c) => c.notNull())
          // The deleted record's entry in the transparency log (which keeps it); null when it was never logged.
          .addColumn('log_index', dialect === 'sqlite' ? 'integer' : 'bigint')
          .execute();
        await db.schema.createIndex('evidence_deletions_tenant').on('evidence_deletions').columns(['tenant', 'deleted_at']).execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('evidence_deletions').execute();
        await db.schema.dropTable('evidence_blobs').execute();
      },
    },
    // Issue 14 (Signals, seed 000): the domain's own index. Signed manifests
    // and batch attestations are locker records (evidence); these tables hold
    // what queries need (by PURL, by callgraph, per-symbol aggregates) and the
    // blob digests each row's reads check against.
    '0005_signals': {
      async up(db: Kysely<unknown>): Promise<void> {
        const int64 = dialect === 'sqlite' ? 'integer' : 'bigint';
        await db.schema
          .createTable('signals_callgraphs')
          .addColumn('graph_id', 'text', (c) => c.primaryKey())
          .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
          .addColumn('language', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('component_purl', 'text', (c) => c.notNull())
          // type/namespace/name normalised, no version or qualifiers: what by-purl matches on.
          .addColumn('purl_key', 'text', (c) => c.notNull())
          .addColumn('purl_version', 'text')
          // sha256 of the normalised NDJSON (the manifest's digest) and of the upload as sent.
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('raw_digest', 'text', (c) => c.notNull())
          .addColumn('raw_size', int64, (c) => c.notNull())
          .addColumn('form', 'text', (c) => c.notNull())
          .addColumn('node_count', int64, (c) => c.notNull())
          .addColumn('edge_count', int64, (c) => c.notNull())
          // JSON array of node ids.
          .addColumn('entry_points', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('signer_key_id', 'text')
          .addColumn('signature', 'text')
          .addColumn('rekor_uuid', 'text')
          .addColumn('skip_reason', 'text')
          // callgraphs/{tenant}/{id}.ndjson.zst: the compressed normalised graph, and its size decompressed.
          .addColumn('content_digest', 'text', (c) => c.notNull())
          .addColumn('content_size', int64, (c) => c.notNull())
          .addColumn('normalized_size', int64, (c) => c.notNull())
          // callgraphs/{tenant}/{id}.meta.json
          .addColumn('meta_digest', 'text', (c) => c.notNull())
          .addColumn('meta_size', int64, (c) => c.notNull())
          // manifests/{id}.json (the DSSE is the locker record of the same id, when signed).
          .addColumn('manifest_digest', 'text', (c) => c.notNull())
          .addColumn('manifest_size', int64, (c) => c.notNull())
          // 'writing' (intent: blobs written, manifest not yet a locker record) | 'stored' (acknowledged).
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('signals_callgraphs_state').on('signals_callgraphs').columns(['state', 'updated_at']).execute();
        // GET /signals/callgraphs/by-purl: per tenant, newest first.
        await db.schema
          .createIndex('signals_callgraphs_purl')
          .on('signals_callgraphs')
          .columns(['tenant', 'purl_key', 'created_at', 'graph_id'])
          .execute();
        await db.schema
          .createTable('signals_batches')
          .addColumn('batch_id', 'text', (c) => c.primaryKey())
          .addColumn('provenance_id', 'text', (c) => c.notNull())
          .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
          // Null only in an intent of the JSON document form, whose body names the callgraph (a NULL passes the FK).
          .addColumn('callgraph_id', 'text', (c) => c.references('signals_callgraphs.graph_id'))
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('pipeline_version', 'text', (c) => c.notNull())
          // sha256 of the batch bytes as received (after transfer decoding).
          .addColumn('provenance_hash', 'text', (c) => c.notNull())
          .addColumn('raw_size', int64, (c) => c.notNull())
          .addColumn('fact_count', int64, (c) => c.notNull())
          // JSON array, sorted unique.
          .addColumn('fact_types', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('ingested_at', 'text', (c) => c.notNull())
          .addColumn('first_observed', 'text')
          .addColumn('last_observed', 'text')
          .addColumn('form', 'text', (c) => c.notNull())
          .addColumn('signer_key_id', 'text')
          .addColumn('rekor_uuid', 'text')
          .addColumn('skip_reason', 'text')
          .addColumn('attestation_id', 'text')
          // runtime-facts/{tenant}/{id}.ndjson.zst and .provenance.json; null while the row is an intent.
          .addColumn('content_digest', 'text')
          .addColumn('content_size', int64)
          .addColumn('provenance_digest', 'text')
          .addColumn('provenance_size', int64)
          // 'writing' (intent, not acknowledged) | 'stored' (acknowledged).
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('signals_batches_callgraph')
          .on('signals_batches')
          .columns(['tenant', 'callgraph_id', 'batch_id'])
          .execute();
        // Repair finds unfinished intents without scanning stored batches.
        await db.schema.createIndex('signals_batches_state').on('signals_batches').columns(['state', 'updated_at']).execute();
        // Per-batch aggregates of facts by (symbolId, codeId, loaderBase); '' stands for "none" so the key is total.
        await withoutRowid(
          db.schema
            .createTable('signals_facts')
            .addColumn('batch_id', 'text', (c) => c.notNull().references('signals_batches.batch_id'))
            .addColumn('tenant', 'text', (c) => c.notNull())
            .addColumn('callgraph_id', 'text', (c) => c.notNull())
            .addColumn('symbol_id', 'text', (c) => c.notNull())
            .addColumn('code_id', 'text', (c) => c.notNull())
            .addColumn('loader_base', 'text', (c) => c.notNull())
            // JSON array, sorted unique.
            .addColumn('fact_types', 'text', (c) => c.notNull())
            .addColumn('hit_count', int64, (c) => c.notNull())
            .addColumn('first_seen', 'text')
            .addColumn('last_seen', 'text')
            .addPrimaryKeyConstraint('signals_facts_pk', ['batch_id', 'symbol_id', 'code_id', 'loader_base']),
          dialect,
        ).execute();
        await db.schema.createIndex('signals_facts_symbol').on('signals_facts').columns(['tenant', 'callgraph_id', 'symbol_id']).execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const table of ['signals_facts', 'signals_batches', 'signals_callgraphs']) {
          await db.schema.dropTable(table).execute();
        }
      },
    },
    // Issue 15 (reachability answers): the chain of signed verdicts per
    // (callgraph, symbol). Each verdict is a locker record (kind
    // reachability-verdicts) of the same id; this table orders them, and its
    // unique key decides which of two concurrent verdicts gets a sequence number.
    '0006_reachability': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('signals_verdicts')
          .addColumn('verdict_id', 'text', (c) => c.primaryKey())
          .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
          // References the graph, so retention cannot delete a callgraph verdicts cite.
          .addColumn('callgraph_id', 'text', (c) => c.notNull().references('signals_callgraphs.graph_id'))
          .addColumn('symbol', 'text', (c) => c.notNull())
          .addColumn('sequence', 'integer', (c) => c.notNull())
          .addColumn('previous_id', 'text')
          // sha256 of the DSSE envelope bytes: the locker record's digest.
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('evidence_digest', 'text', (c) => c.notNull())
          .addColumn('decided_at', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('signals_verdicts_chain', ['tenant', 'callgraph_id', 'symbol', 'sequence'])
          .execute();
        // Retention asks "does any verdict cite this graph" by graph id alone.
        await db.schema.createIndex('signals_verdicts_callgraph').on('signals_verdicts').column('callgraph_id').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('signals_verdicts').execute();
      },
    },
    '0007_ai': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('ai_artifacts')
          .addColumn('artifact_id', 'text', (c) => c.primaryKey())
          // The locker record holding the DSSE envelope (its id is the artifact id's ULID); null when unsigned.
          .addColumn('record_id', 'text')
          .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
          .addColumn('artifact_type', 'text', (c) => c.notNull())
          .addColumn('authority', 'text', (c) => c.notNull())
          .addColumn('model_id', 'text', (c) => c.notNull())
          .addColumn('weights_digest', 'text', (c) => c.notNull())
          .addColumn('template_version', 'text', (c) => c.notNull())
          .addColumn('manifest_id', 'text', (c) => c.notNull().unique())
          .addColumn('manifest_hash', 'text', (c) => c.notNull())
          // sha256 of the stored manifest file (what the blob store checks on read).
          .addColumn('manifest_digest', 'text', (c) => c.notNull())
          .addColumn('statement_digest', 'text', (c) => c.notNull())
          .addColumn('signed', 'integer', (c) => c.notNull())
          .addColumn('key_id', 'text')
          .addColumn('generated_at', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('ai_artifacts_tenant').on('ai_artifacts').columns(['tenant', 'generated_at']).execute();
        await db.schema
          .createTable('ai_audit')
          .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
          .addColumn('sequence', 'integer', (c) => c.notNull())
          // sha256 of the record's RFC 8785 form (which carries previous_digest): the chain link.
          .addColumn('digest', 'text', (c) => c.notNull().unique())
          .addColumn('previous_digest', 'text')
          .addColumn('artifact_id', 'text', (c) => c.notNull())
          .addColumn('operation', 'text', (c) => c.notNull())
          .addColumn('timestamp', 'text', (c) => c.notNull())
          // The signed, logged locker record of this audit entry.
          .addColumn('record_id', 'text', (c) => c.notNull())
          .addColumn('record_json', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('ai_audit_chain', ['tenant', 'sequence'])
          .execute();
        await db.schema.createIndex('ai_audit_artifact').on('ai_audit').columns(['tenant', 'artifact_id']).execute();
        await db.schema.createIndex('ai_audit_time').on('ai_audit').columns(['tenant', 'timestamp']).execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('ai_audit').execute();
        await db.schema.dropTable('ai_artifacts').execute();
      },
    },
    // Issue 17: authority state and its signed transitions, apart from the
    // append-only evidence rows; and the published VEX statements.
    '0008_review': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('ai_reviews')
          .addColumn('artifact_id', 'text', (c) => c.primaryKey().references('ai_artifacts.artifact_id'))
          .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
          .addColumn('authority', 'text', (c) => c.notNull())
          .addColumn('decision', 'text', (c) => c.notNull())
          .addColumn('flagged', 'integer', (c) => c.notNull())
          .addColumn('approvers_json', 'text', (c) => c.notNull())
          .addColumn('head_sequence', 'integer', (c) => c.notNull())
          .addColumn('head_digest', 'text', (c) => c.notNull())
          .addColumn('published', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('ai_review_transitions')
          .addColumn('artifact_id', 'text', (c) => c.notNull().references('ai_artifacts.artifact_id'))
          .addColumn('sequence', 'integer', (c) => c.notNull())
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('principal', 'text', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull().unique())
          .addColumn('previous_digest', 'text')
          .addColumn('record_id', 'text', (c) => c.notNull())
          .addColumn('timestamp', 'text', (c) => c.notNull())
          .addColumn('record_json', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('ai_review_transitions_chain', ['artifact_id', 'sequence'])
          .execute();
        await db.schema
          .createTable('vex_statements')
          .addColumn('artifact_id', 'text', (c) => c.primaryKey().references('ai_artifacts.artifact_id'))
          .addColumn('vex_id', 'text', (c) => c.notNull().unique())
          .addColumn('tenant', 'text', (c) => c.notNull().references('tenants.id'))
          .addColumn('product_purl', 'text', (c) => c.notNull())
          .addColumn('package_key', 'text', (c) => c.notNull())
          .addColumn('vulnerability', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('record_id', 'text', (c) => c.notNull())
          .addColumn('digest', 'text', (c) => c.notNull())
          .addColumn('published_at', 'text', (c) => c.notNull())
          .addColumn('document_json', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('vex_statements_product').on('vex_statements').columns(['tenant', 'package_key']).execute();
        await db.schema.createIndex('ai_reviews_tenant').on('ai_reviews').columns(['tenant', 'decision']).execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const table of ['vex_statements', 'ai_review_transitions', 'ai_reviews']) await db.schema.dropTable(table).execute();
      },
    },
  };
}

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
export async function migrateToLatest(
  db: Kysely<unknown>,
  dialect: SqlDialect,
  options: { schema?: string; retries?: number } = {},
): Promise<MigrationReport> {
  const all = migrations(dialect);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(all) };
  const migrator = new Migrator({ db, provider, ...(options.schema === undefined ? {} : { migrationTableSchema: options.schema }) });
  let { error, results } = await migrator.migrateToLatest();
  for (let attempt = 1; error !== undefined && attempt <= (options.retries ?? 0); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever the migration threw
    const reason = error instanceof Error ? error.message : String(error);
    throw new AttestryError('E_INTERNAL', `database migration ${failed} failed: ${reason}`, {
      cause: error,
    });
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  // Read straight from Kysely's own table: its getMigrations() lists every
  // schema's tables first, the check that fails while another client drops a schema.
  const table = sql.table(options.schema === undefined ? DEFAULT_MIGRATION_TABLE : `${options.schema}.${DEFAULT_MIGRATION_TABLE}`);
  const { rows } = await sql<{ name: string | null }>`select max(name) as name from ${table}`.execute(db);
  return { applied, current: rows[0]?.name ?? undefined };
}

export const LATEST_MIGRATION = Object.keys(migrations('sqlite')).sort().at(-1) as string;

/** Used by readiness: a cheap round trip. */
export async function pingDatabase<T>(db: Kysely<T>): Promise<void> {
  await sql`select 1`.execute(db);
}
