/**
 * A real index database and filesystem blob store for GC tests, with
 * records written straight through the repository (their blobs put in the
 * store first, as the locker does), and kinds declared by the test.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ulid } from 'ulid';
import type { GcReport } from '../../src/evidence/gc.js';
import type { KindDeclaration } from '../../src/kinds/declaration.js';
import { FsBlobStore } from '../../src/store/blob/fs-blob-store.js';
import { KindRegistry } from '../../src/kinds/registry.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import type { Digest } from '../../src/core/digest.js';
import type { IndexDatabase } from '../../src/store/db/connect.js';
import { EvidenceRepo, type EvidenceRecord } from '../../src/store/db/evidence-repo.js';
import { TenantsRepo } from '../../src/store/db/tenants-repo.js';
import type { FreshDatabase } from './databases.js';
import type { GcNodeInput } from './gc-node.js';

export const DAY = 86_400_000;
export const BUCKET = 'signals';

const digestOf = (bytes: Uint8Array): Digest => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Declarations shaped like the builtin ones, written here so the test says what GC works from. */
export const TEST_KINDS: readonly KindDeclaration[] = [
  {
    name: 'attestations',
    predicateTypes: ['https://stella.ops/attestation/runtime-facts/v1'],
    blobs: { primary: 'attestations/{id}.dsse', raw: 'attestations/{id}.raw' },
    access: { admin: 'rw', 'signals-service': 'rw' },
    retention: { keep: 'forever' },
    description: 'DSSE batch attestations',
  },
  {
    name: 'runtime-facts',
    blobs: { primary: 'runtime-facts/{tenant}/{id}.provenance.json', content: 'runtime-facts/{tenant}/{id}.ndjson.zst' },
    access: { admin: 'rw', 'signals-service': 'rw' },
    retention: { keep: 'days', configKey: 'Signals.CAS.RetentionDays.RuntimeFacts' },
    description: 'runtime-fact batches',
  },
  {
    name: 'callgraphs',
    blobs: { primary: 'callgraphs/{tenant}/{id}.meta.json', content: 'callgraphs/{tenant}/{id}.ndjson.zst' },
    access: { admin: 'rw', 'signals-service': 'rw' },
    retention: { keep: 'days', configKey: 'Signals.CAS.RetentionDays.OrphanCallgraphs', scope: 'unreferenced' },
    description: 'callgraphs',
  },
];

export const RETENTION_CONFIG = { Signals: { CAS: { RetentionDays: { RuntimeFacts: 90, OrphanCallgraphs: 30 } } } };

export interface GcFixture {
  readonly index: IndexDatabase;
  readonly evidence: EvidenceRepo;
  readonly blobs: FsBlobStore;
  readonly blobRoot: string;
  /** Stores the blobs, then commits a record of `kind` created `ageDays` ago that references them all. */
  record(kind: KindDeclaration, ageDays: number, options?: { tenant?: string; roles?: readonly string[] }): Promise<EvidenceRecord>;
  /** Puts a blob under a template of `kind` that no record references, `ageDays` old by its ULID. */
  orphan(kind: KindDeclaration, role: string, ageDays: number): Promise<CasKey>;
  cleanup(): Promise<void>;
}

const testKinds = new KindRegistry(TEST_KINDS);
const fill = (template: string, tenant: string, id: string): CasKey =>
  testKinds.parseCasKey(template.replaceAll('{tenant}', tenant).replaceAll('{id}', id));

/** Like fill, without the layout check (a throwaway kind's prefix is not in today's layout). */
export const fillUnchecked = (template: string, tenant: string, id: string): CasKey =>
  template.replaceAll('{tenant}', tenant).replaceAll('{id}', id) as CasKey;

export async function openGcFixture(fresh: FreshDatabase, mint: typeof fill = fill): Promise<GcFixture> {
  const index = await fresh.open();
  await index.migrate();
  const blobRoot = await mkdtemp(join(tmpdir(), 'attestry-gc-'));
  const blobs = new FsBlobStore(blobRoot, BUCKET, '');
  const evidence = new EvidenceRepo(index.db);
  const tenants = new TenantsRepo(index.db);
  await tenants.add('acme', null, new Date('2020-01-01T00:00:00Z'));
  let n = 0;
  return {
    index,
    evidence,
    blobs,
    blobRoot,
    async record(kind, ageDays, options = {}) {
      const tenant = options.tenant ?? 'acme';
      const created = new Date(Date.now() - ageDays * DAY);
      const id = ulid(created.getTime());
      const roles = options.roles ?? Object.keys(kind.blobs);
      const refs = [];
      let primary: { key: CasKey; bytes: Buffer } | undefined;
      for (const role of roles) {
        const key = mint(kind.blobs[role] as string, tenant, id);
        const bytes = Buffer.from(`${kind.name} ${role} ${id} ${n++}`);
        await blobs.put(key, bytes, digestOf(bytes));
        refs.push({ role, key });
        if (role === 'primary') primary = { key, bytes };
      }
      if (primary === undefined) throw new Error('a record needs its primary blob');
      const record: EvidenceRecord = {
        id,
        tenant,
        kind: kind.name,
        mediaType: 'application/vnd.dsse.envelope.v1+json',
        payloadType: 'application/vnd.in-toto+json',
        predicateType: null,
        blobKey: primary.key,
        blobs: refs,
        digest: digestOf(primary.bytes),
        size: primary.bytes.length,
        principal: 'signals-service',
        signerKeyId: 'k1',
        createdAt: created.toISOString(),
        subjects: [{ digest: digestOf(Buffer.from(id)), name: 'artifact' }],
      };
      await evidence.insertBatch([record]);
      return record;
    },
    async orphan(kind, role, ageDays) {
      const key = mint(kind.blobs[role] as string, 'acme', ulid(Date.now() - ageDays * DAY));
      await blobs.put(key, Buffer.from(`orphan ${n++}`));
      return key;
    },
    async cleanup() {
      await index.close();
      await fresh.cleanup();
      await rm(blobRoot, { recursive: true, force: true });
    },
  };
}

/** One GC on its own thread and connection (test/helpers/gc-node.ts), started when `input.start` is raised. */
export function gcNode(input: GcNodeInput): Promise<GcReport> {
  const worker = new Worker(new URL('./gc-node.js', import.meta.url), { workerData: input });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ok: true; report: GcReport } | { ok: false; message: string }) =>
      m.ok ? resolve(m.report) : reject(new Error(m.message)),
    );
    worker.once('error', reject);
  });
}
