/**
 * Signals rows written straight with Kysely (as the Signals use cases
 * would, blobs first, keys minted by the builtin kind registry) for the GC
 * and retention tests, which do not depend on the use cases themselves.
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Digest } from '../../src/core/digest.js';
import { builtinKinds } from '../../src/kinds/builtin.js';
import type { BlobStore } from '../../src/store/blob/blob-store.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import type { IndexDatabase } from '../../src/store/db/connect.js';
import type { EvidenceRecord, EvidenceRepo } from '../../src/store/db/evidence-repo.js';
import { DAY } from './gc-fixtures.js';

/** Where the rows and blobs go: a GC fixture, or an installation's own index and store. */
export interface SignalsTarget {
  readonly index: IndexDatabase;
  readonly evidence: EvidenceRepo;
  readonly blobs: BlobStore;
}

export const SIGNALS_CONFIG = { Signals: { CAS: { RetentionDays: { RuntimeFacts: 90, OrphanCallgraphs: 30 } } } };

const kinds = builtinKinds();
const digestOf = (bytes: Uint8Array): Digest => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
let n = 0;

export interface SignalsRow {
  readonly id: string;
  readonly tenant: string;
  /** Every blob the row names (and, for a callgraph, its manifest's). */
  readonly keys: readonly CasKey[];
}

async function putBlob(f: SignalsTarget, key: CasKey): Promise<{ digest: Digest; size: number }> {
  const bytes = Buffer.from(`${key} ${n++}`);
  const digest = digestOf(bytes);
  await f.blobs.put(key, bytes, digest);
  return { digest, size: bytes.length };
}

/** A callgraph row `ageDays` old (by created_at and by its ULID) with its two blobs and its manifest blob. */
export async function insertCallgraph(
  f: SignalsTarget,
  ageDays: number,
  options: { tenant?: string; state?: 'writing' | 'stored' } = {},
): Promise<SignalsRow & { manifestKey: CasKey }> {
  const tenant = options.tenant ?? 'acme';
  const created = new Date(Date.now() - ageDays * DAY);
  const id = ulid(created.getTime());
  const meta = kinds.blobKey('callgraphs', 'primary', tenant, id);
  const content = kinds.blobKey('callgraphs', 'content', tenant, id);
  const manifestKey = kinds.blobKey('manifests', 'manifest', tenant, id);
  const m = await putBlob(f, meta);
  const c = await putBlob(f, content);
  const mf = await putBlob(f, manifestKey);
  await f.index.db
    .insertInto('signals_callgraphs')
    .values({
      graph_id: id,
      tenant,
      language: 'java',
      source: 'scanner',
      component_purl: 'pkg:maven/org.example/app@1.0.0',
      purl_key: 'maven/org.example/app',
      purl_version: '1.0.0',
      digest: c.digest,
      raw_digest: c.digest,
      raw_size: c.size,
      form: 'ndjson',
      node_count: 2,
      edge_count: 1,
      entry_points: '["a"]',
      created_at: created.toISOString(),
      signer_key_id: null,
      signature: null,
      rekor_uuid: null,
      skip_reason: 'test',
      content_digest: c.digest,
      content_size: c.size,
      normalized_size: c.size,
      meta_digest: m.digest,
      meta_size: m.size,
      manifest_digest: mf.digest,
      manifest_size: mf.size,
      state: options.state ?? 'stored',
      updated_at: created.toISOString(),
    })
    .execute();
  return { id, tenant, keys: [meta, content, manifestKey], manifestKey };
}

/**
 * A batch row ingested `ageDays` ago (its ULID as old) naming `callgraphId`,
 * with its two blobs, two fact aggregates and, unless `attested: false`,
 * its batch attestation as a locker record (kind attestations, same id).
 */
export async function insertBatch(
  f: SignalsTarget,
  callgraphId: string,
  ageDays: number,
  options: { tenant?: string; attested?: boolean; state?: 'writing' | 'stored' } = {},
): Promise<SignalsRow & { attestation: EvidenceRecord | undefined }> {
  const tenant = options.tenant ?? 'acme';
  const ingested = new Date(Date.now() - ageDays * DAY);
  const id = ulid(ingested.getTime());
  const provenance = kinds.blobKey('runtime-facts', 'primary', tenant, id);
  const content = kinds.blobKey('runtime-facts', 'content', tenant, id);
  const p = await putBlob(f, provenance);
  const c = await putBlob(f, content);
  let attestation: EvidenceRecord | undefined;
  if (options.attested !== false) {
    const key = kinds.blobKey('attestations', 'primary', tenant, id);
    const a = await putBlob(f, key);
    attestation = {
      id,
      tenant,
      kind: 'attestations',
      mediaType: 'application/vnd.dsse.envelope.v1+json',
      payloadType: 'application/vnd.in-toto+json',
      predicateType: 'https://stella.ops/attestation/runtime-facts/v1',
      blobKey: key,
      blobs: [{ role: 'primary', key }],
      digest: a.digest,
      size: a.size,
      principal: 'signals-service',
      signerKeyId: 'signals-signer-2025-001',
      createdAt: ingested.toISOString(),
      subjects: [{ digest: c.digest, name: `runtime-facts/${id}` }],
    };
    await f.evidence.insertBatch([attestation]);
  }
  const at = ingested.toISOString();
  await f.index.db
    .insertInto('signals_batches')
    .values({
      batch_id: id,
      provenance_id: ulid(ingested.getTime()),
      tenant,
      callgraph_id: callgraphId,
      source: 'agent',
      pipeline_version: '1',
      provenance_hash: c.digest,
      raw_size: c.size,
      fact_count: 3,
      fact_types: '["symbol_hit"]',
      received_at: at,
      ingested_at: at,
      first_observed: at,
      last_observed: at,
      form: 'ndjson',
      signer_key_id: null,
      rekor_uuid: null,
      skip_reason: 'test',
      attestation_id: attestation?.id ?? null,
      content_digest: c.digest,
      content_size: c.size,
      provenance_digest: p.digest,
      provenance_size: p.size,
      state: options.state ?? 'stored',
      updated_at: at,
    })
    .execute();
  await f.index.db
    .insertInto('signals_facts')
    .values(
      ['sym:java:a', 'sym:java:b'].map((symbol) => ({
        batch_id: id,
        tenant,
        callgraph_id: callgraphId,
        symbol_id: symbol,
        code_id: '',
        loader_base: '',
        fact_types: '["symbol_hit"]',
        hit_count: 2,
        first_seen: at,
        last_seen: at,
      })),
    )
    .execute();
  return { id, tenant, keys: [provenance, content], attestation };
}

/** Fact aggregates of a batch still in the index. */
export async function factCount(f: SignalsTarget, batchId: string): Promise<number> {
  const rows = await f.index.db.selectFrom('signals_facts').select('symbol_id').where('batch_id', '=', batchId).execute();
  return rows.length;
}

export async function rowExists(f: SignalsTarget, table: 'signals_callgraphs' | 'signals_batches', id: string): Promise<boolean> {
  const row =
    table === 'signals_callgraphs'
      ? await f.index.db.selectFrom('signals_callgraphs').select('graph_id').where('graph_id', '=', id).executeTakeFirst()
      : await f.index.db.selectFrom('signals_batches').select('batch_id').where('batch_id', '=', id).executeTakeFirst();
  return row !== undefined;
}
