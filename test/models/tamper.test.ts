/**
 * Tampering with the model (file-level problems: ok=false, the precise file
 * named) and with the signature (E_SIGNATURE_INVALID / E_KEY_MISMATCH, exit 2).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/core/errors.js';
import { omsKeyHint } from '../../src/crypto/keys.js';
import { HashPool, signModel, verifyModel, type VerifyModelResult } from '../../src/models/index.js';
import {
  expectRejects,
  flipByte,
  makeKeyPair,
  makeModel,
  readBundle,
  rewritePayload,
  SAMPLE_FILES,
  type TempModel,
  type TestKeyPair,
} from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

function kinds(r: VerifyModelResult): [string, string][] {
  return r.problems.map((p) => [p.name, p.kind]);
}

/** A fresh signed copy of SAMPLE_FILES per test, so tampering never leaks between tests. */
async function signedModel(keys: TestKeyPair): Promise<TempModel & { sig: string }> {
  const m = makeModel(SAMPLE_FILES);
  const r = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'ci', pool });
  return { ...m, sig: r.signaturePath };
}

describe('file tampering is reported per file', () => {
  const keys = makeKeyPair();
  const verify = (m: { dir: string; sig: string }, ignoreUnsignedFiles = false) =>
    verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool, ignoreUnsignedFiles });

  test('flipping one byte in any file → "modified" naming exactly that file', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    for (const name of Object.keys(SAMPLE_FILES)) {
      const path = join(m.dir, ...name.split('/'));
      for (const index of [0, -1]) {
        flipByte(path, index);
        const r = await verify(m);
        assert.equal(r.ok, false, `${name}[${index}] flipped but verify passed`);
        assert.deepEqual(kinds(r), [[name, 'modified']]);
        const p = r.problems[0]!;
        assert.match(p.expected ?? '', /^[0-9a-f]{64}$/);
        assert.match(p.actual ?? '', /^[0-9a-f]{64}$/);
        assert.notEqual(p.expected, p.actual);
        flipByte(path, index); // restore
      }
    }
    const restored = await verify(m);
    assert.equal(restored.ok, true, JSON.stringify(restored.problems));
  });

  test('renaming a file → "missing" (old name) + "unsigned" (new name)', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    renameSync(join(m.dir, 'config.json'), join(m.dir, 'config2.json'));
    const r = await verify(m);
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), [
      ['config.json', 'missing'],
      ['config2.json', 'unsigned'],
    ]);
  });

  test('moving a file into another directory → missing + unsigned', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    renameSync(join(m.dir, 'weights', 'model-00002.safetensors'), join(m.dir, 'tokenizer', 'model-00002.safetensors'));
    const r = await verify(m);
    assert.deepEqual(kinds(r), [
      ['tokenizer/model-00002.safetensors', 'unsigned'],
      ['weights/model-00002.safetensors', 'missing'],
    ]);
  });

  test('adding a file → "unsigned"; ignoreUnsignedFiles accepts it', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    writeFileSync(join(m.dir, 'weights', 'extra.bin'), 'payload');
    const r = await verify(m);
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), [['weights/extra.bin', 'unsigned']]);
    const lenient = await verify(m, true);
    assert.equal(lenient.ok, true, JSON.stringify(lenient.problems));
    assert.deepEqual(lenient.problems, []);
  });

  test('ignoreUnsignedFiles does not excuse a modified or missing signed file', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    writeFileSync(join(m.dir, 'extra.bin'), 'payload');
    flipByte(join(m.dir, 'README.md'));
    rmSync(join(m.dir, 'config.json'));
    const r = await verify(m, true);
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), [
      ['README.md', 'modified'],
      ['config.json', 'missing'],
    ]);
  });

  test('deleting a file → "missing"', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    rmSync(join(m.dir, 'tokenizer', 'vocab.txt'));
    const r = await verify(m);
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), [['tokenizer/vocab.txt', 'missing']]);
  });

  test('truncating a file (size change) → "modified"', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    writeFileSync(join(m.dir, 'weights', 'model-00001.safetensors'), Buffer.alloc(100, 7));
    const r = await verify(m);
    assert.deepEqual(kinds(r), [['weights/model-00001.safetensors', 'modified']]);
  });

  test('several problems at once are all reported, sorted by name', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    flipByte(join(m.dir, 'weights', 'model-00001.safetensors'), 100);
    rmSync(join(m.dir, 'README.md'));
    writeFileSync(join(m.dir, 'added.txt'), 'new');
    const r = await verify(m);
    assert.deepEqual(kinds(r), [
      ['README.md', 'missing'],
      ['added.txt', 'unsigned'],
      ['weights/model-00001.safetensors', 'modified'],
    ]);
  });

  test('adding files under an ignored path (.git) is not a problem', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    writeFileSync(join(m.dir, '.gitignore'), '*.tmp\n');
    const r = await verify(m);
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });
});

describe('signature tampering', () => {
  const keys = makeKeyPair('ecdsa-p256');

  test('E_SIGNATURE_INVALID, E_KEY_MISMATCH and E_UNTRUSTED_PUBLISHER map to exit code 2', () => {
    assert.equal(ERROR_CODES.E_SIGNATURE_INVALID.exit, 2);
    assert.equal(ERROR_CODES.E_KEY_MISMATCH.exit, 2);
    assert.equal(ERROR_CODES.E_UNTRUSTED_PUBLISHER.exit, 2);
  });

  test('changing a resource digest inside the payload (and the subject to match) → E_SIGNATURE_INVALID', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    // Make the manifest self-consistent so only the DSSE signature can catch it.
    writeFileSync(join(m.dir, 'config.json'), '{"hidden_size": 1024}\n');
    rewritePayload(m.sig, (st) => {
      const r = st.predicate.resources.find((x) => x.name === 'config.json')!;
      r.digest = createHash('sha256').update('{"hidden_size": 1024}\n').digest('hex');
      const concat = Buffer.concat(st.predicate.resources.map((x) => Buffer.from(x.digest, 'hex')));
      st.subject[0]!.digest['sha256'] = createHash('sha256').update(concat).digest('hex');
    });
    const e = await expectRejects(
      verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool }),
      'E_SIGNATURE_INVALID',
    );
    assert.equal(e.exitCode, 2);
  });

  test('changing one digest only (manifest inconsistent) → E_SIGNATURE_INVALID', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    rewritePayload(m.sig, (st) => {
      const r = st.predicate.resources[1]!;
      r.digest = r.digest.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    });
    const e = await expectRejects(
      verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool }),
      'E_SIGNATURE_INVALID',
    );
    assert.equal(e.exitCode, 2);
  });

  test('changing a non-digest field (signerId annotation) → E_SIGNATURE_INVALID', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    rewritePayload(m.sig, (st) => {
      st.subject[0]!.annotations = { ...st.subject[0]!.annotations, signerId: 'mallory' };
    });
    await expectRejects(verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool }), 'E_SIGNATURE_INVALID');
  });

  test('dropping a resource (and fixing the subject) → E_SIGNATURE_INVALID', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    rewritePayload(m.sig, (st) => {
      st.predicate.resources = st.predicate.resources.filter((x) => x.name !== 'README.md');
      const concat = Buffer.concat(st.predicate.resources.map((x) => Buffer.from(x.digest, 'hex')));
      st.subject[0]!.digest['sha256'] = createHash('sha256').update(concat).digest('hex');
    });
    await expectRejects(verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool }), 'E_SIGNATURE_INVALID');
  });

  test('flipping a byte of the signature → E_SIGNATURE_INVALID', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    const bundle = readBundle(m.sig);
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[sig.length - 3] = sig[sig.length - 3]! ^ 0x40;
    bundle.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    writeFileSync(m.sig, JSON.stringify(bundle));
    const e = await expectRejects(
      verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool }),
      'E_SIGNATURE_INVALID',
    );
    assert.equal(e.exitCode, 2);
  });

  test('an ed25519 signature with one flipped bit → E_SIGNATURE_INVALID', async (t) => {
    const ed = makeKeyPair('ed25519');
    const m = await signedModel(ed);
    t.after(m.cleanup);
    const bundle = readBundle(m.sig);
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
    assert.equal(sig.length, 64);
    sig[10] = sig[10]! ^ 0x01;
    bundle.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    writeFileSync(m.sig, JSON.stringify(bundle));
    await expectRejects(verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: ed.publicKey, pool }), 'E_SIGNATURE_INVALID');
  });

  test('changing the payloadType → E_SIGNATURE_INVALID (it is covered by PAE)', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    const bundle = readBundle(m.sig);
    bundle.dsseEnvelope.payloadType = 'application/json';
    writeFileSync(m.sig, JSON.stringify(bundle));
    await expectRejects(verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool }), 'E_SIGNATURE_INVALID');
  });

  test('verifying with another key → E_SIGNATURE_INVALID: the signature is checked with the key given, and the message names both key hints', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    for (const other of [makeKeyPair('ecdsa-p256'), makeKeyPair('ed25519')]) {
      const e = await expectRejects(
        verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: other.publicKey, pool }),
        'E_SIGNATURE_INVALID',
        new RegExp(`key hint is "${omsKeyHint(keys.publicKey)}"`),
        new RegExp(omsKeyHint(other.publicKey)),
      );
      assert.equal(e.exitCode, 2);
    }
  });

  test('another key with the hint removed from the bundle → E_SIGNATURE_INVALID', async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    const bundle = readBundle(m.sig);
    bundle.verificationMaterial.publicKey = {};
    writeFileSync(m.sig, JSON.stringify(bundle));
    const other = makeKeyPair('ecdsa-p256');
    await expectRejects(verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: other.publicKey, pool }), 'E_SIGNATURE_INVALID');
    // ...while the right key still verifies: the hint is only a check, not part of what is signed.
    const r = await verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true);
  });

  test("another key with the hint replaced by that key's hint → E_SIGNATURE_INVALID", async (t) => {
    const m = await signedModel(keys);
    t.after(m.cleanup);
    const other = makeKeyPair('ecdsa-p256');
    const bundle = readBundle(m.sig);
    bundle.verificationMaterial.publicKey = { hint: omsKeyHint(other.publicKey) };
    writeFileSync(m.sig, JSON.stringify(bundle));
    await expectRejects(verifyModel({ modelPath: m.dir, signaturePath: m.sig, publicKey: other.publicKey, pool }), 'E_SIGNATURE_INVALID');
  });

  test('a signature copied from another model does not verify this model', async (t) => {
    const a = await signedModel(keys);
    t.after(a.cleanup);
    const b = makeModel({ ...SAMPLE_FILES, 'config.json': '{"hidden_size": 12}\n' });
    t.after(b.cleanup);
    copyFileSync(a.sig, join(b.dir, 'model.sig'));
    const r = await verifyModel({ modelPath: b.dir, signaturePath: join(b.dir, 'model.sig'), publicKey: keys.publicKey, pool });
    assert.equal(r.ok, false);
    assert.deepEqual(kinds(r), [['config.json', 'modified']]);
  });
});
