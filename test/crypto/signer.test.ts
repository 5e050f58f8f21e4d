import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_ALGORITHMS, generateKeyPair, publicKeyToPem, type KeyAlgorithm } from '../../src/crypto/keys.js';
import { createSigner, createVerifier, signBytes, verifyBytes } from '../../src/crypto/signer.js';
import { expectAttestryError } from '../core/helpers.js';

const DATA = Buffer.from('attestry signer test data', 'utf8');

// Sigstore / model_signing convention: the hash follows the curve size.
const EXPECTED_HASH: Record<Exclude<KeyAlgorithm, 'sm2' | 'gost3410'>, string | null> = {
  ed25519: null,
  'ecdsa-p256': 'sha256',
  'ecdsa-p384': 'sha384',
  'ecdsa-p521': 'sha512',
};
const ALL_HASHES = ['sha256', 'sha384', 'sha512'];
// SM2 and GOST are not node:crypto's one-shot sign; test/crypto/sm2.test.ts and gost.test.ts cover them.
const NODE_ALGORITHMS = KEY_ALGORITHMS.filter((a): a is Exclude<KeyAlgorithm, 'sm2' | 'gost3410'> => a !== 'sm2' && a !== 'gost3410');

let workdir: string;
before(() => {
  workdir = mkdtempSync(join(tmpdir(), 'attestry-signer-'));
});
after(() => {
  rmSync(workdir, { recursive: true, force: true });
});

for (const algorithm of NODE_ALGORITHMS) {
  describe(`${algorithm} signer`, () => {
    const kp = generateKeyPair(algorithm);
    const signer = createSigner(kp.privateKey, 'kid');

    test('exposes keyid, algorithm and the matching public key', () => {
      assert.equal(signer.keyid, 'kid');
      assert.equal(signer.algorithm, algorithm);
      assert.equal(signer.publicKey.type, 'public');
      assert.ok(signer.publicKey.export({ type: 'spki', format: 'der' }).equals(kp.publicKey.export({ type: 'spki', format: 'der' })));
      assert.equal(createSigner(kp.privateKey).keyid, '');
    });

    test('signs with the hash matching the curve', () => {
      const sig = signer.sign(DATA);
      const expected = EXPECTED_HASH[algorithm];
      assert.equal(nodeVerify(expected, DATA, kp.publicKey, sig), true);
      if (expected !== null) {
        // DER-encoded ECDSA: a SEQUENCE.
        assert.equal(sig[0], 0x30);
        for (const other of ALL_HASHES.filter((h) => h !== expected)) {
          assert.equal(nodeVerify(other, DATA, kp.publicKey, sig), false, `${algorithm} signature must not verify with ${other}`);
        }
      } else {
        assert.equal(sig.length, 64);
      }
    });

    test('verifier accepts its own signatures and rejects other data', () => {
      const verifier = createVerifier(kp.publicKey, 'kid');
      assert.equal(verifier.algorithm, algorithm);
      assert.equal(verifier.keyid, 'kid');
      const sig = signer.sign(DATA);
      assert.equal(verifier.verify(DATA, sig), true);
      assert.equal(verifier.verify(Buffer.from('other data'), sig), false);
      assert.equal(verifyBytes(kp.publicKey, DATA, signBytes(kp.privateKey, DATA)), true);
    });

    test('malformed signatures return false instead of throwing', () => {
      const verifier = createVerifier(kp.publicKey);
      for (const bad of [new Uint8Array(), new Uint8Array([0x30]), new Uint8Array(200), Buffer.from('not a signature')]) {
        assert.equal(verifier.verify(DATA, bad), false);
        assert.equal(verifyBytes(kp.publicKey, DATA, bad), false);
      }
    });

    test('interop: openssl verifies the signature', () => {
      const pub = join(workdir, `${algorithm}.pub`);
      const data = join(workdir, `${algorithm}.data`);
      const sigFile = join(workdir, `${algorithm}.sig`);
      writeFileSync(pub, publicKeyToPem(kp.publicKey));
      writeFileSync(data, DATA);
      writeFileSync(sigFile, signer.sign(DATA));
      const expected = EXPECTED_HASH[algorithm];
      const args =
        expected === null
          ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', data, '-sigfile', sigFile]
          : ['dgst', `-${expected}`, '-verify', pub, '-signature', sigFile, data];
      const out = execFileSync('/usr/bin/openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      assert.match(out, /Verified OK|Signature Verified Successfully/);
    });
  });
}

describe('signature properties', () => {
  test('Ed25519 is deterministic (RFC 8032); ECDSA signatures are randomised but both verify', () => {
    const ed = createSigner(generateKeyPair('ed25519').privateKey);
    assert.deepEqual(ed.sign(DATA), ed.sign(DATA));
    const kp = generateKeyPair('ecdsa-p256');
    const ec = createSigner(kp.privateKey);
    const [s1, s2] = [ec.sign(DATA), ec.sign(DATA)];
    assert.notDeepEqual(s1, s2);
    const v = createVerifier(kp.publicKey);
    assert.ok(v.verify(DATA, s1) && v.verify(DATA, s2));
  });

  test('a signature from one key does not verify under another key or algorithm', () => {
    const a = generateKeyPair('ecdsa-p256');
    const sig = createSigner(a.privateKey).sign(DATA);
    for (const algorithm of KEY_ALGORITHMS) {
      assert.equal(createVerifier(generateKeyPair(algorithm).publicKey).verify(DATA, sig), false, algorithm);
    }
  });

  test('unsupported keys are refused with E_KEY_UNSUPPORTED', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expectAttestryError(() => createSigner(rsa.privateKey), 'E_KEY_UNSUPPORTED');
    expectAttestryError(() => createVerifier(rsa.publicKey), 'E_KEY_UNSUPPORTED');
    expectAttestryError(() => signBytes(rsa.privateKey, DATA), 'E_KEY_UNSUPPORTED');
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expectAttestryError(() => createSigner(k1.privateKey), 'E_KEY_UNSUPPORTED', /secp256k1/);
    // verifyBytes treats an unusable key like a bad signature: false, never a throw.
    assert.equal(verifyBytes(createPublicKey(rsa.privateKey), DATA, new Uint8Array(256)), false);
  });
});
