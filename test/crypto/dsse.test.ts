import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { decodeBase64, pae, parseEnvelope, signEnvelope, verifyEnvelope, type DsseEnvelope } from '../../src/crypto/dsse.js';
import { KEY_ALGORITHMS, generateKeyPair, type KeyPair } from '../../src/crypto/keys.js';
import { createSigner, createVerifier } from '../../src/crypto/signer.js';
import { arr, expectAttestryError, field, readVector, str } from '../core/helpers.js';

const vectors = readVector('dsse-pae.json');
const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const PAYLOAD = Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}', 'utf8');

/** Base64url (no padding) of a non-negative decimal integer as a fixed-width big-endian byte string. */
function decimalToB64url(decimal: string, bytes: number): string {
  return Buffer.from(
    BigInt(decimal)
      .toString(16)
      .padStart(bytes * 2, '0'),
    'hex',
  ).toString('base64url');
}

/** Converts an IEEE P1363 (r || s) ECDSA signature to DER, the encoding attestry signs and verifies with. */
function p1363ToDer(sig: Buffer): Buffer {
  const half = sig.length / 2;
  const integer = (raw: Buffer): Buffer => {
    let i = 0;
    while (i < raw.length - 1 && raw[i] === 0) i++;
    let v = raw.subarray(i);
    if ((v[0]! & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([integer(sig.subarray(0, half)), integer(sig.subarray(half))]);
  assert.ok(body.length < 128);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function withPayload(env: DsseEnvelope, payload: Buffer): DsseEnvelope {
  return { ...env, payload: payload.toString('base64') };
}

function flipByte(b64: string, index: number): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString('base64');
}

describe('PAE', () => {
  test('fixture cites the DSSE protocol', () => {
    assert.match(str(vectors, 'source'), /secure-systems-lab\/dsse/);
    assert.match(str(vectors, 'source'), /protocol\.md/);
  });

  for (const vector of arr(vectors, 'pae')) {
    const payloadType = str(vector, 'payloadType');
    const payload = Buffer.from(str(vector, 'payload_utf8'), 'utf8');
    test(`PAE(${JSON.stringify(payloadType)}, ${JSON.stringify(str(vector, 'payload_utf8'))}) — ${str(vector, 'source')}`, () => {
      const out = pae(payloadType, payload);
      assert.ok(Buffer.isBuffer(out));
      assert.equal(out.toString('hex'), str(vector, 'expected_hex'));
      assert.equal(out.toString('utf8'), str(vector, 'expected_utf8'));
    });
  }

  test('the protocol.md example, byte for byte', () => {
    const out = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    assert.deepEqual(out, Buffer.from('DSSEv1 29 http://example.com/HelloWorld 11 hello world', 'ascii'));
    assert.deepEqual([...out.subarray(0, 7)], [0x44, 0x53, 0x53, 0x45, 0x76, 0x31, 0x20]);
    assert.equal(out.length, 54);
  });

  test('lengths count bytes, and binary payloads are appended verbatim', () => {
    const body = Buffer.from([0x00, 0xff, 0x20, 0x0a, 0xc3]);
    const out = pae('t', body);
    assert.deepEqual(out, Buffer.concat([Buffer.from('DSSEv1 1 t 5 ', 'ascii'), body]));
    assert.equal(pae('é', new Uint8Array(10)).subarray(0, 15).toString('utf8'), 'DSSEv1 2 é 10 ');
  });

  test('no leading zeros and multi-digit lengths', () => {
    const body = Buffer.alloc(1000, 0x61);
    assert.equal(pae('x'.repeat(100), body).subarray(0, 117).toString(), `DSSEv1 100 ${'x'.repeat(100)} 1000 `);
  });
});

describe('DSSE protocol.md test vector (ECDSA P-256, SHA-256)', () => {
  const vector = field(vectors, 'envelope_vector');
  const key = field(vector, 'key');
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: decimalToB64url(str(key, 'x'), 32),
    y: decimalToB64url(str(key, 'y'), 32),
  };
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  const privateKey = createPrivateKey({ key: { ...jwk, d: decimalToB64url(str(key, 'd'), 32) }, format: 'jwk' });

  test('the published envelope parses, and its (r||s) signature verifies over our PAE', () => {
    const env = parseEnvelope(field(vector, 'envelope'));
    assert.equal(env.payloadType, 'http://example.com/HelloWorld');
    assert.equal(decodeBase64(env.payload).toString('utf8'), 'hello world');
    assert.equal(env.signatures.length, 1);
    assert.equal(env.signatures[0]!.keyid, undefined);
    const sig = decodeBase64(env.signatures[0]!.sig);
    assert.equal(sig.length, 64);
    const message = pae(env.payloadType, decodeBase64(env.payload));
    assert.equal(nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig), true);
  });

  test('the published signature, re-encoded as DER, verifies through verifyEnvelope', () => {
    const env = parseEnvelope(field(vector, 'envelope'));
    const der = p1363ToDer(decodeBase64(env.signatures[0]!.sig));
    const derEnvelope: DsseEnvelope = { ...env, signatures: [{ sig: der.toString('base64') }] };
    const result = verifyEnvelope(derEnvelope, [createVerifier(publicKey)]);
    assert.equal(result.payload.toString('utf8'), 'hello world');
    assert.equal(result.payloadType, 'http://example.com/HelloWorld');
    // ...and not for another payload type.
    expectAttestryError(
      () => verifyEnvelope({ ...derEnvelope, payloadType: 'http://example.com/Other' }, [createVerifier(publicKey)]),
      'E_SIGNATURE_INVALID',
    );
  });

  test('the published private key signs envelopes that verify with the published public key', () => {
    const env = signEnvelope('http://example.com/HelloWorld', Buffer.from('hello world'), [createSigner(privateKey)]);
    assert.equal(env.payload, 'aGVsbG8gd29ybGQ=');
    const sig = decodeBase64(env.signatures[0]!.sig);
    assert.equal(nodeVerify('sha256', pae(env.payloadType, Buffer.from('hello world')), publicKey, sig), true);
    assert.doesNotThrow(() => verifyEnvelope(env, [createVerifier(publicKey)]));
  });
});

describe('sign / verify round trip', () => {
  for (const algorithm of KEY_ALGORITHMS) {
    test(algorithm, () => {
      const kp = generateKeyPair(algorithm);
      const env = signEnvelope(PAYLOAD_TYPE, PAYLOAD, [createSigner(kp.privateKey, 'k1')]);
      assert.equal(env.payloadType, PAYLOAD_TYPE);
      assert.equal(env.payload, PAYLOAD.toString('base64'));
      assert.deepEqual(
        env.signatures.map((s) => s.keyid),
        ['k1'],
      );
      // The envelope survives JSON and parseEnvelope unchanged.
      const parsed = parseEnvelope(JSON.parse(JSON.stringify(env)) as unknown);
      assert.deepEqual(parsed, env);
      const result = verifyEnvelope(parsed, [createVerifier(kp.publicKey, 'k1')]);
      assert.ok(result.payload.equals(PAYLOAD));
      assert.equal(result.payloadType, PAYLOAD_TYPE);
      assert.deepEqual(result.verifiedKeyIds, ['k1']);
    });
  }

  test('URL-safe, unpadded base64 is accepted on input (DSSE: verifiers MUST accept either)', () => {
    const kp = generateKeyPair('ecdsa-p256');
    // Payload chosen so that its standard base64 contains "+" and "/".
    const payload = Buffer.from([0xfb, 0xff, 0xbf, 0xfe, 0x00]);
    const env = signEnvelope(PAYLOAD_TYPE, payload, [createSigner(kp.privateKey)]);
    assert.match(env.payload, /[+/]/);
    const urlSafe = {
      payloadType: env.payloadType,
      payload: payload.toString('base64url'),
      signatures: env.signatures.map((s) => ({ sig: Buffer.from(s.sig, 'base64').toString('base64url') })),
    };
    const parsed = parseEnvelope(urlSafe);
    const result = verifyEnvelope(parsed, [createVerifier(kp.publicKey)]);
    assert.ok(result.payload.equals(payload));
  });

  test('an empty payload signs and verifies', () => {
    const kp = generateKeyPair('ed25519');
    const env = signEnvelope(PAYLOAD_TYPE, new Uint8Array(), [createSigner(kp.privateKey)]);
    assert.equal(env.payload, '');
    assert.equal(verifyEnvelope(parseEnvelope(env), [createVerifier(kp.publicKey)]).payload.length, 0);
  });

  test('a custom message function replaces PAE', () => {
    const kp = generateKeyPair('ed25519');
    const signer = createSigner(kp.privateKey);
    const env: DsseEnvelope = {
      payloadType: PAYLOAD_TYPE,
      payload: PAYLOAD.toString('base64'),
      signatures: [{ sig: signer.sign(PAYLOAD).toString('base64') }],
    };
    const verifier = createVerifier(kp.publicKey);
    expectAttestryError(() => verifyEnvelope(env, [verifier]), 'E_SIGNATURE_INVALID');
    assert.ok(verifyEnvelope(env, [verifier], 1, (p) => p).payload.equals(PAYLOAD));
  });

  test('signEnvelope needs at least one signer', () => {
    expectAttestryError(() => signEnvelope(PAYLOAD_TYPE, PAYLOAD, []), 'E_USAGE', /signer/);
  });
});

describe('tampering and wrong keys', () => {
  const kp = generateKeyPair('ecdsa-p256');
  const env = signEnvelope(PAYLOAD_TYPE, PAYLOAD, [createSigner(kp.privateKey)]);
  const verifier = createVerifier(kp.publicKey);

  test('baseline verifies', () => {
    assert.doesNotThrow(() => verifyEnvelope(env, [verifier]));
  });

  test('flipping any single payload byte -> E_SIGNATURE_INVALID', () => {
    for (const index of [0, 1, Math.floor(PAYLOAD.length / 2), PAYLOAD.length - 1]) {
      const tampered = Buffer.from(PAYLOAD);
      tampered[index] = tampered[index]! ^ 0x01;
      expectAttestryError(() => verifyEnvelope(withPayload(env, tampered), [verifier]), 'E_SIGNATURE_INVALID', /no signature/);
    }
  });

  test('appending to the payload -> E_SIGNATURE_INVALID', () => {
    expectAttestryError(
      () => verifyEnvelope(withPayload(env, Buffer.concat([PAYLOAD, Buffer.from(' ')])), [verifier]),
      'E_SIGNATURE_INVALID',
    );
  });

  test('changing the payloadType -> E_SIGNATURE_INVALID (PAE binds the type)', () => {
    expectAttestryError(() => verifyEnvelope({ ...env, payloadType: 'application/json' }, [verifier]), 'E_SIGNATURE_INVALID');
  });

  test('a corrupted or garbage signature -> E_SIGNATURE_INVALID, not a crash', () => {
    const sig = env.signatures[0]!.sig;
    for (const bad of [flipByte(sig, 10), flipByte(sig, Buffer.from(sig, 'base64').length - 1), 'AAAA', '']) {
      expectAttestryError(() => verifyEnvelope({ ...env, signatures: [{ sig: bad }] }, [verifier]), 'E_SIGNATURE_INVALID');
    }
  });

  test('wrong key (same and different algorithm) -> E_SIGNATURE_INVALID', () => {
    for (const other of [generateKeyPair('ecdsa-p256'), generateKeyPair('ed25519'), generateKeyPair('ecdsa-p384')]) {
      expectAttestryError(() => verifyEnvelope(env, [createVerifier(other.publicKey)]), 'E_SIGNATURE_INVALID');
    }
  });

  test('no verifiers at all -> E_SIGNATURE_INVALID', () => {
    expectAttestryError(() => verifyEnvelope(env, []), 'E_SIGNATURE_INVALID');
  });

  test('a mismatching keyid on the signature skips that key', () => {
    const named = signEnvelope(PAYLOAD_TYPE, PAYLOAD, [createSigner(kp.privateKey, 'alice')]);
    expectAttestryError(() => verifyEnvelope(named, [createVerifier(kp.publicKey, 'bob')]), 'E_SIGNATURE_INVALID');
    // A verifier without keyid is tried against every signature, and vice versa.
    assert.doesNotThrow(() => verifyEnvelope(named, [createVerifier(kp.publicKey)]));
    assert.doesNotThrow(() => verifyEnvelope(env, [createVerifier(kp.publicKey, 'bob')]));
  });

  test('invalid thresholds -> E_USAGE', () => {
    for (const t of [0, -1, 1.5, Number.NaN]) {
      expectAttestryError(() => verifyEnvelope(env, [verifier], t), 'E_USAGE', /threshold/);
    }
  });
});

describe('multiple signatures and thresholds', () => {
  const keys: KeyPair[] = [generateKeyPair('ed25519'), generateKeyPair('ecdsa-p256'), generateKeyPair('ecdsa-p384')];
  const [a, b, c] = keys as [KeyPair, KeyPair, KeyPair];
  const verifiers = [createVerifier(a.publicKey, 'a'), createVerifier(b.publicKey, 'b'), createVerifier(c.publicKey, 'c')];

  function signedBy(...pairs: [KeyPair, string][]): DsseEnvelope {
    return signEnvelope(
      PAYLOAD_TYPE,
      PAYLOAD,
      pairs.map(([kp, id]) => createSigner(kp.privateKey, id)),
    );
  }

  test('2 of 3 keys sign: threshold 1 and 2 pass, 3 fails', () => {
    const env = signedBy([a, 'a'], [c, 'c']);
    assert.equal(env.signatures.length, 2);
    // Every signature is checked, so both keys are reported even at threshold 1.
    assert.deepEqual(verifyEnvelope(env, verifiers, 1).verifiedKeyIds.sort(), ['a', 'c']);
    assert.deepEqual(verifyEnvelope(env, verifiers, 2).verifiedKeyIds.sort(), ['a', 'c']);
    const err = expectAttestryError(() => verifyEnvelope(env, verifiers, 3), 'E_SIGNATURE_INVALID', /only 2 of the required 3/);
    assert.deepEqual(err.details, { verified: 2, threshold: 3 });
    assert.equal(err.exitCode, 2);
  });

  test('all 3 keys sign: threshold 3 passes', () => {
    const env = signedBy([a, 'a'], [b, 'b'], [c, 'c']);
    assert.deepEqual(verifyEnvelope(env, verifiers, 3).verifiedKeyIds.sort(), ['a', 'b', 'c']);
  });

  test('one key signing twice counts once: threshold 2 fails', () => {
    const env = signedBy([a, 'a'], [a, 'a']);
    assert.equal(env.signatures.length, 2);
    assert.deepEqual(verifyEnvelope(env, verifiers, 1).verifiedKeyIds, ['a']);
    expectAttestryError(() => verifyEnvelope(env, verifiers, 2), 'E_SIGNATURE_INVALID', /only 1 of the required 2/);
  });

  test('the same signature copied twice, without keyids, counts once', () => {
    const once = signedBy([a, '']);
    const env: DsseEnvelope = { ...once, signatures: [once.signatures[0]!, once.signatures[0]!] };
    expectAttestryError(() => verifyEnvelope(env, verifiers, 2), 'E_SIGNATURE_INVALID');
  });

  test('a valid signature plus a forged one still meets only threshold 1', () => {
    const good = signedBy([a, 'a']);
    const forged = { keyid: 'b', sig: flipByte(signedBy([b, 'b']).signatures[0]!.sig, 5) };
    const env: DsseEnvelope = { ...good, signatures: [...good.signatures, forged] };
    assert.doesNotThrow(() => verifyEnvelope(env, verifiers, 1));
    expectAttestryError(() => verifyEnvelope(env, verifiers, 2), 'E_SIGNATURE_INVALID');
  });

  test('threshold above the number of trusted keys fails', () => {
    const env = signedBy([a, 'a'], [b, 'b'], [c, 'c']);
    expectAttestryError(() => verifyEnvelope(env, verifiers, 4), 'E_SIGNATURE_INVALID', /only 3 of the required 4/);
  });

  test('one key listed twice among the trusted keys still counts once', () => {
    const env = signedBy([a, ''], [a, '']);
    const duplicated = [createVerifier(a.publicKey, 'a-1'), createVerifier(a.publicKey, 'a-2')];
    expectAttestryError(() => verifyEnvelope(env, duplicated, 2), 'E_SIGNATURE_INVALID');
  });
});

describe('parseEnvelope', () => {
  const sig = Buffer.from('signature').toString('base64');
  const base = { payloadType: PAYLOAD_TYPE, payload: PAYLOAD.toString('base64') };

  test('accepts the standard shape', () => {
    assert.deepEqual(parseEnvelope({ ...base, signatures: [{ keyid: 'k', sig }] }), { ...base, signatures: [{ keyid: 'k', sig }] });
  });

  test('accepts the keyId alias and normalises it to keyid', () => {
    const env = parseEnvelope({ ...base, signatures: [{ keyId: 'legacy', sig }] });
    assert.deepEqual(env.signatures, [{ keyid: 'legacy', sig }]);
    // keyid wins when both are present.
    assert.deepEqual(parseEnvelope({ ...base, signatures: [{ keyid: 'std', keyId: 'legacy', sig }] }).signatures, [{ keyid: 'std', sig }]);
  });

  test('accepts a null or missing keyid and drops it', () => {
    for (const s of [{ keyid: null, sig }, { keyId: null, sig }, { sig }]) {
      const env = parseEnvelope({ ...base, signatures: [s] });
      assert.deepEqual(env.signatures, [{ sig }]);
      assert.ok(!('keyid' in env.signatures[0]!));
    }
  });

  test('missing or empty signatures -> E_SIGNATURE_FORMAT naming "signatures"', () => {
    expectAttestryError(() => parseEnvelope({ ...base }), 'E_SIGNATURE_FORMAT', /signatures/);
    expectAttestryError(() => parseEnvelope({ ...base, signatures: [] }), 'E_SIGNATURE_FORMAT', /signatures: at least one signature/);
    expectAttestryError(() => parseEnvelope({ ...base, signatures: {} }), 'E_SIGNATURE_FORMAT', /signatures/);
  });

  test('non-base64 payload -> E_SIGNATURE_FORMAT naming "payload"', () => {
    for (const payload of ['not base64!', 'a', 'abc==', 'ab=c', 'YWJj\n']) {
      expectAttestryError(() => parseEnvelope({ ...base, payload, signatures: [{ sig }] }), 'E_SIGNATURE_FORMAT', /payload: not base64/);
    }
  });

  test('non-base64 signature -> E_SIGNATURE_FORMAT naming the signature index', () => {
    const err = expectAttestryError(
      () => parseEnvelope({ ...base, signatures: [{ sig }, { sig: '***' }] }),
      'E_SIGNATURE_FORMAT',
      /signatures\.1\.sig: not base64/,
    );
    assert.ok(!err.message.includes('signatures.0'));
  });

  test('missing or empty payloadType, wrong types and non-objects are rejected', () => {
    expectAttestryError(() => parseEnvelope({ payload: base.payload, signatures: [{ sig }] }), 'E_SIGNATURE_FORMAT', /payloadType/);
    expectAttestryError(() => parseEnvelope({ ...base, payloadType: '', signatures: [{ sig }] }), 'E_SIGNATURE_FORMAT', /payloadType/);
    expectAttestryError(() => parseEnvelope({ ...base, signatures: [{ sig: 42 }] }), 'E_SIGNATURE_FORMAT', /signatures\.0\.sig/);
    expectAttestryError(() => parseEnvelope({ ...base, signatures: [{ sig, keyid: 7 }] }), 'E_SIGNATURE_FORMAT', /keyid/);
    for (const input of [null, 'envelope', 42, []]) {
      expectAttestryError(() => parseEnvelope(input), 'E_SIGNATURE_FORMAT', /invalid DSSE envelope/);
    }
  });

  test('reports every bad field at once', () => {
    const err = expectAttestryError(() => parseEnvelope({ payloadType: 1, payload: '!', signatures: [] }), 'E_SIGNATURE_FORMAT');
    assert.match(err.message, /payloadType/);
    assert.match(err.message, /payload: not base64/);
    assert.match(err.message, /signatures/);
  });
});

describe('decodeBase64', () => {
  test('decodes standard and URL-safe alphabets alike', () => {
    const bytes = Buffer.from([0xfb, 0xef, 0xff, 0x00, 0x10]);
    assert.ok(decodeBase64(bytes.toString('base64')).equals(bytes));
    assert.ok(decodeBase64(bytes.toString('base64url')).equals(bytes));
  });
});

describe('base64 validation of envelope fields', () => {
  test('a 16 MiB payload parses (no regex stack overflow) and round-trips', () => {
    const big = Buffer.alloc(16 * 1024 * 1024, 0xab);
    const env = parseEnvelope({ payloadType: PAYLOAD_TYPE, payload: big.toString('base64'), signatures: [{ sig: 'AAAA' }] });
    assert.equal(decodeBase64(env.payload).length, big.length);
  });
  test('standard and URL-safe, padded or not, are accepted; anything else is E_SIGNATURE_FORMAT', () => {
    for (const ok of ['', 'QQ', 'QQ==', 'QUI', 'QUI=', 'QUJD', '-_-_', 'QUJDRA', 'QUJDRA==']) {
      assert.equal(parseEnvelope({ payloadType: PAYLOAD_TYPE, payload: ok, signatures: [{ sig: 'AAAA' }] }).payload, ok, ok);
    }
    for (const bad of ['Q', 'Q===', 'QQ=', 'QUJD=', 'QU JD', 'QUJD\n', '=QUJ', 'QU=D', 'QUJ*', 'QUJD'.repeat(1_000_000) + '!']) {
      expectAttestryError(
        () => parseEnvelope({ payloadType: PAYLOAD_TYPE, payload: bad, signatures: [{ sig: 'AAAA' }] }),
        'E_SIGNATURE_FORMAT',
      );
    }
  });
});
