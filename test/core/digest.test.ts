import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { digestFromHex, digestHex, isDigest, parseDigest, sha256, sha256Digest, sha256Hex } from '../../src/core/digest.js';
import { expectAttestryError } from './helpers.js';

// FIPS 180-2 Appendix B.1 ("abc") and the well-known digest of the empty string.
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('sha256 helpers', () => {
  test('known answers for "abc" and ""', () => {
    assert.equal(sha256Hex('abc'), ABC);
    assert.equal(sha256Hex(''), EMPTY);
    assert.equal(sha256Digest('abc'), `sha256:${ABC}`);
    assert.equal(sha256Digest(new Uint8Array()), `sha256:${EMPTY}`);
  });

  test('strings hash as UTF-8, and bytes and strings agree', () => {
    const text = 'grüße 😀';
    assert.equal(sha256Hex(text), sha256Hex(Buffer.from(text, 'utf8')));
    assert.equal(sha256Hex(text), createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
  });

  test('sha256 returns the 32 raw bytes of sha256Hex', () => {
    const raw = sha256('abc');
    assert.ok(Buffer.isBuffer(raw));
    assert.equal(raw.length, 32);
    assert.equal(raw.toString('hex'), ABC);
  });
});

describe('isDigest', () => {
  test('accepts only sha256: + 64 lowercase hex', () => {
    assert.equal(isDigest(`sha256:${ABC}`), true);
    assert.equal(isDigest(`sha256:${ABC.toUpperCase()}`), false);
    assert.equal(isDigest(ABC), false);
    assert.equal(isDigest(`sha256:${ABC}0`), false);
    assert.equal(isDigest(`sha256:${ABC.slice(1)}`), false);
    assert.equal(isDigest(`sha512:${ABC}`), false);
    assert.equal(isDigest(`SHA256:${ABC}`), false);
    assert.equal(isDigest(` sha256:${ABC}`), false);
    assert.equal(isDigest(`sha256:${ABC}\n`), false);
    assert.equal(isDigest(42), false);
    assert.equal(isDigest(null), false);
  });
});

describe('parseDigest', () => {
  test('returns a valid digest unchanged', () => {
    assert.equal(parseDigest(`sha256:${ABC}`), `sha256:${ABC}`);
  });

  test('normalises upper-case hex to lower case', () => {
    assert.equal(parseDigest(`sha256:${ABC.toUpperCase()}`), `sha256:${ABC}`);
  });

  test('rejects other algorithms, bare hex, wrong length, non-hex and trailing newline', () => {
    const bad = [
      `sha512:${ABC}`,
      `SHA256:${ABC}`,
      ABC,
      `sha256:${ABC.slice(2)}`,
      `sha256:${ABC}00`,
      `sha256:${'g'.repeat(64)}`,
      `sha256:${ABC}\n`,
      '',
    ];
    for (const value of bad) {
      expectAttestryError(() => parseDigest(value), 'E_INVALID_INPUT', /sha256:<64 lowercase hex>/);
    }
  });

  test('rejects non-strings and names the field', () => {
    expectAttestryError(() => parseDigest(123, 'subject.digest'), 'E_INVALID_INPUT', /^subject\.digest: expected a string/);
    expectAttestryError(() => parseDigest(undefined), 'E_INVALID_INPUT', /^digest: /);
    expectAttestryError(() => parseDigest('nope', 'manifest.root'), 'E_INVALID_INPUT', /^manifest\.root: "nope"/);
  });

  test('truncates very long input in the message', () => {
    const long = `sha256:${'z'.repeat(500)}`;
    const err = expectAttestryError(() => parseDigest(long), 'E_INVALID_INPUT');
    assert.ok(!err.message.includes(long));
    assert.match(err.message, /z{70}\.\.\./);
    assert.ok(err.message.length < 200, `message too long: ${err.message.length}`);
  });
});

describe('digestFromHex / digestHex', () => {
  test('round trip', () => {
    const d = digestFromHex(ABC);
    assert.equal(d, `sha256:${ABC}`);
    assert.equal(digestHex(d), ABC);
    assert.equal(digestHex(sha256Digest('')), EMPTY);
  });

  test('digestFromHex requires exactly 64 lowercase hex characters', () => {
    for (const hex of [ABC.toUpperCase(), ABC.slice(1), `${ABC}a`, `sha256:${ABC}`, '']) {
      expectAttestryError(() => digestFromHex(hex), 'E_INVALID_INPUT', /64 lowercase hex/);
    }
  });
});
