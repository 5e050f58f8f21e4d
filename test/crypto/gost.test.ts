import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Streebog, streebog256, streebog512 } from '../../src/crypto/streebog.js';
import {
  GOST_CRYPTOPRO_A,
  GOST_TEST_CURVE_256,
  gostDigestToE,
  gostPublicPoint,
  gostSignDigestE,
  gostVerify,
  gostVerifyDigestE,
} from '../../src/crypto/gost3410.js';
import { GostPrivateKey, GostPublicKey, parseGostPkcs8, parseGostSpki } from '../../src/crypto/gost-keys.js';
import {
  generateKeyPair,
  keyAlgorithmOf,
  keyFingerprint,
  loadPrivateKey,
  loadPrivateKeyHandle,
  loadPublicKey,
  loadPublicKeyHandle,
  privateKeyToPem,
  publicKeyDer,
  publicKeyToPem,
  requireKeyObject,
  sigstoreAlgorithm,
} from '../../src/crypto/keys.js';
import { createSigner, createVerifier, signBytes, verifierFromPem, verifyBytes } from '../../src/crypto/signer.js';
import { signEnvelope, verifyEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { derInteger, derOctetString, derSequence, derUnsignedInteger } from '../../src/crypto/der.js';
import { expectAttestryError } from '../core/helpers.js';

const h = (s: string): bigint => BigInt(`0x${s.replace(/\s/g, '')}`);
/** RFC 6986 writes vectors as numbers, most significant byte first; messages and digests travel least significant byte first. */
const rfcBytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s/g, ''), 'hex').reverse();

// RFC 6986 §10.1 (example 1) and §10.2 (example 2), as printed there.
const M1 = '323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130';
const M2 =
  'fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1';
const H512_M1 =
  '486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b';
const H256_M1 = '00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d';
const H512_M2 =
  '28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f037613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e';
const H256_M2 = '508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d';

describe('Streebog (GOST R 34.11-2012, RFC 6986 §10)', () => {
  test('M1 is the 63 ASCII digits "0123…012" once byte-reversed', () => {
    assert.equal(rfcBytes(M1).toString('latin1'), '012345678901234567890123456789012345678901234567890123456789012');
  });

  for (const [name, m, h512, h256] of [
    ['M1 (63 bytes, one padded block)', M1, H512_M1, H256_M1],
    ['M2 (72 bytes, a full block and a padded one)', M2, H512_M2, H256_M2],
  ] as const) {
    test(`${name}: 512 and 256`, () => {
      assert.ok(streebog512(rfcBytes(m)).equals(rfcBytes(h512)));
      assert.ok(streebog256(rfcBytes(m)).equals(rfcBytes(h256)));
    });
  }

  test('streaming in uneven pieces equals one shot; digest ends the hash', () => {
    const data = Buffer.alloc(300, 0xa5);
    for (const bits of [256, 512] as const) {
      const s = new Streebog(bits);
      for (const cut of [
        [0, 1],
        [1, 64],
        [64, 65],
        [65, 200],
        [200, 300],
      ] as const)
        s.update(data.subarray(cut[0], cut[1]));
      assert.ok(s.digest().equals(bits === 256 ? streebog256(data) : streebog512(data)));
      assert.throws(() => s.digest());
    }
    assert.equal(streebog256(Buffer.alloc(0)).length, 32);
    assert.equal(streebog512(Buffer.alloc(0)).length, 64);
  });
});

/*
 * RFC 7091 Appendix A.1 (GOST R 34.10-2012 Annex A.1): the example curve,
 * private key d, its public key Q, the digest integer e, the nonce k and the
 * expected signature (r, s).
 */
const D = h('7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28');
const QX = h('7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B');
const QY = h('26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA');
const E = h('2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5');
const K = h('77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3');
const R = h('41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493');
const S = h('01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40');

describe('GOST R 34.10-2012 (RFC 7091)', () => {
  test('Appendix A.1: Q = dP and the signature (r, s) over e with nonce k', () => {
    assert.deepEqual(gostPublicPoint(GOST_TEST_CURVE_256, D), { x: QX, y: QY });
    assert.deepEqual(
      gostSignDigestE(GOST_TEST_CURVE_256, D, E, () => K),
      { r: R, s: S },
    );
    assert.equal(gostVerifyDigestE(GOST_TEST_CURVE_256, { x: QX, y: QY }, E, { r: R, s: S }), true);
    assert.equal(gostVerifyDigestE(GOST_TEST_CURVE_256, { x: QX, y: QY }, E + 1n, { r: R, s: S }), false);
    assert.equal(gostVerifyDigestE(GOST_TEST_CURVE_256, { x: QX, y: QY }, E, { r: R, s: S + 1n }), false);
  });

  test('the digest is read little-endian, and e = 0 becomes 1 (§6.1 step 3)', () => {
    const digest = Buffer.alloc(32);
    digest[0] = 1;
    digest[31] = 2;
    assert.equal(gostDigestToE(GOST_CRYPTOPRO_A, digest), (2n << 248n) + 1n);
    assert.equal(gostDigestToE(GOST_CRYPTOPRO_A, Buffer.alloc(32)), 1n);
  });

  const key = GostPrivateKey.generate();
  const pub = key.publicKey;
  const data = Buffer.from('attestry gost test data');

  test('sign/verify round trip; s ‖ r layout; tampering fails', () => {
    const sig = key.sign(data);
    assert.equal(sig.length, 64);
    assert.equal(pub.verify(data, sig), true);
    assert.equal(pub.verify(Buffer.from('attestry gost test datA'), sig), false);
    // The same numbers in r ‖ s order are not a valid signature.
    assert.equal(pub.verify(data, Buffer.concat([sig.subarray(32), sig.subarray(0, 32)])), false);
    assert.equal(GostPrivateKey.generate().publicKey.verify(data, sig), false);
    const flipped = Buffer.from(sig);
    flipped[10]! ^= 1;
    assert.equal(pub.verify(data, flipped), false);
  });

  test('malformed signatures and points return false, never throw', () => {
    const sig = key.sign(data);
    const q = beHex(GOST_CRYPTOPRO_A.q);
    for (const bad of [
      Buffer.alloc(0),
      sig.subarray(0, 63),
      Buffer.concat([sig, Buffer.of(0)]),
      Buffer.alloc(64),
      Buffer.concat([q, sig.subarray(32)]), // s = q
      Buffer.concat([sig.subarray(0, 32), q]), // r = q
      Buffer.alloc(64, 0xff),
    ]) {
      assert.equal(gostVerify(GOST_CRYPTOPRO_A, pub.point, data, bad), false);
      assert.equal(verifyBytes(pub, data, bad), false);
    }
    assert.equal(gostVerify(GOST_CRYPTOPRO_A, { x: pub.point.x, y: pub.point.y + 1n }, data, sig), false);
    assert.equal(gostVerify(GOST_CRYPTOPRO_A, { x: 0n, y: 0n }, data, sig), false);
    expectAttestryError(() => new GostPublicKey(GOST_CRYPTOPRO_A, { x: 1n, y: 1n }), 'E_KEY_FORMAT', /not a point/);
    expectAttestryError(() => new GostPrivateKey(GOST_CRYPTOPRO_A, 0n), 'E_KEY_FORMAT');
    expectAttestryError(() => new GostPrivateKey(GOST_CRYPTOPRO_A, GOST_CRYPTOPRO_A.q), 'E_KEY_FORMAT');
  });

  test('PEM round trip; the DER carries the RFC 9215 OIDs and little-endian key bytes', () => {
    const spki = pub.spkiDer();
    // 1.2.643.7.1.1.1.1, then SEQUENCE { 1.2.643.2.2.35.1, 1.2.643.7.1.1.2.2 }.
    const alg = '301f06082a85030701010101301306072a85030202230106082a85030701010202';
    assert.equal(spki.subarray(2, 2 + alg.length / 2).toString('hex'), alg);
    // BIT STRING(67) { 0 unused bits, OCTET STRING(64) x_le ‖ y_le }.
    assert.equal(spki.subarray(35, 39).toString('hex'), '03430004');
    assert.equal(spki.readUInt8(39), 0x40);
    assert.ok(spki.subarray(40, 72).equals(Buffer.from(pub.point.x.toString(16).padStart(64, '0'), 'hex').reverse()));
    const pkcs8 = key.pkcs8Der();
    assert.equal(pkcs8.subarray(2, 5).toString('hex'), '020100');
    assert.equal(pkcs8.subarray(5, 5 + alg.length / 2).toString('hex'), alg);
    assert.equal(pkcs8.subarray(38, 40).toString('hex'), '0420');

    const privPem = privateKeyToPem(key);
    const pubPem = publicKeyToPem(pub);
    assert.match(privPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const loaded = loadPrivateKeyHandle(privPem, 'gost.key');
    assert.ok(loaded instanceof GostPrivateKey && loaded.publicKey.equals(pub));
    const loadedPub = loadPublicKeyHandle(pubPem, 'gost.pub');
    assert.ok(loadedPub instanceof GostPublicKey && loadedPub.equals(pub));
    assert.ok(loadPublicKeyHandle(privPem, 'gost.key') instanceof GostPublicKey);
    assert.equal(keyAlgorithmOf(loaded), 'gost3410');
    assert.equal(keyFingerprint(loadedPub), keyFingerprint(pub));
    assert.ok(publicKeyDer(loadedPub).equals(spki));
    // An INTEGER (big-endian) private key, as older engine versions wrote it, reads as the same key.
    const scalarBe = Buffer.from(pkcs8.subarray(40)).reverse();
    const asInteger = parseGostPkcs8(
      derSequence(derInteger(0), pkcs8.subarray(5, 38), derOctetString(derUnsignedInteger(scalarBe))),
      'int',
    );
    assert.ok(asInteger?.publicKey.equals(pub));
    // Truncated or altered DER is E_KEY_FORMAT, not a crash.
    expectAttestryError(() => parseGostSpki(spki.subarray(0, spki.length - 1), 'cut'), 'E_KEY_FORMAT');
    const offCurve = Buffer.from(spki);
    offCurve[45]! ^= 1;
    expectAttestryError(() => parseGostSpki(offCurve, 'bent'), 'E_KEY_FORMAT', /not a point/);
  });

  test('the private scalar stays out of inspect and JSON', async () => {
    const { inspect } = await import('node:util');
    assert.doesNotMatch(inspect(key), /\d{20}/);
    assert.deepEqual(JSON.parse(JSON.stringify(key)), { type: 'private', curve: GOST_CRYPTOPRO_A.name });
  });

  test('Node-only paths refuse GOST keys with E_KEY_UNSUPPORTED', () => {
    expectAttestryError(() => sigstoreAlgorithm('gost3410'), 'E_KEY_UNSUPPORTED', /no Sigstore algorithm/, /DSSE/);
    expectAttestryError(() => requireKeyObject(pub, 'Rekor entries'), 'E_KEY_UNSUPPORTED', /Rekor entries/);
    expectAttestryError(() => loadPublicKey(publicKeyToPem(pub), 'gost.pub'), 'E_KEY_UNSUPPORTED', /gost\.pub/);
    expectAttestryError(() => loadPrivateKey(privateKeyToPem(key), 'gost.key'), 'E_KEY_UNSUPPORTED');
    expectAttestryError(() => privateKeyToPem(key, 'secret'), 'E_KEY_UNSUPPORTED', /passphrase/);
  });
});

describe('gost3410 through the generic key API', () => {
  const pair = generateKeyPair('gost3410');
  const data = Buffer.from('payload');

  test('generateKeyPair, signers and verifiers', () => {
    assert.equal(pair.algorithm, 'gost3410');
    assert.ok(pair.privateKey instanceof GostPrivateKey && pair.privateKey.curve === GOST_CRYPTOPRO_A);
    const signer = createSigner(pair.privateKey, 'g1');
    assert.equal(signer.algorithm, 'gost3410');
    const verifier = createVerifier(pair.publicKey, 'g1');
    assert.equal(verifier.fingerprint, keyFingerprint(pair.publicKey));
    assert.equal(verifier.verify(data, signer.sign(data)), true);
    assert.equal(verifyBytes(pair.publicKey, data, signBytes(pair.privateKey, data)), true);
    assert.equal(verifierFromPem(publicKeyToPem(pair.publicKey), 'g1').verify(data, signer.sign(data)), true);
    // A GOST signature is no ECDSA one and the other way round.
    assert.equal(verifyBytes(generateKeyPair('ecdsa-p256').publicKey, data, signer.sign(data)), false);
  });

  test('DSSE: a GOST-signed envelope verifies; tampering fails', () => {
    const signer = createSigner(pair.privateKey, 'g1');
    const env = signEnvelope('application/vnd.test+json', Buffer.from('{"a":1}'), [signer]);
    const verifiers = [createVerifier(pair.publicKey, 'g1')];
    const ok = verifyEnvelope(env, verifiers);
    assert.equal(ok.payload.toString(), '{"a":1}');
    assert.deepEqual(ok.verifiedKeyIds, ['g1']);
    const tampered: DsseEnvelope = { ...env, payload: Buffer.from('{"a":2}').toString('base64') };
    expectAttestryError(() => verifyEnvelope(tampered, verifiers), 'E_SIGNATURE_INVALID');
    const otherType: DsseEnvelope = { ...env, payloadType: 'application/other' };
    expectAttestryError(() => verifyEnvelope(otherType, verifiers), 'E_SIGNATURE_INVALID');
    // A GOST key that did not sign it does not verify it.
    expectAttestryError(() => verifyEnvelope(env, [createVerifier(generateKeyPair('gost3410').publicKey, 'g1')]), 'E_SIGNATURE_INVALID');
  });

  test('Keyring: ensure creates, reloads, signs; list/get describe the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attestry-gost-keyring-'));
    try {
      const ring = new Keyring(dir);
      const first = ring.ensure('gost-1', 'gost3410');
      assert.equal(first.created, true);
      assert.equal(first.info.algorithm, 'gost3410');
      const again = ring.ensure('gost-1', 'gost3410');
      assert.equal(again.created, false);
      assert.equal(again.info.fingerprint, first.info.fingerprint);
      expectAttestryError(() => ring.ensure('gost-1', 'ed25519'), 'E_CONFIG', /gost3410/);
      assert.deepEqual(
        ring.list().map((k) => [k.keyId, k.algorithm]),
        [['gost-1', 'gost3410']],
      );
      const signer = ring.signer('gost-1');
      assert.equal(signer.algorithm, 'gost3410');
      const verifier = verifierFromPem(ring.get('gost-1').publicKeyPem, 'gost-1');
      assert.equal(verifier.fingerprint, first.info.fingerprint);
      assert.equal(verifier.verify(data, signer.sign(data)), true);
      assert.match(ring.privateKeyPem('gost-1'), /^-----BEGIN PRIVATE KEY-----\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function beHex(n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
}
