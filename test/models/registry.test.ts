/** The trusted publisher registry and `verifyModel({ registry })`. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addPublisher, HashPool, readRegistry, removePublisher, revokePublisher, signModel, verifyModel } from '../../src/models/index.js';
import { keyFingerprint, publicKeyToPem } from '../../src/crypto/keys.js';
import { systemClock } from '../../src/core/ids.js';
import {
  expectAttestryError,
  expectRejects,
  makeKeyPair,
  makeModel,
  makeTempDir,
  removeDir,
  SAMPLE_FILES,
  type TempModel,
} from '../helpers/model.js';

let pool: HashPool;
let tmp: string;
let model: TempModel;
let sigAlice: string;
let sigBob: string;
const alice = makeKeyPair('ed25519');
const bob = makeKeyPair('ecdsa-p256');
const clock = (iso: string) => ({ now: () => new Date(iso) });

before(async () => {
  pool = new HashPool({ threads: 2 });
  tmp = makeTempDir();
  model = makeModel(SAMPLE_FILES);
  sigAlice = join(model.base, 'alice.sig');
  sigBob = join(model.base, 'bob.sig');
  await signModel({ modelPath: model.dir, privateKey: alice.privateKey, signerId: 'alice@example.com', output: sigAlice, pool });
  await signModel({ modelPath: model.dir, privateKey: bob.privateKey, signerId: 'bob@example.com', output: sigBob, pool });
});
after(async () => {
  await pool.close();
  removeDir(tmp);
  model.cleanup();
});

let counter = 0;
const registryPath = () => join(tmp, `registry-${++counter}.json`);

describe('registry file operations', () => {
  test('a missing registry reads as empty', () => {
    assert.deepEqual(readRegistry(join(tmp, 'none.json')), { version: 1, publishers: [] });
  });

  test('add, list, revoke, remove', async () => {
    const path = registryPath();
    const a = await addPublisher(
      path,
      { id: 'alice@example.com', name: 'Alice', publicKey: alice.publicKey },
      clock('2025-01-01T00:00:00Z'),
    );
    assert.equal(a.fingerprint, keyFingerprint(alice.publicKey));
    assert.equal(a.algorithm, 'ed25519');
    assert.equal(a.publicKey, publicKeyToPem(alice.publicKey));
    assert.equal(a.trustedSince, '2025-01-01T00:00:00.000Z');
    assert.equal(a.revoked, false);
    await addPublisher(path, { id: 'bob@example.com', publicKey: bob.publicKey }, systemClock);

    let reg = readRegistry(path);
    assert.equal(reg.version, 1);
    assert.deepEqual(
      reg.publishers.map((p) => [p.id, p.name, p.algorithm]),
      [
        ['alice@example.com', 'Alice', 'ed25519'],
        ['bob@example.com', 'bob@example.com', 'ecdsa-p256'],
      ],
    );

    const revoked = await revokePublisher(path, 'bob@example.com', 'key leaked', clock('2025-06-01T00:00:00Z'));
    assert.equal(revoked.revoked, true);
    reg = readRegistry(path);
    const b = reg.publishers.find((p) => p.id === 'bob@example.com');
    assert.equal(b?.revoked, true);
    assert.equal(b?.revokedAt, '2025-06-01T00:00:00.000Z');
    assert.equal(b?.revocationReason, 'key leaked');

    const removed = await removePublisher(path, 'alice@example.com');
    assert.equal(removed.id, 'alice@example.com');
    assert.deepEqual(
      readRegistry(path).publishers.map((p) => p.id),
      ['bob@example.com'],
    );

    await expectRejects(removePublisher(path, 'alice@example.com'), 'E_NOT_FOUND');
    await expectRejects(revokePublisher(path, 'nobody', undefined, systemClock), 'E_NOT_FOUND');
  });

  test('adding an id twice → E_CONFLICT, and the registry is unchanged', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, systemClock);
    const before = readFileSync(path, 'utf8');
    await expectRejects(addPublisher(path, { id: 'alice@example.com', publicKey: bob.publicKey }, systemClock), 'E_CONFLICT');
    assert.equal(readFileSync(path, 'utf8'), before);
  });

  test('10 concurrent adds all land', async () => {
    const path = registryPath();
    const ids = Array.from({ length: 10 }, (_, i) => `publisher-${i}`);
    const added = await Promise.all(ids.map((id) => addPublisher(path, { id, publicKey: makeKeyPair().publicKey }, systemClock)));
    assert.equal(added.length, 10);
    const reg = readRegistry(path);
    assert.deepEqual(reg.publishers.map((p) => p.id).sort(), ids.sort());
  });

  test('a hand-edited fingerprint → E_REGISTRY_FORMAT', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, systemClock);
    const text = readFileSync(path, 'utf8');
    const fp = keyFingerprint(alice.publicKey);
    const edited = text.replace(fp, `sha256:${fp.slice(7).replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))}`);
    assert.notEqual(edited, text);
    writeFileSync(path, edited);
    expectAttestryError(() => readRegistry(path), 'E_REGISTRY_FORMAT', /alice@example\.com/);
  });

  test('a hand-swapped public key (fingerprint left alone) → E_REGISTRY_FORMAT', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, systemClock);
    const reg = JSON.parse(readFileSync(path, 'utf8')) as { publishers: { publicKey: string }[] };
    reg.publishers[0]!.publicKey = publicKeyToPem(bob.publicKey);
    writeFileSync(path, JSON.stringify(reg));
    expectAttestryError(() => readRegistry(path), 'E_REGISTRY_FORMAT');
  });

  test('malformed registries → E_REGISTRY_FORMAT', () => {
    const path = registryPath();
    writeFileSync(path, '{not json');
    expectAttestryError(() => readRegistry(path), 'E_REGISTRY_FORMAT');
    writeFileSync(path, JSON.stringify({ version: 2, publishers: [] }));
    expectAttestryError(() => readRegistry(path), 'E_REGISTRY_FORMAT');
  });
});

describe('verifying with a registry', () => {
  test('a trusted publisher found by signer id → ok, publisher reported', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', name: 'Alice', publicKey: alice.publicKey }, clock('2024-01-01T00:00:00Z'));
    await addPublisher(path, { id: 'bob@example.com', publicKey: bob.publicKey }, clock('2024-01-01T00:00:00Z'));
    const r = await verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry: readRegistry(path), pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.deepEqual(r.signature.publisher, { id: 'alice@example.com', name: 'Alice' });
    const rb = await verifyModel({ modelPath: model.dir, signaturePath: sigBob, registry: readRegistry(path), pool });
    assert.equal(rb.signature.publisher?.id, 'bob@example.com');
  });

  test('a revoked publisher → E_UNTRUSTED_PUBLISHER', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, clock('2024-01-01T00:00:00Z'));
    await revokePublisher(path, 'alice@example.com', 'compromised', systemClock);
    const e = await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry: readRegistry(path), pool }),
      'E_UNTRUSTED_PUBLISHER',
      /revoked/,
    );
    assert.equal(e.exitCode, 2);
  });

  test('an expired publisher (expiresAt in the past) → E_UNTRUSTED_PUBLISHER', async () => {
    const path = registryPath();
    await addPublisher(
      path,
      {
        id: 'alice@example.com',
        publicKey: alice.publicKey,
        trustedSince: new Date('2020-01-01T00:00:00Z'),
        expiresAt: new Date(Date.now() - 60_000),
      },
      systemClock,
    );
    await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry: readRegistry(path), pool }),
      'E_UNTRUSTED_PUBLISHER',
      /expired/,
    );
  });

  test('expiry and trustedSince are judged by the verify clock', async () => {
    const path = registryPath();
    await addPublisher(
      path,
      {
        id: 'alice@example.com',
        publicKey: alice.publicKey,
        trustedSince: new Date('2025-01-01T00:00:00Z'),
        expiresAt: new Date('2026-01-01T00:00:00Z'),
      },
      systemClock,
    );
    const registry = readRegistry(path);
    const ok = await verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry, pool, clock: clock('2025-06-01T00:00:00Z') });
    assert.equal(ok.ok, true);
    await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry, pool, clock: clock('2026-01-01T00:00:00Z') }),
      'E_UNTRUSTED_PUBLISHER',
    );
    await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry, pool, clock: clock('2024-12-31T23:59:59Z') }),
      'E_UNTRUSTED_PUBLISHER',
    );
  });

  test('an unknown signer (neither id nor key in the registry) → E_UNTRUSTED_PUBLISHER', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'bob@example.com', publicKey: bob.publicKey }, systemClock);
    const e = await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry: readRegistry(path), pool }),
      'E_UNTRUSTED_PUBLISHER',
      /alice@example\.com/,
    );
    assert.equal(e.exitCode, 2);
    await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: sigAlice, registry: { version: 1, publishers: [] }, pool }),
      'E_UNTRUSTED_PUBLISHER',
    );
  });

  test("a signature claiming a trusted signer id but made with another key → E_SIGNATURE_INVALID (checked with that publisher's key)", async (t) => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, systemClock);
    const mallory = makeKeyPair();
    const forged = join(model.base, 'mallory.sig');
    t.after(() => removeDir(forged));
    await signModel({ modelPath: model.dir, privateKey: mallory.privateKey, signerId: 'alice@example.com', output: forged, pool });
    const e = await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: forged, registry: readRegistry(path), pool }),
      'E_SIGNATURE_INVALID',
      /publisher "alice@example\.com"/,
    );
    assert.equal(e.exitCode, 2);
  });

  test('a registry hit still checks the model files', async (t) => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, systemClock);
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const s = await signModel({ modelPath: m.dir, privateKey: alice.privateKey, signerId: 'alice@example.com', pool });
    writeFileSync(join(m.dir, 'README.md'), 'changed');
    const r = await verifyModel({ modelPath: m.dir, signaturePath: s.signaturePath, registry: readRegistry(path), pool });
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.problems.map((p) => [p.name, p.kind]),
      [['README.md', 'modified']],
    );
  });
});

describe('registry lookup by signer id', () => {
  test('a signature naming an unknown signer is refused even when its key belongs to a trusted publisher', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, clock('2025-01-01T00:00:00Z'));
    const sigMallory = join(model.base, 'mallory.sig');
    // Alice's key, but the signature claims to come from someone the registry does not know.
    await signModel({ modelPath: model.dir, privateKey: alice.privateKey, signerId: 'mallory@example.com', output: sigMallory, pool });
    await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: sigMallory, registry: readRegistry(path), pool }),
      'E_UNTRUSTED_PUBLISHER',
      /mallory@example\.com/,
    );
  });

  test('a signature naming a trusted publisher but made with another key fails on the signature (the hint only informs)', async () => {
    const path = registryPath();
    await addPublisher(path, { id: 'alice@example.com', publicKey: alice.publicKey }, clock('2025-01-01T00:00:00Z'));
    const forged = join(model.base, 'forged.sig');
    await signModel({ modelPath: model.dir, privateKey: bob.privateKey, signerId: 'alice@example.com', output: forged, pool });
    await expectRejects(
      verifyModel({ modelPath: model.dir, signaturePath: forged, registry: readRegistry(path), pool }),
      'E_SIGNATURE_INVALID',
    );
  });
});
