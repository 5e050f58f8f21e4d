/**
 * Seed 000 §9's switches as runtime-fact uploads see them, on SQLite and
 * PostgreSQL: CAS.WriteEnabled off refuses before the body is read;
 * Provenance.Enabled or AttestBatches off store the batch and its provenance
 * without an attestation (skipReason names the key; GET attestation is a 404
 * saying why); RekorEnabled off attests without a log entry.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResolvedConfig } from '../../src/core/config.js';
import type { AttestryError } from '../../src/core/errors.js';
import { loadPublicKey } from '../../src/crypto/keys.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { verifyBatchAttestation } from '../../src/signals/provenance.js';
import { hasCode as code } from '../helpers/signals.js';
import {
  BACKENDS,
  chunks,
  factLinesOf,
  ingestQuery,
  ndjson,
  openFactsEnv,
  readAll,
  skipReason,
  watchedBody,
  type FactsEnv,
} from './facts-fixture.js';

async function withEnv(
  backend: (typeof BACKENDS)[number],
  configure: (c: ResolvedConfig) => void,
  run: (env: FactsEnv) => Promise<void>,
): Promise<void> {
  const env = await openFactsEnv(backend, { configure });
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

for (const backend of BACKENDS) {
  describe(`runtime-fact switches on ${backend}`, () => {
    test('CAS.WriteEnabled false: 503 E_READ_ONLY naming the key, before the body is read', async (t) => {
      const skip = await skipReason(backend);
      if (skip) return t.skip(skip);
      await withEnv(
        backend,
        (c) => {
          c.Signals.CAS.WriteEnabled = false;
        },
        async (env) => {
          const { body, read } = watchedBody(ndjson(factLinesOf(3)));
          await assert.rejects(
            env.service.ingestFacts(env.agent, ingestQuery(env.graph), body, 'ndjson'),
            (e: unknown) => code('E_READ_ONLY', /Signals\.CAS\.WriteEnabled/)(e) && (e as AttestryError).httpStatus === 503,
          );
          assert.equal(read(), false, 'the body was not read');
        },
      );
    });

    for (const [name, key, configure] of [
      [
        'AttestBatches false',
        'Signals.Provenance.AttestBatches',
        (c: ResolvedConfig) => {
          c.Signals.Provenance.AttestBatches = false;
        },
      ],
      [
        'Provenance.Enabled false',
        'Signals.Provenance.Enabled',
        (c: ResolvedConfig) => {
          c.Signals.Provenance.Enabled = false;
        },
      ],
    ] as const) {
      test(`${name}: batch and provenance stored, no attestation, skipReason names ${key}`, async (t) => {
        const skip = await skipReason(backend);
        if (skip) return t.skip(skip);
        await withEnv(backend, configure, async (env) => {
          const bytes = ndjson(factLinesOf(4));
          const { provenance } = await env.service.ingestFacts(env.agent, ingestQuery(env.graph), chunks(bytes), 'ndjson');
          assert.equal(provenance.signerKeyId, null);
          assert.equal(provenance.rekorUuid, null);
          assert.match(provenance.skipReason ?? '', new RegExp(key.replace(/\./g, '\\.')));
          assert.deepEqual(await env.service.getProvenance(env.agent, provenance.batchId), provenance);
          assert.deepEqual(await readAll((await env.service.getBatch(env.agent, provenance.batchId)).content), bytes);
          await assert.rejects(
            env.service.getAttestation(env.agent, provenance.batchId),
            code('E_NOT_FOUND', new RegExp(`no attestation: .*${key.replace(/\./g, '\\.')}`)),
          );
          assert.equal(await env.t.app.blobs.head(`attestations/${provenance.batchId}.dsse` as CasKey), undefined);
          const names = env.events.calls.map((c) => c.name);
          assert.ok(!names.includes('attestationCreated'));
          assert.ok(names.includes('provenanceRecorded'));
        });
      });
    }

    test('RekorEnabled false: attested and signed, not logged; skipReason names the key', async (t) => {
      const skip = await skipReason(backend);
      if (skip) return t.skip(skip);
      await withEnv(
        backend,
        (c) => {
          c.Signals.Provenance.RekorEnabled = false;
        },
        async (env) => {
          const { provenance } = await env.service.ingestFacts(env.agent, ingestQuery(env.graph), chunks(ndjson(factLinesOf(2))), 'ndjson');
          assert.equal(provenance.signerKeyId, env.t.app.config.Signals.Signing.KeyId);
          assert.equal(provenance.rekorUuid, null);
          assert.match(provenance.skipReason ?? '', /Signals\.Provenance\.RekorEnabled/);
          const dsse = await env.service.getAttestation(env.agent, provenance.batchId);
          const key = loadPublicKey(env.t.app.keyring.get(provenance.signerKeyId ?? '').publicKeyPem, 'service key');
          const verified = verifyBatchAttestation(dsse, [{ keyId: provenance.signerKeyId ?? '', publicKey: key }]);
          assert.equal(verified.predicate.batchId, provenance.batchId);
        },
      );
    });
  });
}
