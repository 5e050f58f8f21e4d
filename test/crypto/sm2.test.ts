import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, keyAlgorithmOf, loadPrivateKey, loadPublicKey, privateKeyToPem, publicKeyToPem } from '../../src/crypto/keys.js';
import { createSigner, createVerifier, signBytes, verifyBytes } from '../../src/crypto/signer.js';
import { SM2_DEFAULT_ID, sm2SignRaw, sm2VerifyRaw, sm2Za, type Sm2Curve } from '../../src/crypto/sm2.js';
import { toolSkip } from '../helpers/tools.js';
import { Keyring } from '../../src/crypto/keyring.js';

const h = (s: string): bigint => BigInt(`0x${s.replace(/\s/g, '')}`);

/*
 * GB/T 32918.2-2016 Annex A.2 = draft-shen-sm2-ecdsa-02 Annex A.1/A.2: the
 * example curve over Fp-256, user ID "ALICE123@YAHOO.COM", message
 * "message digest" (the same numbers are in the MIRACL-based reference code,
 * github.com/CindyChen-0824/SM2-DAPS src/sv.c).
 */
const FP256: Sm2Curve = {
  p: h('8542D69E 4C044F18 E8B92435 BF6FF7DE 45728391 5C45517D 722EDB8B 08F1DFC3'),
  a: h('787968B4 FA32C3FD 2417842E 73BBFEFF 2F3C848B 6831D7E0 EC65228B 3937E498'),
  b: h('63E4C6D3 B23B0C84 9CF84241 484BFE48 F61D59A5 B16BA06E 6E12D1DA 27C5249A'),
  n: h('8542D69E 4C044F18 E8B92435 BF6FF7DD 29772063 0485628D 5AE74EE7 C32E79B7'),
  Gx: h('421DEBD6 1B62EAB6 746434EB C3CC315E 32220B3B ADD50BDC 4C4E6C14 7FEDD43D'),
  Gy: h('0680512B CBB42C07 D47349D2 153B70C4 E5D7FDFC BFA36EA1 A85841B9 E46E09A2'),
};
const ID = Buffer.from('ALICE123@YAHOO.COM');
const M = Buffer.from('message digest');
const D = h('128B2FA8 BD433C6C 068C8D80 3DFF7979 2A519A55 171B1B65 0C23661D 15897263');
const XA = h('0AE4C779 8AA0F119 471BEE11 825BE462 02BB79E2 A5844495 E97C04FF 4DF2548A');
const YA = h('7C0240F8 8F1CD4E1 6352A73C 17B7F16F 07353E53 A176D684 A9FE0C6B B798E857');
const ZA = 'F4A38489 E32B45B6 F876E3AC 2168CA39 2362DC8F 23459C1D 1146FC3D BFB7BC9A';
const K = h('6CB28D99 385C175C 94F94E93 4817663F C176D925 DD72B727 260DBAAE 1FB2F96F');
const R = h('40F1EC59 F793D9F4 9E09DCEF 49130D41 94F79FB1 EED2CAA5 5BACDB49 C4E755D1');
const S = h('6FC6DAC3 2C5D5CF1 0C77DFB2 0F7C2EB6 67A45787 2FB09EC5 6327A67E C7DEEBE7');

const DATA = Buffer.from('attestry sm2 test data');

describe('SM2 known answer (GB/T 32918.2 Annex A)', () => {
  test('Z_A matches the standard', () => {
    assert.equal(sm2Za(FP256, ID, XA, YA).toString('hex'), ZA.replace(/\s/g, '').toLowerCase());
  });
  test('sign with the example k gives the example r, s', () => {
    assert.deepEqual(
      sm2SignRaw(FP256, D, M, ID, () => K),
      { r: R, s: S },
    );
  });
  test('the example signature verifies; altered message, r, s or ID do not', () => {
    const pub = { x: XA, y: YA };
    assert.equal(sm2VerifyRaw(FP256, pub, M, { r: R, s: S }, ID), true);
    assert.equal(sm2VerifyRaw(FP256, pub, Buffer.from('message digesT'), { r: R, s: S }, ID), false);
    assert.equal(sm2VerifyRaw(FP256, pub, M, { r: R + 1n, s: S }, ID), false);
    assert.equal(sm2VerifyRaw(FP256, pub, M, { r: R, s: S - 1n }, ID), false);
    assert.equal(sm2VerifyRaw(FP256, pub, M, { r: R, s: S }, Buffer.from(SM2_DEFAULT_ID)), false);
    assert.equal(sm2VerifyRaw(FP256, pub, M, { r: 0n, s: S }, ID), false);
  });
});

describe('SM2 keys and signatures', () => {
  test('keygen, PEM round trip, sign/verify, tamper', () => {
    const pair = generateKeyPair('sm2');
    assert.equal(keyAlgorithmOf(pair.privateKey), 'sm2');
    const priv = loadPrivateKey(privateKeyToPem(pair.privateKey), 'test');
    const pub = loadPublicKey(publicKeyToPem(pair.publicKey), 'test');
    assert.match(publicKeyToPem(pub), /BEGIN PUBLIC KEY/);
    const signer = createSigner(priv, 'k1');
    assert.equal(signer.algorithm, 'sm2');
    const sig = signer.sign(DATA);
    assert.equal(sig[0], 0x30);
    assert.equal(createVerifier(pub).verify(DATA, sig), true);
    assert.equal(verifyBytes(pub, DATA, signBytes(priv, DATA)), true);
    for (const i of [0, 5, sig.length - 1]) {
      const bad = Buffer.from(sig);
      bad[i]! ^= 0x01;
      assert.equal(verifyBytes(pub, DATA, bad), false, `flipped byte ${i}`);
    }
    const data = Buffer.from(DATA);
    data[3]! ^= 0x01;
    assert.equal(verifyBytes(pub, data, sig), false);
    assert.equal(verifyBytes(generateKeyPair('sm2').publicKey, DATA, sig), false);
    assert.equal(verifyBytes(pub, DATA, Buffer.alloc(8)), false);
  });

  test('Keyring.ensure creates an SM2 key once and signs with it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attestry-sm2-ring-'));
    try {
      const ring = new Keyring(dir);
      const first = ring.ensure('sm2-key', 'sm2');
      assert.equal(first.created, true);
      assert.equal(first.info.algorithm, 'sm2');
      const again = ring.ensure('sm2-key', 'sm2');
      assert.equal(again.created, false);
      assert.equal(again.info.fingerprint, first.info.fingerprint);
      assert.match(ring.privateKeyPem('sm2-key'), /BEGIN PRIVATE KEY/);
      const signer = ring.signer('sm2-key');
      assert.equal(signer.algorithm, 'sm2');
      assert.equal(verifyBytes(loadPublicKey(first.info.publicKeyPem, 'ring'), DATA, signer.sign(DATA)), true);
      assert.throws(() => ring.ensure('sm2-key', 'ed25519'), /sm2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('encrypted PEM round trip keeps the key', () => {
    const pair = generateKeyPair('sm2');
    const priv = loadPrivateKey(privateKeyToPem(pair.privateKey, 'pw-sm2'), 'test', 'pw-sm2');
    assert.equal(verifyBytes(pair.publicKey, DATA, signBytes(priv, DATA)), true);
  });
});

describe('SM2 interop with OpenSSL 3', { skip: toolSkip('openssl', 'openssl') }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'attestry-sm2-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const opts = ['-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${SM2_DEFAULT_ID}`];

  test('OpenSSL verifies attestry signatures', () => {
    const pair = generateKeyPair('sm2');
    writeFileSync(join(dir, 'pub.pem'), publicKeyToPem(pair.publicKey));
    writeFileSync(join(dir, 'msg'), DATA);
    writeFileSync(join(dir, 'sig'), signBytes(pair.privateKey, DATA));
    const out = execFileSync('openssl', [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(dir, 'pub.pem'),
      ...opts,
      '-in',
      join(dir, 'msg'),
      '-sigfile',
      join(dir, 'sig'),
    ]);
    assert.match(out.toString(), /Signature Verified Successfully/);
    writeFileSync(join(dir, 'msg2'), Buffer.concat([DATA, Buffer.of(0)]));
    assert.throws(() =>
      execFileSync(
        'openssl',
        ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), ...opts, '-in', join(dir, 'msg2'), '-sigfile', join(dir, 'sig')],
        { stdio: 'pipe' },
      ),
    );
  });

  test('attestry verifies OpenSSL signatures of an OpenSSL-made key', () => {
    execFileSync('openssl', ['genpkey', '-algorithm', 'SM2', '-out', join(dir, 'o.key')]);
    execFileSync('openssl', ['pkey', '-in', join(dir, 'o.key'), '-pubout', '-out', join(dir, 'o.pub')]);
    writeFileSync(join(dir, 'msg'), DATA);
    execFileSync('openssl', [
      'pkeyutl',
      '-sign',
      '-inkey',
      join(dir, 'o.key'),
      ...opts,
      '-in',
      join(dir, 'msg'),
      '-out',
      join(dir, 'o.sig'),
    ]);
    const pub = loadPublicKey(readFileSync(join(dir, 'o.pub'), 'utf8'), 'o.pub');
    const sig = readFileSync(join(dir, 'o.sig'));
    assert.equal(verifyBytes(pub, DATA, sig), true);
    assert.equal(verifyBytes(pub, Buffer.from('other'), sig), false);
    const priv = loadPrivateKey(readFileSync(join(dir, 'o.key'), 'utf8'), 'o.key');
    assert.equal(keyAlgorithmOf(priv), 'sm2');
  });
});
