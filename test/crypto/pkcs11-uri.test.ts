/** RFC 7512 URI parsing and the DER conversions of the PKCS#11 signer (no token needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parsePkcs11Uri, pinFromUri, resolvePkcs11Module } from '../../src/crypto/pkcs11-uri.js';
import { p1363ToDer, publicKeyFromEcAttributes } from '../../src/crypto/pkcs11-key.js';
import { derOctetString } from '../../src/crypto/der.js';
import { publicKeyDer } from '../../src/crypto/keys.js';
import { expectAttestryError } from '../core/helpers.js';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';

test('pkcs11: URIs: path and query attributes, percent-encoded id and label', () => {
  const u = parsePkcs11Uri(
    `pkcs11:token=my%20token;object=release%2Fkey;id=%01%ff;serial=123;slot-id=7?module-path=${MODULE}&pin-value=12%2634`,
  );
  assert.equal(u.token, 'my token');
  assert.equal(u.object, 'release/key');
  assert.deepEqual(u.id, Buffer.from([0x01, 0xff]));
  assert.equal(u.serial, '123');
  assert.equal(u.slotId, 7);
  assert.equal(u.modulePath, MODULE);
  assert.equal(u.pinValue, '12&34');
  assert.equal(pinFromUri(u), '12&34');
  // type=private is allowed, vendor x- attributes are ignored (RFC 7512 §2.3).
  assert.equal(parsePkcs11Uri(`pkcs11:object=k;type=private;x-vendor=1?module-name=softhsm2`).moduleName, 'softhsm2');
});

test('pkcs11: bad URIs are refused with a message naming the part, never the PIN', () => {
  const cases: [string, RegExp][] = [
    ['pkcs12:object=k', /scheme/],
    [`pkcs11:token=t?module-path=${MODULE}`, /object=LABEL or id/],
    [`pkcs11:object=k;object=j?module-path=${MODULE}`, /duplicate attribute "object"/],
    [`pkcs11:object=k;colour=blue?module-path=${MODULE}`, /unknown path attribute "colour"/],
    [`pkcs11:object=k?module-path=relative/lib.so`, /absolute/],
    [`pkcs11:object=k`, /module-path/],
    [`pkcs11:object=k;type=cert?module-path=${MODULE}`, /type=private/],
    [`pkcs11:object=k;slot-id=x?module-path=${MODULE}`, /slot-id/],
    [`pkcs11:object=%zz?module-path=${MODULE}`, /percent-encoding/],
    [`pkcs11:object=k?module-path=${MODULE}&pin-value=SECRET-1&pin-source=file:/x`, /not both/],
  ];
  for (const [uri, pattern] of cases) {
    const e = expectAttestryError(() => parsePkcs11Uri(uri), 'E_USAGE', pattern);
    assert.doesNotMatch(e.message, /SECRET-1/);
  }
});

test('pkcs11: pin-source reads a file (file: URI or absolute path, one trailing newline dropped)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attestry-pin-'));
  try {
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, '0420\n');
    assert.equal(pinFromUri(parsePkcs11Uri(`pkcs11:object=k?module-path=${MODULE}&pin-source=file:${pinFile}`)), '0420');
    assert.equal(pinFromUri(parsePkcs11Uri(`pkcs11:object=k?module-path=${MODULE}&pin-source=${pinFile}`)), '0420');
    assert.equal(pinFromUri(parsePkcs11Uri(`pkcs11:object=k?module-path=${MODULE}`)), undefined);
    expectAttestryError(
      () => pinFromUri(parsePkcs11Uri(`pkcs11:object=k?module-path=${MODULE}&pin-source=file:${dir}/absent`)),
      'E_NOT_FOUND',
      /PIN/,
    );
    expectAttestryError(
      () => pinFromUri(parsePkcs11Uri(`pkcs11:object=k?module-path=${MODULE}&pin-source=https://x/pin`)),
      'E_USAGE',
      /file: URI/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pkcs11: module-path may be a directory searched for module-name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attestry-mod-'));
  try {
    writeFileSync(join(dir, 'libvendorp11.so'), '');
    writeFileSync(join(dir, 'libvendorp11x.so'), '');
    assert.equal(
      resolvePkcs11Module(parsePkcs11Uri(`pkcs11:object=k?module-path=${dir}&module-name=libvendorp11`)),
      join(dir, 'libvendorp11.so'),
    );
    expectAttestryError(
      () => resolvePkcs11Module(parsePkcs11Uri(`pkcs11:object=k?module-path=${dir}&module-name=other`)),
      'E_NOT_FOUND',
      /no PKCS#11 module named "other"/,
    );
    expectAttestryError(() => resolvePkcs11Module(parsePkcs11Uri(`pkcs11:object=k?module-path=${dir}`)), 'E_USAGE', /module-name/);
    expectAttestryError(
      () => resolvePkcs11Module(parsePkcs11Uri(`pkcs11:object=k?module-path=${dir}/none.so`)),
      'E_NOT_FOUND',
      /does not exist/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pkcs11: r||s signatures become the DER node:crypto writes and verifies', () => {
  for (const [curve, hash] of [
    ['P-256', 'sha256'],
    ['P-384', 'sha384'],
    ['P-521', 'sha512'],
  ] as const) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const raw = sign(hash, data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = p1363ToDer(raw);
        assert.ok(verify(hash, data, publicKey, der), `${curve}: DER from r||s verifies`);
        // And it is the same signature: DER back to r||s through node gives the input.
        assert.ok(verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw));
      }),
      { numRuns: 30 },
    );
  }
  expectAttestryError(() => p1363ToDer(Buffer.alloc(63)), 'E_SIGNATURE_FORMAT', /odd length/);
});

test('pkcs11: SPKI from CKA_EC_PARAMS + CKA_EC_POINT, wrapped or raw, for EC and Ed25519', () => {
  for (const curve of ['P-256', 'P-384'] as const) {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const jwk = publicKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const oid = curve === 'P-256' ? Buffer.from('06082a8648ce3d030107', 'hex') : Buffer.from('06052b81040022', 'hex');
    for (const ecPoint of [derOctetString(point), point]) {
      assert.deepEqual(publicKeyDer(publicKeyFromEcAttributes('ec', oid, ecPoint, 'k')), publicKeyDer(publicKey));
    }
  }
  const ed = generateKeyPairSync('ed25519').publicKey;
  const raw = Buffer.from(ed.export({ format: 'jwk' }).x!, 'base64url');
  const printable = Buffer.concat([Buffer.from([0x13, 12]), Buffer.from('edwards25519')]);
  for (const params of [Buffer.from('06032b6570', 'hex'), printable]) {
    assert.deepEqual(publicKeyDer(publicKeyFromEcAttributes('ed', params, derOctetString(raw), 'k')), publicKeyDer(ed));
  }
  expectAttestryError(
    () => publicKeyFromEcAttributes('ed', Buffer.from('06032b6571', 'hex'), derOctetString(Buffer.alloc(57)), 'k'),
    'E_KEY_UNSUPPORTED',
    /Ed25519/,
  );
  expectAttestryError(
    () => publicKeyFromEcAttributes('ec', Buffer.from('06082a8648ce3d030107', 'hex'), Buffer.from([4, 1, 2]), 'k'),
    'E_KEY_FORMAT',
  );
});
