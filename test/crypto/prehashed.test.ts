/**
 * ECDSA verification from a digest (crypto/prehashed.ts), checked against
 * signatures node:crypto makes over the message: the curve's own digest
 * verifies; another digest, another algorithm name, a truncated digest,
 * malformed DER and non-ECDSA keys are false, never an exception.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { digestCurveOf, verifyDigestSignature } from '../../src/crypto/prehashed.js';
import { signBytes } from '../../src/crypto/signer.js';

const MESSAGE = Buffer.from('release tarball bytes');

describe('verifyDigestSignature', () => {
  for (const [algorithm, curve, hash, name] of [
    ['ecdsa-p256', 'P-256', 'sha256', 'SHA2_256'],
    ['ecdsa-p384', 'P-384', 'sha384', 'SHA2_384'],
  ] as const) {
    test(`${curve}: the signature over the message verifies from its ${name} digest alone`, () => {
      const { privateKey, publicKey } = generateKeyPair(algorithm);
      assert.equal(digestCurveOf(publicKey), curve);
      const sig = signBytes(privateKey, MESSAGE);
      const digest = createHash(hash).update(MESSAGE).digest();
      assert.equal(verifyDigestSignature(publicKey, name, digest, sig), true);
      const other = Buffer.from(digest);
      other[0]! ^= 1;
      assert.equal(verifyDigestSignature(publicKey, name, other, sig), false, 'another digest');
      assert.equal(
        verifyDigestSignature(publicKey, name === 'SHA2_256' ? 'SHA2_384' : 'SHA2_256', digest, sig),
        false,
        'another algorithm name',
      );
      assert.equal(verifyDigestSignature(publicKey, name, digest.subarray(0, 20), sig), false, 'a truncated digest');
      assert.equal(verifyDigestSignature(publicKey, name, digest, sig.subarray(0, sig.length - 3)), false, 'malformed DER');
      assert.equal(verifyDigestSignature(generateKeyPair(algorithm).publicKey, name, digest, sig), false, 'another key');
    });
  }

  test('Ed25519 and P-521 keys are not digest-verifiable here', () => {
    const ed = generateKeyPair('ed25519');
    assert.equal(digestCurveOf(ed.publicKey), undefined);
    const digest = createHash('sha256').update(MESSAGE).digest();
    assert.equal(verifyDigestSignature(ed.publicKey, 'SHA2_256', digest, signBytes(ed.privateKey, MESSAGE)), false);
    assert.equal(digestCurveOf(generateKeyPair('ecdsa-p521').publicKey), undefined);
  });
});
