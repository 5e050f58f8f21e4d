/**
 * Crash safety of runtime-fact uploads (SIGNALS.md "Crash safety") on SQLite
 * and PostgreSQL: the steps of an upload are replayed with the real stores
 * up to a point, as a crash would leave them, and repairBatches must finish
 * what got past its last step before the acknowledgement and remove the
 * rest, idempotently and with two repairers racing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Digest } from '../../src/core/digest.js';
import { AttestryError } from '../../src/core/errors.js';
import { zstdCompressStream } from '../../src/core/zstd.js';
import type { BlobStore } from '../../src/store/blob/blob-store.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { BatchesRepo } from '../../src/store/db/batches-repo.js';
import { contentKey, provenanceKey } from '../../src/signals/batch-blobs.js';
import { servicePrincipal } from '../../src/signals/batch-finish.js';
import type { SignalsDeps } from '../../src/signals/deps.js';
import { buildProvenance, provenanceBytes, signBatchAttestation } from '../../src/signals/provenance.js';
import { repairBatches } from '../../src/signals/repair.js';
import { RuntimeFactsService } from '../../src/signals/runtime-facts.js';
import {
  BACKENDS,
  chunks,
  factLinesOf,
  ingestQuery,
  ndjson,
  newId,
  openFactsEnv,
  readAll,
  sha256,
  skipReason,
  type FactsEnv,
} from './facts-fixture.js';

type Stage = 'intent' | 'content' | 'attested' | 'provenance';

for (const backend of BACKENDS) {
  describe(`repairing abandoned runtime-fact uploads on ${backend}`, () => {
    let env: FactsEnv;
    let skip: string | false = false;
    let repo: BatchesRepo;
    before(async () => {
      skip = await skipReason(backend);
      if (skip !== false) return;
      env = await openFactsEnv(backend);
      repo = new BatchesRepo(env.t.app.index.db, env.t.app.index.driver);
    });
    after(async () => {
      if (skip === false) await env.close();
    });

    /** Replays an upload's steps with the real stores, stopping after `stage` (as a crash would). */
    async function crashAfter(stage: Stage, deps: SignalsDeps = env.t.deps): Promise<{ batchId: string; bytes: Buffer }> {
      const batchId = newId();
      const bytes = ndjson(factLinesOf(12));
      const now = new Date().toISOString();
      const receivedAt = new Date(Date.now() - 1000).toISOString();
      await repo.insertIntent({
        batchId,
        provenanceId: newId(),
        tenant: 'acme',
        callgraphId: env.graph,
        source: 'host',
        pipelineVersion: 'v1',
        receivedAt,
        form: 'ndjson',
        now,
      });
      const content = await deps.blobs.putStream(contentKey(deps, 'acme', batchId), zstdCompressStream(chunks(bytes)));
      if (stage === 'intent') return { batchId, bytes };
      const provenanceHash = sha256(bytes) as Digest;
      await repo.recordProgress(batchId, {
        callgraphId: env.graph,
        provenanceHash,
        rawSize: bytes.length,
        factCount: 12,
        factTypes: ['symbol_hit'],
        firstObserved: null,
        lastObserved: null,
        ingestedAt: now,
        contentDigest: content.digest,
        contentSize: content.size,
        now,
      });
      if (stage === 'content') return { batchId, bytes };
      if (stage === 'attested') {
        const { envelope, bytes: dsse } = signBatchAttestation(
          { batchId, provenanceHash, factCount: 12, timestamp: now, callgraphId: env.graph },
          deps.signer,
        );
        await deps.locker.putRecord(servicePrincipal('acme'), {
          tenant: 'acme',
          envelope: dsse,
          parsedJson: envelope,
          extraBlobs: [],
          id: batchId,
        });
        return { batchId, bytes };
      }
      const row = await repo.get(batchId);
      const provenance = buildProvenance({
        provenanceId: row?.provenanceId ?? '',
        callgraphId: env.graph,
        batchId,
        ingestedAt: now,
        receivedAt,
        tenantId: 'acme',
        source: 'host',
        pipelineVersion: 'v1',
        provenanceHash,
        signerKeyId: null,
        rekorUuid: null,
        skipReason: deps.switches.batchAttestationOff ?? null,
        factCount: 12,
        factTypes: ['symbol_hit'],
      });
      await deps.blobs.put(provenanceKey(deps, 'acme', batchId), provenanceBytes(provenance));
      return { batchId, bytes };
    }

    const gone = async (batchId: string): Promise<void> => {
      assert.equal(await repo.get(batchId), undefined, 'the intent row is removed');
      assert.equal(await env.t.app.blobs.head(contentKey(env.t.deps, 'acme', batchId)), undefined, 'the fact blob is removed');
      assert.equal(await env.t.app.blobs.head(provenanceKey(env.t.deps, 'acme', batchId)), undefined, 'no provenance is left');
    };

    test('a crash before the attestation: the upload is removed, blobs and row', async (t) => {
      if (skip) return t.skip(skip);
      const early = await crashAfter('intent');
      const late = await crashAfter('content');
      const report = await repairBatches(env.t.deps, { olderThanMs: 0 });
      assert.deepEqual(report.removed.map((r) => r.batchId).sort(), [early.batchId, late.batchId].sort());
      assert.deepEqual(report.completed, []);
      await gone(early.batchId);
      await gone(late.batchId);
    });

    test('a crash after the attestation: completed, readable and verifiable; a retry gets the same record', async (t) => {
      if (skip) return t.skip(skip);
      const { batchId, bytes } = await crashAfter('attested');
      const report = await repairBatches(env.t.deps, { olderThanMs: 0 });
      assert.deepEqual(report.completed, [batchId]);
      const service = new RuntimeFactsService(env.t.deps);
      const provenance = await service.getProvenance(env.agent, batchId);
      assert.equal(provenance.provenanceHash, sha256(bytes));
      assert.equal(provenance.signerKeyId, env.t.app.config.Signals.Signing.KeyId);
      assert.match(provenance.rekorUuid ?? '', /^[0-9a-f]{64}$/);
      assert.deepEqual(await readAll((await service.getBatch(env.agent, batchId)).content), bytes);
      assert.ok((await service.getAttestation(env.agent, batchId)).length > 0);
      assert.equal((await repo.aggregates(batchId)).length > 0, true, 'aggregates recomputed from the blob');
      const retry = await service.ingestFacts(env.agent, ingestQuery(env.graph, { batchId }), chunks(bytes), 'ndjson');
      assert.equal(retry.created, false);
      assert.deepEqual(retry.provenance, provenance);
    });

    test('attestations off: completed when its provenance record was written, removed when not', async (t) => {
      if (skip) return t.skip(skip);
      const off: SignalsDeps = {
        ...env.t.deps,
        switches: { ...env.t.deps.switches, batchAttestationOff: 'Signals.Provenance.AttestBatches is false: off' },
      };
      const written = await crashAfter('provenance', off);
      const notWritten = await crashAfter('content', off);
      const report = await repairBatches(off, { olderThanMs: 0 });
      assert.deepEqual(report.completed, [written.batchId]);
      assert.deepEqual(
        report.removed.map((r) => r.batchId),
        [notWritten.batchId],
      );
      assert.equal((await repo.get(written.batchId))?.state, 'stored');
      await gone(notWritten.batchId);
    });

    test('a fact blob that does not verify is removed, never completed', async (t) => {
      if (skip) return t.skip(skip);
      const { batchId } = await crashAfter('attested');
      await env.t.app.blobs.put(contentKey(env.t.deps, 'acme', batchId), Buffer.from('not zstd'));
      const report = await repairBatches(env.t.deps, { olderThanMs: 0 });
      assert.deepEqual(report.completed, []);
      assert.match(report.removed.find((r) => r.batchId === batchId)?.reason ?? '', /does not verify/);
      await gone(batchId);
    });

    test('two repairers racing complete each batch once; a second run finds nothing; young intents are left alone', async (t) => {
      if (skip) return t.skip(skip);
      const a = await crashAfter('attested');
      const b = await crashAfter('intent');
      const [r1, r2] = await Promise.all([repairBatches(env.t.deps, { olderThanMs: 0 }), repairBatches(env.t.deps, { olderThanMs: 0 })]);
      assert.deepEqual([...r1.completed, ...r2.completed], [a.batchId]);
      assert.deepEqual(
        [...r1.removed, ...r2.removed].map((r) => r.batchId),
        [b.batchId],
      );
      assert.equal((await repo.get(a.batchId))?.state, 'stored');
      const again = await repairBatches(env.t.deps, { olderThanMs: 0 });
      assert.deepEqual(again, { completed: [], removed: [], skipped: [] });
      const young = await crashAfter('content');
      assert.deepEqual((await repairBatches(env.t.deps, { olderThanMs: 60_000 })).removed, []);
      assert.equal((await repo.get(young.batchId))?.state, 'writing');
      // An agent retrying a batch still being written (or awaiting repair) is told to come back.
      await assert.rejects(
        new RuntimeFactsService(env.t.deps).ingestFacts(
          env.agent,
          ingestQuery(env.graph, { batchId: young.batchId }),
          chunks(young.bytes),
          'ndjson',
        ),
        (e: unknown) => e instanceof AttestryError && e.code === 'E_UNAVAILABLE' && e.httpStatus === 503,
      );
      await repairBatches(env.t.deps, { olderThanMs: 0 });
    });

    test('an upload that fails after its attestation is left for repair, which completes it', async (t) => {
      if (skip) return t.skip(skip);
      const real = env.t.deps.blobs;
      // The real store, failing the provenance write as a crash at that step would.
      const failing = new Proxy(real, {
        get(target, prop) {
          if (prop === 'put') {
            return (key: CasKey, data: Uint8Array, expected?: Digest) =>
              key.endsWith('.provenance.json') ? Promise.reject(new Error('disk went away')) : target.put(key, data, expected);
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      }) satisfies BlobStore;
      const service = new RuntimeFactsService({ ...env.t.deps, blobs: failing });
      const batchId = newId();
      const bytes = ndjson(factLinesOf(7));
      await assert.rejects(service.ingestFacts(env.agent, ingestQuery(env.graph, { batchId }), chunks(bytes), 'ndjson'), /disk went away/);
      assert.equal((await repo.get(batchId))?.state, 'writing');
      const report = await repairBatches(env.t.deps, { olderThanMs: 0 });
      assert.deepEqual(report.completed, [batchId]);
      const provenance = await new RuntimeFactsService(env.t.deps).getProvenance(env.agent, batchId);
      assert.equal(provenance.factCount, 7);
      assert.equal(provenance.provenanceHash, sha256(bytes));
    });
  });
}
