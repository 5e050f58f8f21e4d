import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../../src/authz/principal.js';
import { systemClock, ulidSource } from '../../src/core/ids.js';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { createSigner, type Signer } from '../../src/crypto/signer.js';
import { collectOrphanBlobs } from '../../src/evidence/gc.js';
import { EvidenceLocker } from '../../src/evidence/locker.js';
import { directWriter } from '../../src/evidence/sqlite-writer.js';
import { trustPublicKey } from '../../src/evidence/trust.js';
import { VerifyPool } from '../../src/evidence/verify-pool.js';
import { KindRegistry } from '../../src/kinds/registry.js';
import type { CasKey } from '../../src/store/blob/cas-key.js';
import { TrustedKeysRepo } from '../../src/store/db/keys-repo.js';
import { TenantsRepo } from '../../src/store/db/tenants-repo.js';
import { freshSqlite } from '../helpers/databases.js';
import { openGcFixture, TEST_KINDS, type GcFixture } from '../helpers/gc-fixtures.js';
import { PREDICATE_FOR_KIND, signedStatement } from '../helpers/server.js';

const digestOf = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const principal: Principal = { tokenId: 't1', role: 'signals-service', tenants: ['acme'] };

describe('locker.putRecord: a signed envelope plus the raw blobs it covers', () => {
  let f: GcFixture;
  let locker: EvidenceLocker;
  let signer: Signer;
  before(async () => {
    f = await openGcFixture(await freshSqlite());
    const pair = generateKeyPair('ed25519');
    await trustPublicKey(new TrustedKeysRepo(f.index.db), 'acme', 'k1', pair.publicKey, new Date());
    signer = createSigner(pair.privateKey, 'k1');
    locker = new EvidenceLocker({
      tenants: new TenantsRepo(f.index.db),
      evidence: f.evidence,
      writer: directWriter(f.evidence, undefined),
      trustedKeys: new TrustedKeysRepo(f.index.db),
      blobs: f.blobs,
      serviceKeys: () => [],
      clock: systemClock,
      ids: ulidSource(),
      verifier: new VerifyPool({ threads: 0 }),
      transparency: { enabled: false, skipReason: 'off in this test' },
      kinds: new KindRegistry(TEST_KINDS),
    });
  });
  after(async () => {
    await locker.drain();
    await f.cleanup();
  });

  const envelope = (hex: string): Buffer => Buffer.from(JSON.stringify(signedStatement(signer, hex, PREDICATE_FOR_KIND.attestations)));

  it('stores every blob before the index row, which lists them all; GC keeps them', async () => {
    const raw = Buffer.from('{"events":[1,2,3]}\n');
    const stored = await locker.putRecord(principal, {
      envelope: envelope('aa'.repeat(32)),
      extraBlobs: [{ role: 'raw', bytes: raw, digest: digestOf(raw) }],
    });
    assert.equal(stored.created, true);
    assert.equal(stored.kind, 'attestations');
    const blobs = await f.evidence.blobsOf(stored.id);
    assert.deepEqual(blobs, [
      { role: 'primary', key: `attestations/${stored.id}.dsse` },
      { role: 'raw', key: `attestations/${stored.id}.raw` },
    ]);
    assert.deepEqual(await f.blobs.get(blobs[1]?.key as CasKey, digestOf(raw) as `sha256:${string}`), raw);
    const { bytes } = await locker.get(principal, stored.id);
    assert.ok(JSON.parse(bytes.toString('utf8')).payloadType, 'GET still serves the envelope');
    const report = await collectOrphanBlobs(
      { blobs: f.blobs, evidence: f.evidence, kinds: new KindRegistry(TEST_KINDS) },
      { now: new Date(Date.now() + 7_200_000), minAgeMs: 0, dryRun: true },
    );
    assert.deepEqual(report.orphans, []);
  });

  it('refuses a role the kind does not declare, and a blob whose digest differs, committing nothing', async () => {
    const raw = Buffer.from('x');
    await assert.rejects(
      locker.putRecord(principal, {
        envelope: envelope('bb'.repeat(32)),
        extraBlobs: [{ role: 'content', bytes: raw, digest: digestOf(raw) }],
      }),
      (e: Error & { code?: string }) => e.code === 'E_INVALID_INPUT' && /blob role "content"/.test(e.message),
    );
    await assert.rejects(
      locker.putRecord(principal, {
        envelope: envelope('bb'.repeat(32)),
        extraBlobs: [{ role: 'raw', bytes: raw, digest: digestOf(Buffer.from('y')) }],
      }),
      (e: Error & { code?: string }) => e.code === 'E_DIGEST_MISMATCH',
    );
    const found = await locker.find(principal, { subject: `sha256:${'bb'.repeat(32)}` });
    assert.deepEqual(found.items, []);
  });

  it('a re-upload of the same envelope resolves to the stored record and leaves no extra blob behind', async () => {
    const raw = Buffer.from('again');
    const body = envelope('cc'.repeat(32));
    const first = await locker.putRecord(principal, { envelope: body, extraBlobs: [{ role: 'raw', bytes: raw, digest: digestOf(raw) }] });
    const second = await locker.putRecord(principal, { envelope: body, extraBlobs: [{ role: 'raw', bytes: raw, digest: digestOf(raw) }] });
    assert.equal(second.created, false);
    assert.equal(second.id, first.id);
    const report = await collectOrphanBlobs(
      { blobs: f.blobs, evidence: f.evidence, kinds: new KindRegistry(TEST_KINDS) },
      { now: new Date(Date.now() + 7_200_000), minAgeMs: 0, dryRun: true },
    );
    assert.deepEqual(report.orphans, []);
  });
});
