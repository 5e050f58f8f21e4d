/**
 * The one behavioural contract every EvidenceWriter must meet, whether it
 * commits on the caller's connection (directWriter, SQLite file or
 * PostgreSQL) or on a thread of its own (SqliteEvidenceWriter). Not a test
 * file itself: writer-*.test.ts call `evidenceWriterContract`. Each test gets
 * a fresh, migrated database from `open` and releases it afterwards.
 *
 * Only the public surface is used: EvidenceWriter.insertBatch/close for
 * writes, EvidenceRepo and LogReader on the main connection for reads (as the
 * locker reads), so the suite holds however a writer is built.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ulid } from 'ulid';
import { sha256Digest } from '../../src/core/digest.js';
import type { EvidenceWriter } from '../../src/evidence/sqlite-writer.js';
import type { IndexDatabase } from '../../src/store/db/connect.js';
import { EvidenceRepo, type EvidenceRecord, type EvidenceSubject, type InsertOutcome } from '../../src/store/db/evidence-repo.js';
import { TenantsRepo } from '../../src/store/db/tenants-repo.js';
import { LogReader } from '../../src/tlog/log-reader.js';
import { LogSequencer } from '../../src/tlog/log-store.js';
import { NoteSigner } from '../../src/tlog/note.js';

/** The log a writer appends to: its origin and Ed25519 note key (PKCS#8 PEM). */
export interface WriterLog {
  readonly origin: string;
  readonly privateKeyPem: string;
}

export interface OpenedWriter {
  readonly writer: EvidenceWriter;
  /** The main connection to the same, migrated database: every read of the suite goes here. */
  readonly index: IndexDatabase;
  /** Closes the writer and the connection and removes the database (file or schema). */
  cleanup(): Promise<void>;
}

/** Opens a writer on a fresh, migrated database; with `log`, the writer appends every record's entry to it. */
export type OpenWriter = (log: WriterLog | undefined) => Promise<OpenedWriter>;

const T0 = '2030-01-02T03:04:05.000Z';
const SUBJECT = sha256Digest('the artifact');

let counter = 0;
/** A record of `tenant` with bytes `content` (same content, same digest), logged with an entry body of its own. */
function record(
  tenant: string,
  content: string,
  opts: { subjects?: EvidenceSubject[]; logEntry?: Uint8Array | null } = {},
): EvidenceRecord {
  const id = ulid();
  counter++;
  return {
    id,
    tenant,
    kind: 'attestations',
    mediaType: 'application/vnd.dsse.envelope.v1+json',
    payloadType: 'application/vnd.in-toto+json',
    predicateType: 'https://slsa.dev/provenance/v1',
    blobKey: `attestations/${id}.dsse.json`,
    digest: sha256Digest(content),
    size: content.length,
    principal: 'signals-service',
    signerKeyId: 'k1',
    createdAt: T0,
    subjects: opts.subjects ?? [{ digest: sha256Digest(`subject of ${content}`), name: `s${counter}` }],
    ...(opts.logEntry === null ? {} : { logEntry: opts.logEntry ?? Buffer.from(`log entry for ${tenant}/${content}`) }),
  };
}

const batchOf = (n: number, tenant: string, prefix: string): EvidenceRecord[] =>
  Array.from({ length: n }, (_, i) => record(tenant, `${prefix} ${i}`));

/** What a stored row must say about the record it was written from (fields only: a row may carry more). */
function assertStored(row: EvidenceRecord | undefined, r: EvidenceRecord, logIndex: number | null): void {
  assert.ok(row !== undefined, `no row for ${r.id}`);
  assert.deepEqual(
    {
      id: row.id,
      tenant: row.tenant,
      kind: row.kind,
      digest: row.digest,
      blobKey: row.blobKey,
      size: row.size,
      subjects: row.subjects,
      logIndex: row.logIndex,
    },
    {
      id: r.id,
      tenant: r.tenant,
      kind: r.kind,
      digest: r.digest,
      blobKey: r.blobKey,
      size: r.size,
      subjects: [...r.subjects].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0)),
      logIndex,
    },
  );
}

export function evidenceWriterContract(name: string, open: OpenWriter): void {
  describe(name, () => {
    for (const logged of [true, false]) {
      describe(logged ? 'with a log' : 'without a log', () => {
        let opened: OpenedWriter;
        let writer: EvidenceWriter;
        let repo: EvidenceRepo;
        let log: WriterLog | undefined;

        /** Entries in the log right now (read on the main connection). */
        const logSize = async (): Promise<number> => {
          const row = await opened.index.db
            .selectFrom('tlog_entries')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow();
          return Number(row.n);
        };
        /** The log index the n-th logged record gets (from `base`), or null without a log. */
        const expectIndex = (base: number, n: number): number | null => (logged ? base + n : null);
        const created = (records: readonly EvidenceRecord[], base = 0): InsertOutcome[] =>
          records.map((r, i) => ({ id: r.id, created: true, logIndex: expectIndex(base, i) }));

        beforeEach(async () => {
          const privateKeyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
          log = logged ? { origin: 'attestry.test/writer-contract', privateKeyPem } : undefined;
          opened = await open(log);
          writer = opened.writer;
          repo = new EvidenceRepo(opened.index.db);
          const tenants = new TenantsRepo(opened.index.db);
          for (const t of ['acme', 'globex']) await tenants.add(t, null, new Date(T0));
          // As the service does at start: the first checkpoint is signed before any append.
          if (log !== undefined)
            await new LogSequencer(new NoteSigner(log.origin, log.privateKeyPem), opened.index.driver).initialize(opened.index.db);
        });
        afterEach(async () => {
          await opened.cleanup();
        });

        it('inserts a batch and returns one outcome per record, in order', async () => {
          const batch = [record('acme', 'one'), record('globex', 'two'), record('acme', 'three')];
          assert.deepEqual(await writer.insertBatch(batch), created(batch));
          for (const [i, r] of batch.entries()) assertStored(await repo.get(r.id), r, expectIndex(0, i));
          assert.equal(await logSize(), logged ? 3 : 0);
        });

        it('a record whose bytes the tenant already stored is created:false with the first id, in one batch and across batches', async () => {
          const first = record('acme', 'same bytes');
          const again = record('acme', 'same bytes');
          const otherTenant = record('globex', 'same bytes');
          const outcomes = await writer.insertBatch([first, again, otherTenant]);
          assert.deepEqual(outcomes, [
            { id: first.id, created: true, logIndex: expectIndex(0, 0) },
            { id: first.id, created: false, logIndex: expectIndex(0, 0) },
            // Deduplication is per tenant: the same bytes in another tenant are a record of their own.
            { id: otherTenant.id, created: true, logIndex: expectIndex(0, 1) },
          ]);
          const later = record('acme', 'same bytes');
          assert.deepEqual(await writer.insertBatch([later, record('acme', 'new bytes')]).then((o) => o[0]), {
            id: first.id,
            created: false,
            logIndex: expectIndex(0, 0),
          });
          for (const dup of [again, later]) assert.equal(await repo.get(dup.id), undefined, 'a duplicate gets no row of its own');
          assertStored(await repo.findByDigest('acme', first.digest), first, expectIndex(0, 0));
          // A duplicate is not logged again.
          assert.equal(await logSize(), logged ? 3 : 0);
        });

        it('subjects are searchable as soon as the batch is acknowledged', async () => {
          const both = record('acme', 'two subjects', {
            subjects: [
              { digest: SUBJECT, name: 'model.safetensors' },
              { digest: sha256Digest('another artifact'), name: null },
            ],
          });
          const other = record('globex', 'same subject', { subjects: [{ digest: SUBJECT, name: 'copy' }] });
          await writer.insertBatch([both, other]);
          const found = await repo.findBySubject({ digest: SUBJECT, tenants: '*', kinds: ['attestations'], limit: 10 });
          assert.deepEqual(found.map((r) => r.id).sort(), [both.id, other.id].sort());
          const inAcme = await repo.findBySubject({
            digest: sha256Digest('another artifact'),
            tenants: ['acme'],
            kinds: ['attestations'],
            limit: 10,
          });
          assert.deepEqual(
            inAcme.map((r) => r.id),
            [both.id],
          );
          assertStored(
            found.find((r) => r.id === both.id),
            both,
            expectIndex(0, 0),
          );
        });

        if (logged) {
          it('log indexes are consecutive across batches, each row carries its own, and the log holds each entry body', async () => {
            const first = batchOf(3, 'acme', 'first');
            const second = batchOf(2, 'globex', 'second');
            assert.deepEqual(await writer.insertBatch(first), created(first, 0));
            assert.deepEqual(await writer.insertBatch(second), created(second, 3));
            const reader = new LogReader(opened.index.db);
            assert.equal((await reader.state()).size, 5);
            for (const [i, r] of [...first, ...second].entries()) {
              assertStored(await repo.get(r.id), r, i);
              const entry = await reader.entry(i);
              assert.ok(entry !== undefined, `no log entry ${i}`);
              assert.deepEqual(entry.body, Buffer.from(r.logEntry as Uint8Array));
            }
          });

          it('a record without a log entry body is stored unlogged and takes no index', async () => {
            const bare = record('acme', 'bare', { logEntry: null });
            const entry = record('acme', 'with entry');
            assert.deepEqual(await writer.insertBatch([bare, entry]), [
              { id: bare.id, created: true, logIndex: null },
              { id: entry.id, created: true, logIndex: 0 },
            ]);
            assertStored(await repo.get(bare.id), bare, null);
            assert.equal(await logSize(), 1);
          });
        } else {
          it('every record is stored unlogged: logIndex null in the outcome and the row, nothing appended', async () => {
            const batch = batchOf(4, 'acme', 'unlogged');
            const outcomes = await writer.insertBatch(batch);
            assert.deepEqual(
              outcomes.map((o) => o.logIndex),
              [null, null, null, null],
            );
            for (const r of batch) assert.equal((await repo.get(r.id))?.logIndex, null);
            assert.equal(await logSize(), 0);
          });
        }

        it('an empty batch returns no outcomes and writes nothing', async () => {
          assert.deepEqual(await writer.insertBatch([]), []);
          assert.equal(await logSize(), 0);
          // And the writer still works afterwards.
          const r = record('acme', 'after empty');
          assert.deepEqual(await writer.insertBatch([r]), created([r]));
        });

        it('a batch of 5,000 records commits whole', { timeout: 120_000 }, async () => {
          // More subject rows (two per record) than one INSERT may bind on SQLite.
          const batch = Array.from({ length: 5000 }, (_, i) =>
            record(i % 2 === 0 ? 'acme' : 'globex', `bulk ${i}`, {
              subjects: [
                { digest: SUBJECT, name: `bulk-${i}` },
                { digest: sha256Digest(`bulk subject ${i}`), name: null },
              ],
            }),
          );
          const outcomes = await writer.insertBatch(batch);
          assert.deepEqual(outcomes, created(batch));
          assert.equal(await logSize(), logged ? 5000 : 0);
          for (const i of [0, 1, 2499, 4096, 4999]) {
            const r = batch[i] as EvidenceRecord;
            assertStored(await repo.get(r.id), r, expectIndex(0, i));
          }
          const found = await repo.findBySubject({ digest: SUBJECT, tenants: '*', kinds: ['attestations'], limit: 1000 });
          assert.equal(found.length, 1000);
          const last = batch[4999] as EvidenceRecord;
          assert.deepEqual(
            (
              await repo.findBySubject({
                digest: sha256Digest('bulk subject 4999'),
                tenants: [last.tenant],
                kinds: ['attestations'],
                limit: 10,
              })
            ).map((r) => r.id),
            [last.id],
          );
        });

        it('a batch in which one record violates a constraint commits nothing, and later batches work', async () => {
          const before = record('acme', 'already there');
          await writer.insertBatch([before]);
          const good1 = record('acme', 'good one', { subjects: [{ digest: SUBJECT, name: 'x' }] });
          const good2 = record('globex', 'good two');
          // No such tenant: the evidence row's foreign key fails.
          const bad = record('no-such-tenant', 'bad');
          const good3 = record('acme', 'good three');
          await assert.rejects(writer.insertBatch([good1, good2, bad, good3]));
          for (const r of [good1, good2, bad, good3]) assert.equal(await repo.get(r.id), undefined, `row ${r.id} survived the rollback`);
          assert.deepEqual(await repo.findBySubject({ digest: SUBJECT, tenants: '*', kinds: ['attestations'], limit: 10 }), []);
          assert.equal(await logSize(), logged ? 1 : 0, 'the failed batch appended nothing to the log');
          assertStored(await repo.get(before.id), before, expectIndex(0, 0));
          // The writer is usable afterwards, and the log continues where it was.
          assert.deepEqual(await writer.insertBatch([good1, good2, good3]), created([good1, good2, good3], 1));
          assert.equal(await logSize(), logged ? 4 : 0);
        });

        it('concurrent batches from two callers all land', async () => {
          // Two callers (say, two request handlers' group commits), five batches each, all in flight at once.
          const callers = ['acme', 'globex'].map((tenant) =>
            Array.from({ length: 5 }, (_, b) => batchOf(20, tenant, `${tenant} batch ${b}`)),
          );
          const outcomes = await Promise.all(callers.map((batches) => Promise.all(batches.map((batch) => writer.insertBatch(batch)))));
          const all = callers.flat(2);
          for (const [c, batches] of callers.entries()) {
            for (const [b, batch] of batches.entries()) {
              const got = outcomes[c]?.[b] ?? [];
              assert.deepEqual(
                got.map((o) => [o.id, o.created]),
                batch.map((r) => [r.id, true]),
              );
              if (logged) {
                // A batch is appended as one run: its indexes follow each other.
                const first = got[0]?.logIndex as number;
                assert.deepEqual(
                  got.map((o) => o.logIndex),
                  batch.map((_, i) => first + i),
                );
              } else assert.ok(got.every((o) => o.logIndex === null));
            }
          }
          if (logged) {
            const indexes = outcomes
              .flat(2)
              .map((o) => o.logIndex as number)
              .sort((a, b) => a - b);
            assert.deepEqual(
              indexes,
              all.map((_, i) => i),
              'the batches tile the log: no index twice, none skipped',
            );
          }
          for (const r of all) assert.ok((await repo.get(r.id)) !== undefined, `row ${r.id} missing`);
          assert.equal(await logSize(), logged ? all.length : 0);
        });
      });
    }
  });
}
