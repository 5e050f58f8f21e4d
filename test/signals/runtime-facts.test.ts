/**
 * Runtime-fact batches (seed 000 §5, §7.2, §10 rule 6) through the use cases
 * over a real app on SQLite and PostgreSQL: the provenance record's fields,
 * the stored blobs, the DSSE batch attestation verified with the service's
 * public key, idempotent batch ids, and the refusals of issue #14 §1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AttestryError } from '../../src/core/errors.js';
import { parseUlid } from '../../src/core/ids.js';
import { loadPublicKey } from '../../src/crypto/keys.js';
import { pae, parseEnvelope, decodeBase64 } from '../../src/crypto/dsse.js';
import { verifyBytes } from '../../src/crypto/signer.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { BatchesRepo } from '../../src/store/db/batches-repo.js';
import { parseProvenance, verifyBatchAttestation } from '../../src/signals/provenance.js';
import { RUNTIME_FACTS_PREDICATE_TYPE } from '../../src/signals/types.js';
import { hasCode as code, principalOf, PROVENANCE_FIELDS } from '../helpers/signals.js';
import {
  BACKENDS,
  chunks,
  factLinesOf,
  ingestQuery,
  insertGraph,
  ndjson,
  newId,
  openFactsEnv,
  readAll,
  sha256,
  skipReason,
  type FactsEnv,
} from './facts-fixture.js';

for (const backend of BACKENDS) {
  describe(`runtime facts on ${backend}`, () => {
    let env: FactsEnv;
    let skip: string | false = false;
    before(async () => {
      skip = await skipReason(backend);
      if (skip === false) env = await openFactsEnv(backend);
    });
    after(async () => {
      if (skip === false) await env.close();
    });

    test('a batch becomes blob + §5.1 provenance + a DSSE attestation signed by the service key', async (t) => {
      if (skip) return t.skip(skip);
      const lines = factLinesOf(40, { type: 'symbol_hit', observedAt: (i) => new Date(Date.UTC(2025, 11, 19, 10, 0, i)).toISOString() });
      const bytes = ndjson(lines);
      const before = env.events.calls.length;
      const { provenance: p, created } = await env.service.ingestFacts(env.agent, ingestQuery(env.graph), chunks(bytes, 100), 'ndjson');
      assert.equal(created, true);
      assert.deepEqual(Object.keys(p), PROVENANCE_FIELDS);
      assert.equal(p.provenanceHash, sha256(bytes), 'provenanceHash is sha256 of the bytes as received');
      assert.equal(p.callgraphId, env.graph);
      assert.equal(p.tenantId, 'acme');
      assert.equal(p.source, 'host-1.example');
      assert.equal(p.pipelineVersion, 'agent@0.9.1');
      assert.equal(p.factCount, 40);
      assert.deepEqual(p.factTypes, ['symbol_hit']);
      assert.equal(parseUlid(p.batchId), p.batchId);
      assert.equal(parseUlid(p.provenanceId), p.provenanceId);
      assert.notEqual(p.provenanceId, p.batchId);
      assert.equal(p.signerKeyId, env.t.app.config.Signals.Signing.KeyId);
      assert.match(p.rekorUuid ?? '', /^[0-9a-f]{64}$/, 'logged: rekorUuid is the log entry id');
      assert.equal(p.skipReason, null);
      assert.ok(Date.parse(p.ingestedAt) >= Date.parse(p.receivedAt));

      // §3.1 layout: both blobs under the tenant, the attestation by batch id.
      const blobs = env.t.app.blobs;
      const provKey = `runtime-facts/acme/${p.batchId}.provenance.json` as CasKey;
      assert.ok(await blobs.head(`runtime-facts/acme/${p.batchId}.ndjson.zst` as CasKey));
      assert.ok(await blobs.head(provKey));
      assert.ok(await blobs.head(`attestations/${p.batchId}.dsse` as CasKey));
      const row = await new BatchesRepo(env.t.app.index.db, env.t.app.index.driver).get(p.batchId);
      assert.equal(row?.state, 'stored');
      const stored = parseProvenance(await blobs.get(provKey, row?.provenanceDigest as `sha256:${string}`), 'test');
      assert.deepEqual(stored, p, 'the .provenance.json blob is the record returned');
      assert.deepEqual(await env.service.getProvenance(env.agent, p.batchId), p);

      // The raw bytes come back exactly, decompressed.
      const batch = await env.service.getBatch(env.agent, p.batchId);
      assert.equal(batch.form, 'ndjson');
      assert.deepEqual(await readAll(batch.content), bytes);

      // The attestation: DSSE over PAE with the published service key; §7.2 predicate.
      const dsse = await env.service.getAttestation(env.agent, p.batchId);
      const pem = env.t.app.keyring.get(p.signerKeyId as string).publicKeyPem;
      const key = loadPublicKey(pem, 'service key');
      const envelope = parseEnvelope(JSON.parse(dsse.toString('utf8')));
      const payload = decodeBase64(envelope.payload);
      assert.equal(envelope.payloadType, 'application/vnd.in-toto+json');
      assert.ok(verifyBytes(key, pae(envelope.payloadType, payload), decodeBase64(envelope.signatures[0]?.sig ?? '')));
      const verified = verifyBatchAttestation(dsse, [{ keyId: p.signerKeyId as string, publicKey: key }]);
      assert.equal(verified.statement.predicateType, RUNTIME_FACTS_PREDICATE_TYPE);
      assert.deepEqual(verified.statement.subject, [{ name: `runtime-facts/${p.batchId}`, digest: { sha256: p.provenanceHash.slice(7) } }]);
      assert.deepEqual(verified.predicate, {
        batchId: p.batchId,
        provenanceHash: p.provenanceHash,
        factCount: 40,
        timestamp: p.ingestedAt,
        subjects: [env.graph],
      });

      // Aggregates per (symbolId, codeId, loaderBase): 10 symbols x 2 code ids.
      const aggregates = await new BatchesRepo(env.t.app.index.db, env.t.app.index.driver).aggregates(p.batchId);
      assert.equal(aggregates.length, 20);
      assert.equal(
        aggregates.reduce((s, a) => s + a.hitCount, 0),
        lines.reduce((s, l) => s + (JSON.parse(l) as { hitCount: number }).hitCount, 0),
      );

      const names = env.events.calls.slice(before).map((c) => c.name);
      for (const n of ['factsIngested', 'batchStored', 'provenanceRecorded', 'attestationCreated', 'casOperation'] as const) {
        assert.ok(names.includes(n), `reports ${n}`);
      }
      const ingested = env.events.calls.slice(before).find((c) => c.name === 'factsIngested');
      assert.deepEqual(ingested?.args, ['symbol_hit', 'acme', 40]);
      assert.deepEqual(env.events.calls.slice(before).find((c) => c.name === 'attestationCreated')?.args, ['success']);
    });

    test('the JSON document form names its callgraph and is served back byte for byte', async (t) => {
      if (skip) return t.skip(skip);
      const doc = Buffer.from(
        JSON.stringify({
          subject: { imageDigest: `sha256:${'ab'.repeat(32)}` },
          callgraphId: env.graph,
          events: [
            { symbolId: 'sym:a', hitCount: 2, type: 'symbol_hit' },
            { symbolId: 'sym:b', type: 'socket_connect', socketAddress: '10.0.0.1:443' },
          ],
        }),
      );
      const { provenance } = await env.service.ingestFacts(env.agent, { source: 'h', pipelineVersion: 'v' }, chunks(doc, 7), 'json');
      assert.equal(provenance.callgraphId, env.graph);
      assert.equal(provenance.factCount, 2);
      assert.deepEqual(provenance.factTypes, ['socket_connect', 'symbol_hit']);
      assert.equal(provenance.provenanceHash, sha256(doc));
      const batch = await env.service.getBatch(env.agent, provenance.batchId);
      assert.equal(batch.form, 'json');
      assert.deepEqual(await readAll(batch.content), doc);
    });

    test('a named batch_id makes retries safe: same content → same record, other content → 409', async (t) => {
      if (skip) return t.skip(skip);
      const batchId = newId();
      const bytes = ndjson(factLinesOf(5));
      const first = await env.service.ingestFacts(env.agent, ingestQuery(env.graph, { batchId }), chunks(bytes), 'ndjson');
      assert.equal(first.created, true);
      assert.equal(first.provenance.batchId, batchId);
      const again = await env.service.ingestFacts(env.agent, ingestQuery(env.graph, { batchId }), chunks(bytes), 'ndjson');
      assert.equal(again.created, false);
      assert.deepEqual(again.provenance, first.provenance);
      await assert.rejects(
        env.service.ingestFacts(env.agent, ingestQuery(env.graph, { batchId }), chunks(ndjson(factLinesOf(6))), 'ndjson'),
        code('E_CONFLICT', new RegExp(batchId)),
      );
      // The same id from another tenant is taken, without saying by whom.
      await assert.rejects(
        env.service.ingestFacts(
          principalOf('signals-service', ['other']),
          ingestQuery(env.otherGraph, { batchId }),
          chunks(bytes),
          'ndjson',
        ),
        code('E_CONFLICT'),
      );
      await assert.rejects(
        env.service.ingestFacts(env.agent, ingestQuery(env.graph, { batchId: 'not-a-ulid' }), chunks(bytes), 'ndjson'),
        code('E_INVALID_INPUT', /batch_id/),
      );
    });

    test('§10 rule 6: a provenance_hash that is not the body’s is E_DIGEST_MISMATCH (422) and stores nothing', async (t) => {
      if (skip) return t.skip(skip);
      const bytes = ndjson(factLinesOf(3));
      const batchId = newId();
      await assert.rejects(
        env.service.ingestFacts(env.agent, ingestQuery(env.graph, { batchId, provenanceHash: sha256('other') }), chunks(bytes), 'ndjson'),
        (e: unknown) => code('E_DIGEST_MISMATCH')(e) && (e as AttestryError).httpStatus === 422,
      );
      assert.equal(await new BatchesRepo(env.t.app.index.db, env.t.app.index.driver).get(batchId), undefined);
      assert.equal(await env.t.app.blobs.head(`runtime-facts/acme/${batchId}.ndjson.zst` as CasKey), undefined);
      const ok = await env.service.ingestFacts(
        env.agent,
        ingestQuery(env.graph, { provenanceHash: sha256(bytes) }),
        chunks(bytes),
        'ndjson',
      );
      assert.equal(ok.provenance.provenanceHash, sha256(bytes));
    });

    test('refusals name what is wrong and leave nothing behind', async (t) => {
      if (skip) return t.skip(skip);
      const q = ingestQuery(env.graph);
      const rows = async () =>
        (
          await env.t.app.index.db
            .selectFrom('signals_batches')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n;
      const count = Number(await rows());
      const unknown = newId();
      await assert.rejects(
        env.service.ingestFacts(env.agent, ingestQuery(unknown), chunks(ndjson(factLinesOf(1))), 'ndjson'),
        (e: unknown) => code('E_NOT_FOUND', new RegExp(unknown))(e) && (e as AttestryError).httpStatus === 404,
      );
      // A callgraph of another tenant is not one of this tenant's.
      await assert.rejects(
        env.service.ingestFacts(env.agent, ingestQuery(env.otherGraph), chunks(ndjson(factLinesOf(1))), 'ndjson'),
        code('E_NOT_FOUND', new RegExp(env.otherGraph)),
      );
      await assert.rejects(
        env.service.ingestFacts(env.agent, { source: 's', pipelineVersion: 'v' }, chunks(ndjson(factLinesOf(1))), 'ndjson'),
        code('E_INVALID_INPUT', /callgraph_id is required/),
      );
      await assert.rejects(
        env.service.ingestFacts(principalOf('admin', '*'), { ...q, tenant: 'nope' }, chunks(ndjson(factLinesOf(1))), 'ndjson'),
        code('E_NOT_FOUND', /unknown tenant "nope"/),
      );
      await assert.rejects(env.service.ingestFacts(env.agent, q, chunks(Buffer.from('\n\n')), 'ndjson'), code('E_INVALID_INPUT', /empty/));
      await assert.rejects(
        env.service.ingestFacts(env.agent, q, chunks(Buffer.from('{"symbolId":"a","hitCount":1}\n{"hitCount":2}\n')), 'ndjson'),
        code('E_INVALID_INPUT', /line 2/),
      );
      const long = `{"symbolId":"a","metadata":{"x":"${'y'.repeat(70 * 1024)}"}}`;
      await assert.rejects(
        env.service.ingestFacts(env.agent, q, chunks(Buffer.from(`{"symbolId":"a"}\n${long}\n`)), 'ndjson'),
        (e: unknown) => code('E_PAYLOAD_TOO_LARGE', /line 2/)(e) && (e as AttestryError).httpStatus === 413,
      );
      await assert.rejects(
        env.service.ingestFacts(principalOf('scanner-worker', ['acme']), q, chunks(ndjson(factLinesOf(1))), 'ndjson'),
        code('E_FORBIDDEN'),
      );
      assert.equal(Number(await rows()), count, 'no intent rows are left by refused batches');
      const left: string[] = [];
      for await (const key of env.t.app.blobs.list('runtime-facts/acme')) left.push(key);
      const stored = await env.t.app.index.db.selectFrom('signals_batches').select('batch_id').where('tenant', '=', 'acme').execute();
      const known = new Set(stored.map((r) => r.batch_id));
      assert.deepEqual(
        left.filter((k) => !known.has(k.split('/')[2]?.split('.')[0] ?? '')),
        [],
        'no blobs are left by refused batches',
      );
    });

    test('reads are tenant-isolated (404) and follow §3.2 (policy-engine reads, scanner-worker does not)', async (t) => {
      if (skip) return t.skip(skip);
      const { provenance } = await env.service.ingestFacts(env.agent, ingestQuery(env.graph), chunks(ndjson(factLinesOf(2))), 'ndjson');
      const outsider = principalOf('signals-service', ['other']);
      await assert.rejects(env.service.getBatch(outsider, provenance.batchId), code('E_NOT_FOUND'));
      await assert.rejects(env.service.getProvenance(outsider, provenance.batchId), code('E_NOT_FOUND'));
      await assert.rejects(env.service.getAttestation(outsider, provenance.batchId), code('E_NOT_FOUND'));
      await assert.rejects(env.service.getProvenance(env.agent, newId()), code('E_NOT_FOUND'));
      const policy = principalOf('policy-engine', ['acme']);
      assert.deepEqual(await env.service.getProvenance(policy, provenance.batchId), provenance);
      assert.ok((await env.service.getAttestation(principalOf('audit-service', ['acme']), provenance.batchId)).length > 0);
      await assert.rejects(env.service.getProvenance(principalOf('scanner-worker', ['acme']), provenance.batchId), code('E_FORBIDDEN'));
    });

    test('a tampered fact blob is E_INTEGRITY at the end of the stream', async (t) => {
      if (skip) return t.skip(skip);
      const graph = await insertGraph(env.t.deps, 'acme');
      const { provenance } = await env.service.ingestFacts(env.agent, ingestQuery(graph), chunks(ndjson(factLinesOf(3))), 'ndjson');
      // The row is what reads trust: point it at another hash, as a changed blob would look.
      await env.t.app.index.db
        .updateTable('signals_batches')
        .set({ provenance_hash: sha256('something else') })
        .where('batch_id', '=', provenance.batchId)
        .execute();
      const batch = await env.service.getBatch(env.agent, provenance.batchId);
      await assert.rejects(readAll(batch.content), code('E_INTEGRITY', /provenanceHash/));
    });

    test(`ingest throughput, 10,000-fact batches (printed, not asserted)`, async (t) => {
      if (skip) return t.skip(skip);
      // 500 symbols x 2 code ids: 1,000 aggregates a batch.
      const bodies = Array.from({ length: 8 }, (_, b) =>
        ndjson(factLinesOf(10_000, { symbols: 500, observedAt: (i) => new Date(Date.UTC(2025, 0, 1, 0, b, i % 60)).toISOString() })),
      );
      const ingest = (body: Buffer) => env.service.ingestFacts(env.agent, ingestQuery(env.graph), chunks(body, 64 * 1024), 'ndjson');
      let start = process.hrtime.bigint();
      for (const body of bodies.slice(0, 4)) await ingest(body);
      const sequential = Number(process.hrtime.bigint() - start) / 1e9;
      start = process.hrtime.bigint();
      await Promise.all(bodies.slice(4).map(ingest));
      const concurrent = Number(process.hrtime.bigint() - start) / 1e9;
      t.diagnostic(
        `${backend}: ingest ${Math.round(40_000 / sequential)} facts/s one batch at a time, ${Math.round(40_000 / concurrent)} facts/s with 4 at once (10,000-fact batches, attested and logged)`,
      );
    });
  });
}
