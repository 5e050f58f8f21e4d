/**
 * Key hints are hints (issue 11): `verificationMaterial.publicKey.hint` is
 * not signed and its format is agreed out of band. Signatures by an
 * independent OMS v1.0 signer (test/interop/oms-signer.ts; ECDSA P-256 and
 * P-384, `files` and `shards`) with a SHA-256-of-DER hint, no hint, or a hint
 * in no known form verify with the right key (a warning for the unknown form)
 * and fail with a wrong key on the signature itself (E_SIGNATURE_INVALID),
 * never on the hint before checking. A registry without a signer id uses the
 * hint to order its candidates and falls back to trying each.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../src/core/ids.js';
import { keyHintMatches, omsKeyHint, publicKeyDer, publicKeyToPem, type NodeKeyAlgorithm } from '../../src/crypto/keys.js';
import { addPublisher, HashPool, readRegistry, signModel, verifyModel } from '../../src/models/index.js';
import { expectExit, getString, jsonOut, runCli } from '../helpers/cli.js';
import { expectRejects, makeKeyPair, makeModel, readBundle, sha256HexOf } from '../helpers/model.js';
import { signOms, type HintStyle } from '../interop/oms-signer.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

const MODEL = {
  'config.json': '{"layers": 2}\n',
  'weights/model.safetensors': Buffer.alloc(100, 3),
  'tokenizer/vocab.txt': 'a\nb\nc\n',
};

describe('keyHintMatches', () => {
  test('SHA-256 of the SPKI PEM text or of the SPKI DER (hex, any case, or sha256:); nothing else', () => {
    const k = makeKeyPair('ecdsa-p256').publicKey;
    const der = sha256HexOf(publicKeyDer(k));
    assert.equal(keyHintMatches(omsKeyHint(k), k), true);
    assert.equal(keyHintMatches(sha256HexOf(publicKeyToPem(k)), k), true);
    assert.equal(keyHintMatches(der, k), true);
    assert.equal(keyHintMatches(der.toUpperCase(), k), true);
    assert.equal(keyHintMatches(`sha256:${der}`, k), true);
    assert.equal(keyHintMatches('', k), false);
    assert.equal(keyHintMatches(omsKeyHint(makeKeyPair('ecdsa-p256').publicKey), k), false);
  });
});

describe('independent OMS v1.0 signatures', () => {
  const algorithms: NodeKeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384'];
  for (const algorithm of algorithms) {
    for (const method of ['files', 'shards'] as const) {
      for (const hint of ['der-sha256', 'none', 'garbage'] as HintStyle[]) {
        const title = `${algorithm}, ${method}, hint ${hint}: the right key verifies${hint === 'garbage' ? ' (with a warning)' : ''}`;
        test(`${title}, a wrong key fails on the signature`, async (t) => {
          const m = makeModel(MODEL);
          t.after(m.cleanup);
          const keys = makeKeyPair(algorithm);
          const sig = join(m.base, 'model.sig');
          signOms({ modelDir: m.dir, output: sig, privateKey: keys.privateKey, publicKey: keys.publicKey, method, shardSize: 32, hint });

          const r = await verifyModel({ modelPath: m.dir, signaturePath: sig, publicKey: keys.publicKey, pool });
          assert.equal(r.ok, true, JSON.stringify(r.problems));
          assert.equal(r.signature.algorithm, algorithm);
          assert.equal(r.model.method, method);
          assert.equal(r.model.resources, method === 'files' ? 3 : 6);
          if (hint === 'garbage') {
            assert.equal(r.warnings.length, 1);
            assert.match(r.warnings[0]!, /key hint "key-2024-rotation#3 \(ask ops\)"/);
            assert.match(r.warnings[0]!, /checked with the key/);
          } else {
            assert.deepEqual(r.warnings, []);
          }

          for (const wrong of [
            makeKeyPair(algorithm),
            makeKeyPair(algorithm === 'ecdsa-p256' ? 'ecdsa-p384' : 'ecdsa-p256'),
            makeKeyPair('ed25519'),
          ]) {
            const e = await expectRejects(
              verifyModel({ modelPath: m.dir, signaturePath: sig, publicKey: wrong.publicKey, pool }),
              'E_SIGNATURE_INVALID',
              /does not verify with the key/,
            );
            assert.equal(e.exitCode, 2);
          }
        });
      }
    }
  }

  test('CLI: a garbage hint verifies with a warning on stderr and in --json; a wrong key exits 2 with E_SIGNATURE_INVALID', async (t) => {
    const m = makeModel(MODEL);
    t.after(m.cleanup);
    const keys = makeKeyPair('ecdsa-p384');
    const sig = join(m.base, 'model.sig');
    signOms({ modelDir: m.dir, output: sig, privateKey: keys.privateKey, publicKey: keys.publicKey, method: 'files', hint: 'garbage' });
    const pub = join(m.base, 'key.pub');
    writeFileSync(pub, publicKeyToPem(keys.publicKey));
    const base = ['model', 'verify', '--model-dir', m.dir, '--signature', sig];
    const human = expectExit(await runCli([...base, '--key', pub]), 0);
    assert.match(human.stderr, /^Warning: the key hint "key-2024-rotation#3 \(ask ops\)"/m);
    assert.match(human.stdout, /Signature: VALID/);
    const json = jsonOut(expectExit(await runCli([...base, '--key', pub, '--json']), 0));
    assert.equal((json['warnings'] as string[]).length, 1);
    const other = join(m.base, 'other.pub');
    writeFileSync(other, publicKeyToPem(makeKeyPair('ecdsa-p384').publicKey));
    const bad = jsonOut(expectExit(await runCli([...base, '--key', other, '--json']), 2));
    assert.equal(getString(bad, 'code'), 'E_SIGNATURE_INVALID');
  });
});

describe('a hostile hint', () => {
  test('terminal escapes and newlines in the hint are escaped in the warning, and a long hint is cut', async (t) => {
    const m = makeModel(MODEL);
    t.after(m.cleanup);
    const keys = makeKeyPair('ecdsa-p256');
    const sig = join(m.base, 'model.sig');
    signOms({ modelDir: m.dir, output: sig, privateKey: keys.privateKey, publicKey: keys.publicKey, method: 'files', hint: 'none' });
    const bundle = readBundle(sig);
    bundle.verificationMaterial.publicKey = { hint: `\u001b]0;owned\u0007\r\nSignature: FORGED\u009b${'x'.repeat(5000)}` };
    writeFileSync(sig, JSON.stringify(bundle));
    const r = await verifyModel({ modelPath: m.dir, signaturePath: sig, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true);
    const w = r.warnings[0]!;
    assert.doesNotMatch(w, /[\u0000-\u001f\u007f-\u009f]/);
    assert.match(w, /\\u001b\]0;owned\\u0007\\u000d\\u000aSignature: FORGED\\u009b/);
    assert.ok(w.length < 1000, `warning of ${w.length} characters`);
  });
});

describe('registry lookup without a signer id', () => {
  test('the hint orders the candidates; with a useless hint every publisher is tried and the one whose key verifies is named', async (t) => {
    const m = makeModel(MODEL);
    t.after(m.cleanup);
    const alice = makeKeyPair('ecdsa-p256');
    const bob = makeKeyPair('ecdsa-p256');
    const path = join(m.base, 'registry.json');
    await addPublisher(path, { id: 'alice', publicKey: alice.publicKey }, systemClock);
    await addPublisher(path, { id: 'bob', publicKey: bob.publicKey }, systemClock);
    for (const hint of ['der-sha256', 'none', 'garbage'] as HintStyle[]) {
      const sig = join(m.base, `bob-${hint}.sig`);
      signOms({ modelDir: m.dir, output: sig, privateKey: bob.privateKey, publicKey: bob.publicKey, method: 'files', hint });
      const r = await verifyModel({ modelPath: m.dir, signaturePath: sig, registry: readRegistry(path), pool });
      assert.equal(r.ok, true, hint);
      assert.equal(r.signature.publisher?.id, 'bob', hint);
    }
    // Nobody in the registry made it: untrusted, whatever the hint claims.
    const carol = makeKeyPair('ecdsa-p256');
    const sig = join(m.base, 'carol.sig');
    signOms({
      modelDir: m.dir,
      output: sig,
      privateKey: carol.privateKey,
      publicKey: carol.publicKey,
      method: 'files',
      hint: 'der-sha256',
    });
    const bundle = readBundle(sig);
    bundle.verificationMaterial.publicKey = { hint: sha256HexOf(publicKeyDer(alice.publicKey)) };
    writeFileSync(sig, JSON.stringify(bundle));
    await expectRejects(
      verifyModel({ modelPath: m.dir, signaturePath: sig, registry: readRegistry(path), pool }),
      'E_UNTRUSTED_PUBLISHER',
      /tried 2/,
    );
  });

  test('attestry signatures still name the key by the PEM convention (model_signing verifies them)', async (t) => {
    const m = makeModel(MODEL);
    t.after(m.cleanup);
    const keys = makeKeyPair('ecdsa-p256');
    const s = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool });
    assert.equal(readBundle(s.signaturePath).verificationMaterial.publicKey?.hint, omsKeyHint(keys.publicKey));
  });
});
