/**
 * The PKCS#11 signer against a real SoftHSM2 token: keys imported from PKCS#8
 * and generated on the token, ECDSA P-256/P-384 and Ed25519, signatures in the
 * software encoding, and the errors a user meets (PIN, token, key, pairing).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CK, type Attribute, type Handle, type Pkcs11Module } from '../../src/crypto/pkcs11-binding.js';
import { openPkcs11Signer } from '../../src/crypto/pkcs11-signer.js';
import { keyAlgorithmOf, publicKeyDer } from '../../src/crypto/keys.js';
import { verifyBytes } from '../../src/crypto/signer.js';
import { createSoftHsmToken, softHsmSkip, SOFTHSM_MODULE, type ImportedKey, type SoftHsmToken } from '../helpers/softhsm.js';
import { expectAttestryError } from '../core/helpers.js';

const skip = softHsmSkip();

interface RawModule extends Pkcs11Module {
  C_CreateObject(session: Handle, template: Attribute[]): Handle;
  C_DestroyObject(session: Handle, object: Handle): void;
}

/** Direct binding calls for setup the CLI never does: on-token generation, a mismatched public object. */
function withRawSession(token: SoftHsmToken, fn: (m: RawModule, session: Handle) => void): void {
  const { PKCS11 } = createRequire(import.meta.url)('pkcs11js') as { PKCS11: new () => RawModule };
  const m = new PKCS11();
  m.load(SOFTHSM_MODULE);
  m.C_Initialize();
  try {
    const slot = m.C_GetSlotList(true).find((s) => m.C_GetTokenInfo(s).label.trim() === token.label)!;
    const session = m.C_OpenSession(slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
    m.C_Login(session, CK.CKU_USER, token.pin);
    fn(m, session);
    m.C_CloseSession(session);
  } finally {
    m.C_Finalize();
    m.close();
  }
}

describe('PKCS#11 signer on SoftHSM2', { skip }, () => {
  let token: SoftHsmToken;
  const keys: Record<string, ImportedKey> = {};
  const uriBase = () => `pkcs11:token=${token.label}`;

  before(() => {
    token = createSoftHsmToken();
    process.env['SOFTHSM2_CONF'] = token.conf;
    keys['p256'] = token.importKey('ecdsa-p256', 'p256', '01');
    keys['p384'] = token.importKey('ecdsa-p384', 'p384', '02');
    keys['ed'] = token.importKey('ed25519', 'ed', '03');
    keys['twinA'] = token.importKey('ecdsa-p256', 'twin', '04');
    keys['twinB'] = token.importKey('ecdsa-p256', 'twin', '05');
    keys['mismatch'] = token.importKey('ecdsa-p256', 'mismatch', '06');
    const other = token.importKey('ecdsa-p256', 'other', '07');
    withRawSession(token, (m, session) => {
      // A private key that never leaves the token (what a real HSM holds).
      m.C_GenerateKeyPair(
        session,
        { mechanism: CK.CKM_EC_KEY_PAIR_GEN },
        [
          { type: CK.CKA_TOKEN, value: true },
          { type: CK.CKA_VERIFY, value: true },
          { type: CK.CKA_EC_PARAMS, value: Buffer.from('06082a8648ce3d030107', 'hex') },
          { type: CK.CKA_LABEL, value: 'generated' },
          { type: CK.CKA_ID, value: Buffer.from([0x10]) },
        ],
        [
          { type: CK.CKA_TOKEN, value: true },
          { type: CK.CKA_SIGN, value: true },
          { type: CK.CKA_PRIVATE, value: true },
          { type: CK.CKA_SENSITIVE, value: true },
          { type: CK.CKA_LABEL, value: 'generated' },
          { type: CK.CKA_ID, value: Buffer.from([0x10]) },
        ],
      );
      // The "mismatch" key's public object replaced by another key's point.
      const find = (template: Attribute[]): Handle => {
        m.C_FindObjectsInit(session, template);
        const [h] = m.C_FindObjects(session, 1);
        m.C_FindObjectsFinal(session);
        return h!;
      };
      const otherPub = find([
        { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
        { type: CK.CKA_ID, value: Buffer.from([0x07]) },
      ]);
      const [params, point] = m.C_GetAttributeValue(session, otherPub, [{ type: CK.CKA_EC_PARAMS }, { type: CK.CKA_EC_POINT }]);
      m.C_DestroyObject(
        session,
        find([
          { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
          { type: CK.CKA_ID, value: Buffer.from([0x06]) },
        ]),
      );
      m.C_CreateObject(session, [
        { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
        { type: CK.CKA_KEY_TYPE, value: CK.CKK_EC },
        { type: CK.CKA_TOKEN, value: true },
        { type: CK.CKA_EC_PARAMS, value: params!.value },
        { type: CK.CKA_EC_POINT, value: point!.value },
        { type: CK.CKA_LABEL, value: 'mismatch' },
        { type: CK.CKA_ID, value: Buffer.from([0x06]) },
      ]);
    });
    void other;
  });

  after(() => token?.cleanup());

  test('imported ECDSA P-256, P-384 and Ed25519 keys sign like software keys', () => {
    for (const name of ['p256', 'p384', 'ed'] as const) {
      const k = keys[name]!;
      const signer = openPkcs11Signer(k.uri);
      try {
        assert.equal(signer.algorithm, k.algorithm);
        assert.deepEqual(publicKeyDer(signer.publicKey), publicKeyDer(k.publicKey), `${name}: public key read from the token`);
        if (k.algorithm === 'ed25519') expectAttestryError(() => signer.sign(Buffer.alloc(0)), 'E_KEY_UNSUPPORTED', /empty message/);
        else
          assert.ok(verifyBytes(k.publicKey, Buffer.alloc(0), signer.sign(Buffer.alloc(0))), `${name}: empty message (a digest is signed)`);
        for (const message of [Buffer.from('hello'), Buffer.alloc(100_000, 7)]) {
          const sig = signer.sign(message);
          assert.ok(verifyBytes(k.publicKey, message, sig), `${name}: verifies with the software public key`);
          if (k.algorithm === 'ed25519') assert.equal(sig.length, 64);
          else {
            assert.equal(sig[0], 0x30, `${name}: DER SEQUENCE, as node:crypto writes`);
            assert.ok(verify(k.algorithm === 'ecdsa-p256' ? 'sha256' : 'sha384', message, { key: k.publicKey, dsaEncoding: 'der' }, sig));
          }
          assert.ok(!verifyBytes(k.publicKey, Buffer.concat([message, Buffer.of(0)]), sig), `${name}: not a signature of other bytes`);
        }
      } finally {
        signer.close();
      }
    }
  });

  test('keys are found by id alone, by label alone, on any token, with the PIN from a file or the caller', () => {
    const pinFile = join(token.dir, 'pin');
    writeFileSync(pinFile, `${token.pin}\n`);
    const uris = [
      `pkcs11:id=%01?module-path=${SOFTHSM_MODULE}&pin-value=${token.pin}`,
      `${uriBase()};object=p256?module-path=${SOFTHSM_MODULE}&pin-source=file:${pinFile}`,
    ];
    for (const uri of uris) {
      const s = openPkcs11Signer(uri);
      assert.deepEqual(publicKeyDer(s.publicKey), publicKeyDer(keys['p256']!.publicKey));
      s.close();
    }
    const s = openPkcs11Signer(`${uriBase()};object=p256?module-path=${SOFTHSM_MODULE}`, { pin: token.pin, keyid: 'hsm-1' });
    assert.equal(s.keyid, 'hsm-1');
    assert.ok(verifyBytes(keys['p256']!.publicKey, Buffer.from('x'), s.sign(Buffer.from('x'))));
    s.close();
  });

  test('a key generated on the token (never exported) signs and its public key is read back', () => {
    const s = openPkcs11Signer(`${uriBase()};object=generated?module-path=${SOFTHSM_MODULE}&pin-value=${token.pin}`);
    try {
      assert.equal(keyAlgorithmOf(s.publicKey), 'ecdsa-p256');
      const pem = s.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      assert.ok(verifyBytes(createPublicKey(pem), Buffer.from('data'), s.sign(Buffer.from('data'))));
    } finally {
      s.close();
    }
  });

  test('errors: PIN missing or wrong, unknown token or key, two keys under one label, mismatched public object', () => {
    const mod = `module-path=${SOFTHSM_MODULE}`;
    expectAttestryError(
      () => openPkcs11Signer(`${uriBase()};object=p256?${mod}`),
      'E_PASSPHRASE_REQUIRED',
      /needs its user PIN/,
      /pin-source/,
    );
    const wrong = expectAttestryError(
      () => openPkcs11Signer(`${uriBase()};object=p256?${mod}&pin-value=999999`),
      'E_BAD_PASSPHRASE',
      /wrong PIN/,
    );
    assert.doesNotMatch(wrong.message, /999999/);
    expectAttestryError(
      () => openPkcs11Signer(`pkcs11:token=absent;object=p256?${mod}&pin-value=${token.pin}`),
      'E_NOT_FOUND',
      /no PKCS#11 token matches/,
      new RegExp(`"${token.label}"`),
    );
    expectAttestryError(
      () => openPkcs11Signer(`${uriBase()};object=nope?${mod}&pin-value=${token.pin}`),
      'E_NOT_FOUND',
      /no private key matches/,
    );
    expectAttestryError(
      () => openPkcs11Signer(`${uriBase()};object=twin?${mod}&pin-value=${token.pin}`),
      'E_USAGE',
      /more than one private key/,
      /id=/,
    );
    const twin = openPkcs11Signer(`${uriBase()};object=twin;id=%05?${mod}&pin-value=${token.pin}`);
    assert.deepEqual(publicKeyDer(twin.publicKey), publicKeyDer(keys['twinB']!.publicKey));
    twin.close();
    const bad = openPkcs11Signer(`${uriBase()};id=%06?${mod}&pin-value=${token.pin}`);
    try {
      expectAttestryError(() => bad.sign(Buffer.from('x')), 'E_KEY_MISMATCH', /inconsistent/);
    } finally {
      bad.close();
    }
  });

  test('the module is finalised with the last signer and opens again', () => {
    const a = openPkcs11Signer(keys['ed']!.uri);
    const b = openPkcs11Signer(keys['p384']!.uri);
    a.close();
    assert.ok(verifyBytes(keys['p384']!.publicKey, Buffer.from('still open'), b.sign(Buffer.from('still open'))));
    b.close();
    b.close(); // idempotent
    const c = openPkcs11Signer(keys['ed']!.uri);
    assert.ok(verifyBytes(keys['ed']!.publicKey, Buffer.from('again'), c.sign(Buffer.from('again'))));
    c.close();
  });
});
