/** `reuseDigestsFrom`: re-hash only files whose size or mtime changed since an earlier signature. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, signModel, verifyModel } from '../../src/models/index.js';
import { buildOmsStatement } from '../../src/models/oms.js';
import { sealStatement } from '../../src/models/sign.js';
import { createSigner } from '../../src/crypto/signer.js';
import { expectRejects, fileSha256, makeKeyPair, makeModel, readStatement, rewritePayload, SAMPLE_FILES } from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

describe('reusing digests', () => {
  const keys = makeKeyPair();
  const n = Object.keys(SAMPLE_FILES).length;

  test('one changed file: n-1 reused, only its bytes hashed, the new signature verifies', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const first = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    const oldSig = join(m.base, 'old.sig');
    writeFileSync(oldSig, JSON.stringify(first.bundle));
    copyFileSync(`${first.signaturePath}.reuse.json`, `${oldSig}.reuse.json`);

    const changed = join(m.dir, 'weights', 'model-00002.safetensors');
    const newContent = Buffer.from('a different and longer second shard of the weights');
    writeFileSync(changed, newContent);
    const second = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool, reuseDigestsFrom: oldSig });
    assert.equal(second.filesReused, n - 1);
    assert.equal(second.bytesHashed, newContent.length);
    assert.equal(second.files, n);
    const resources = readStatement(second.signaturePath).predicate.resources;
    assert.equal(resources.length, n);
    assert.equal(resources.find((r) => r.name === 'weights/model-00002.safetensors')?.digest, fileSha256(changed));
    assert.notEqual(second.rootDigest, first.rootDigest);

    const r = await verifyModel({ modelPath: m.dir, signaturePath: second.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });

  test('nothing changed: everything reused, nothing hashed, same root digest; reusing from the signature being replaced works', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const first = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    const second = await signModel({
      modelPath: m.dir,
      privateKey: keys.privateKey,
      signerId: 'x',
      pool,
      reuseDigestsFrom: first.signaturePath,
    });
    assert.equal(second.filesReused, n);
    assert.equal(second.bytesHashed, 0);
    assert.equal(second.rootDigest, first.rootDigest);
    const r = await verifyModel({ modelPath: m.dir, signaturePath: second.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true);
  });

  test('added and removed files are handled: new ones hashed, gone ones dropped', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const first = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    rmSync(join(m.dir, 'README.md'));
    writeFileSync(join(m.dir, 'NEW.md'), 'new file!');
    const second = await signModel({
      modelPath: m.dir,
      privateKey: keys.privateKey,
      signerId: 'x',
      pool,
      reuseDigestsFrom: first.signaturePath,
    });
    assert.equal(second.filesReused, n - 1);
    assert.equal(second.bytesHashed, 'new file!'.length);
    assert.deepEqual(second.statement.predicate.resources.map((r) => r.name).includes('README.md'), false);
    const r = await verifyModel({ modelPath: m.dir, signaturePath: second.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });

  test('a signature made by a different key → E_SIGNATURE_INVALID', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const other = makeKeyPair();
    const first = await signModel({ modelPath: m.dir, privateKey: other.privateKey, signerId: 'x', pool });
    await expectRejects(
      signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool, reuseDigestsFrom: first.signaturePath }),
      'E_SIGNATURE_INVALID',
      /reuse/,
    );
  });

  test('a forged old signature (digests edited, signature kept) → E_SIGNATURE_INVALID', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const first = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    rewritePayload(first.signaturePath, (st) => {
      st.predicate.resources[0]!.digest = '0'.repeat(64);
    });
    await expectRejects(
      signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool, reuseDigestsFrom: first.signaturePath }),
      'E_SIGNATURE_INVALID',
    );
  });

  test('a missing old signature → E_NOT_FOUND', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    await expectRejects(
      signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool, reuseDigestsFrom: join(m.base, 'nope.sig') }),
      'E_NOT_FOUND',
    );
  });

  test('an old signature made with a different method is not reused (everything re-hashed)', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const first = await signModel({
      modelPath: m.dir,
      privateKey: keys.privateKey,
      signerId: 'x',
      pool,
      method: 'shards',
      shardSize: 1024,
    });
    const second = await signModel({
      modelPath: m.dir,
      privateKey: keys.privateKey,
      signerId: 'x',
      pool,
      reuseDigestsFrom: first.signaturePath,
    });
    assert.equal(second.filesReused, 0);
    assert.equal(second.bytesHashed, second.bytesTotal);
    assert.equal(second.statement.predicate.serialization.method, 'files');
  });

  test('a signature without its sidecar (copied alone) reuses nothing: everything is hashed, nothing fails', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const first = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    const alone = join(m.base, 'alone.sig');
    copyFileSync(first.signaturePath, alone);
    const second = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool, reuseDigestsFrom: alone });
    assert.equal(second.filesReused, 0);
    assert.equal(second.bytesHashed, second.bytesTotal);
    assert.equal(second.rootDigest, first.rootDigest);
  });

  test('signatures made before the sidecar (stats in resource annotations) are still reused', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const first = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    const stats = (
      JSON.parse(readFileSync(`${first.signaturePath}.reuse.json`, 'utf8')) as { files: Record<string, { size: number; mtimeNs: string }> }
    ).files;
    const resources = first.statement.predicate.resources.map((r) => ({
      ...r,
      annotations: { fileSize: stats[r.name]!.size, fileMtimeNs: stats[r.name]!.mtimeNs },
    }));
    const legacy = join(m.base, 'legacy.sig');
    sealStatement(
      buildOmsStatement(first.statement.subject[0]!.name ?? 'm', resources, first.statement.predicate.serialization, { signerId: 'x' }),
      createSigner(keys.privateKey),
      legacy,
    );
    const second = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool, reuseDigestsFrom: legacy });
    assert.equal(second.filesReused, n);
    assert.equal(second.bytesHashed, 0);
  });
});
