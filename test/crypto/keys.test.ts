import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KEY_ALGORITHMS,
  NODE_KEY_ALGORITHMS,
  generateKeyPair,
  keyAlgorithmOf,
  keyFingerprint,
  loadPrivateKey,
  loadPublicKey,
  omsKeyHint,
  parseKeyAlgorithm,
  privateKeyToPem,
  publicKeyDer,
  publicKeyToPem,
  type KeyAlgorithm,
} from '../../src/crypto/keys.js';
import { SCRYPT_PARAMS } from '../../src/crypto/pkcs8-scrypt.js';
import { expectAttestryError } from '../core/helpers.js';

const OPENSSL = '/usr/bin/openssl';
const PASSPHRASE = 'correct horse battery staple';

const CURVES: Record<KeyAlgorithm, string | undefined> = {
  ed25519: undefined,
  'ecdsa-p256': 'prime256v1',
  'ecdsa-p384': 'secp384r1',
  'ecdsa-p521': 'secp521r1',
  sm2: 'SM2',
  gost3410: undefined,
};

let workdir: string;
before(() => {
  workdir = mkdtempSync(join(tmpdir(), 'attestry-keys-'));
});
after(() => {
  rmSync(workdir, { recursive: true, force: true });
});

/** The DER inside a PEM, decoded here rather than by node:crypto, for independent cross-checks. */
function pemBody(pem: string, label: string): Buffer {
  const m = new RegExp(`^-----BEGIN ${label}-----\\n([A-Za-z0-9+/=\\n]+)-----END ${label}-----\\n$`).exec(pem);
  assert.ok(m, `not a ${label} PEM:\n${pem}`);
  return Buffer.from(m[1]!.replace(/\n/g, ''), 'base64');
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

function openssl(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(OPENSSL, args, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('algorithms', () => {
  test('KEY_ALGORITHMS lists the six supported schemes', () => {
    assert.deepEqual([...KEY_ALGORITHMS].sort(), ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ed25519', 'gost3410', 'sm2']);
    assert.deepEqual([...NODE_KEY_ALGORITHMS].sort(), ['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'ed25519', 'sm2']);
  });

  test('parseKeyAlgorithm normalises case and underscores, rejects unknown names', () => {
    assert.equal(parseKeyAlgorithm('ED25519'), 'ed25519');
    assert.equal(parseKeyAlgorithm('ecdsa_p256'), 'ecdsa-p256');
    assert.equal(parseKeyAlgorithm('ECDSA-P521'), 'ecdsa-p521');
    expectAttestryError(() => parseKeyAlgorithm('rsa'), 'E_USAGE', /unknown key algorithm "rsa"/, /ed25519/);
    expectAttestryError(() => parseKeyAlgorithm('ecdsa-p224'), 'E_USAGE');
  });

  test('generateKeyPair defaults to ed25519', () => {
    const kp = generateKeyPair();
    assert.equal(kp.algorithm, 'ed25519');
    assert.equal(kp.privateKey.asymmetricKeyType, 'ed25519');
  });
});

// GOST keys are no KeyObjects; test/crypto/gost.test.ts covers them.
for (const algorithm of NODE_KEY_ALGORITHMS) {
  describe(`${algorithm} keys`, () => {
    const kp = generateKeyPair(algorithm);

    test('generates a matching private/public pair on the right curve', () => {
      assert.equal(kp.algorithm, algorithm);
      assert.equal(kp.privateKey.type, 'private');
      assert.equal(kp.publicKey.type, 'public');
      assert.equal(keyAlgorithmOf(kp.privateKey), algorithm);
      assert.equal(keyAlgorithmOf(kp.publicKey), algorithm);
      assert.equal(kp.publicKey.asymmetricKeyDetails?.namedCurve, CURVES[algorithm]);
      assert.ok(samePublicKey(createPublicKey(kp.privateKey), kp.publicKey));
    });

    test('unencrypted PEM round trip', () => {
      const privPem = privateKeyToPem(kp.privateKey);
      assert.match(privPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const pubPem = publicKeyToPem(kp.publicKey);
      assert.match(pubPem, /^-----BEGIN PUBLIC KEY-----\n/);
      const loadedPriv = loadPrivateKey(privPem, 'test.key');
      assert.ok(samePublicKey(createPublicKey(loadedPriv), kp.publicKey));
      assert.equal(keyAlgorithmOf(loadedPriv), algorithm);
      const loadedPub = loadPublicKey(pubPem, 'test.pub');
      assert.ok(samePublicKey(loadedPub, kp.publicKey));
      // An empty passphrase means "do not encrypt".
      assert.match(privateKeyToPem(kp.privateKey, ''), /^-----BEGIN PRIVATE KEY-----\n/);
    });

    test('fingerprint is sha256: of the SPKI DER (decoded from the PEM independently)', () => {
      const der = pemBody(publicKeyToPem(kp.publicKey), 'PUBLIC KEY');
      const expected = `sha256:${createHash('sha256').update(der).digest('hex')}`;
      assert.equal(keyFingerprint(kp.publicKey), expected);
      assert.ok(publicKeyDer(kp.publicKey).equals(der));
      // Same key from the private half gives the same fingerprint.
      assert.equal(keyFingerprint(createPublicKey(kp.privateKey)), expected);
    });

    test("fingerprint matches openssl's DER encoding of the public key", () => {
      const pubFile = join(workdir, `${algorithm}-fp.pub`);
      writeFileSync(pubFile, publicKeyToPem(kp.publicKey));
      const der = execFileSync(OPENSSL, ['pkey', '-pubin', '-in', pubFile, '-outform', 'DER']);
      assert.equal(keyFingerprint(kp.publicKey), `sha256:${createHash('sha256').update(der).digest('hex')}`);
    });

    test('omsKeyHint is the hex sha256 of the SPKI PEM text (64-column base64, trailing newline)', () => {
      const pem = publicKeyToPem(kp.publicKey);
      assert.ok(pem.endsWith('-----END PUBLIC KEY-----\n'));
      for (const line of pem.split('\n').slice(1, -2)) assert.ok(line.length <= 64);
      assert.equal(omsKeyHint(kp.publicKey), createHash('sha256').update(pem, 'utf8').digest('hex'));
      assert.match(omsKeyHint(kp.publicKey), /^[0-9a-f]{64}$/);
      assert.notEqual(omsKeyHint(kp.publicKey), keyFingerprint(kp.publicKey).slice(7));
    });

    test('loadPublicKey accepts a private key PEM and derives the public key', () => {
      const fromPriv = loadPublicKey(privateKeyToPem(kp.privateKey), 'private.pem');
      assert.equal(fromPriv.type, 'public');
      assert.ok(samePublicKey(fromPriv, kp.publicKey));
    });

    describe('passphrase-encrypted private key (PKCS#8, PBES2 + scrypt)', () => {
      const encrypted = privateKeyToPem(kp.privateKey, PASSPHRASE);
      let file = '';

      before(() => {
        file = join(workdir, `${algorithm}-enc.pem`);
        writeFileSync(file, encrypted, { mode: 0o600 });
      });

      test('PEM label is ENCRYPTED PRIVATE KEY and the plaintext key is not visible', () => {
        assert.match(encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END ENCRYPTED PRIVATE KEY-----\n$/);
        const plainDer = kp.privateKey.export({ type: 'pkcs8', format: 'der' });
        assert.ok(!pemBody(encrypted, 'ENCRYPTED PRIVATE KEY').includes(plainDer));
      });

      test('each encryption uses a fresh salt/IV', () => {
        assert.notEqual(privateKeyToPem(kp.privateKey, PASSPHRASE), encrypted);
      });

      test('loads with the right passphrase', () => {
        const key = loadPrivateKey(encrypted, 'enc.pem', PASSPHRASE);
        assert.equal(key.type, 'private');
        assert.ok(samePublicKey(createPublicKey(key), kp.publicKey));
      });

      test('wrong passphrase -> E_BAD_PASSPHRASE naming the source', () => {
        expectAttestryError(() => loadPrivateKey(encrypted, 'enc.pem', 'wrong'), 'E_BAD_PASSPHRASE', /enc\.pem/);
        expectAttestryError(() => loadPrivateKey(encrypted, 'enc.pem', `${PASSPHRASE} `), 'E_BAD_PASSPHRASE');
      });

      test('missing or empty passphrase -> E_PASSPHRASE_REQUIRED', () => {
        expectAttestryError(() => loadPrivateKey(encrypted, 'enc.pem'), 'E_PASSPHRASE_REQUIRED', /enc\.pem/, /passphrase/);
        expectAttestryError(() => loadPrivateKey(encrypted, 'enc.pem', ''), 'E_PASSPHRASE_REQUIRED');
      });

      test('the passphrase is checked on every load (no cache bypass)', () => {
        loadPrivateKey(encrypted, 'enc.pem', PASSPHRASE);
        expectAttestryError(() => loadPrivateKey(encrypted, 'enc.pem', 'wrong'), 'E_BAD_PASSPHRASE');
        expectAttestryError(() => loadPrivateKey(encrypted, 'enc.pem'), 'E_PASSPHRASE_REQUIRED');
      });

      test('loadPublicKey refuses an encrypted private key with E_KEY_FORMAT', () => {
        expectAttestryError(() => loadPublicKey(encrypted, 'enc.pem'), 'E_KEY_FORMAT', /encrypted private key/);
      });

      test('interop: openssl pkey decrypts it and derives the same public key PEM', () => {
        const out = openssl(['pkey', '-in', file, '-passin', `pass:${PASSPHRASE}`, '-pubout']);
        assert.equal(out, publicKeyToPem(kp.publicKey));
      });

      test('interop: openssl rejects a wrong passphrase', () => {
        assert.throws(() => openssl(['pkey', '-in', file, '-passin', 'pass:wrong', '-pubout']));
      });

      test('interop: openssl asn1parse shows PBES2, scrypt (N=2^14, r=8, p=1, 32-byte key) and AES-256-CBC', () => {
        const out = openssl(['asn1parse', '-in', file]);
        assert.match(out, /OBJECT\s+:PBES2\s*$/m);
        assert.match(out, /OBJECT\s+:(?:id-scrypt|scrypt|1\.3\.6\.1\.4\.1\.11591\.4\.11)\s*$/m);
        assert.match(out, /OBJECT\s+:aes-256-cbc\s*$/m);
        const ints = [...out.matchAll(/prim: INTEGER\s+:([0-9A-F]+)\s*$/gm)].map((m) => parseInt(m[1]!, 16));
        assert.deepEqual(ints, [SCRYPT_PARAMS.N, SCRYPT_PARAMS.r, SCRYPT_PARAMS.p, 32]);
        assert.equal(SCRYPT_PARAMS.N, 16384);
      });

      test('the DER carries the id-scrypt OID 1.3.6.1.4.1.11591.4.11', () => {
        // 06 09 | 2B 06 01 04 01 | DA 47 (11591 in base 128) | 04 0B
        const oid = Buffer.from('06092b06010401da47040b', 'hex');
        assert.ok(pemBody(encrypted, 'ENCRYPTED PRIVATE KEY').includes(oid));
      });
    });
  });
}

describe('passphrase edge cases', () => {
  test('a non-ASCII passphrase works with attestry and with openssl (UTF-8 bytes)', () => {
    const kp = generateKeyPair('ed25519');
    const passphrase = 'pässwörd 🔑 ključ';
    const pem = privateKeyToPem(kp.privateKey, passphrase);
    assert.ok(samePublicKey(createPublicKey(loadPrivateKey(pem, 'k', passphrase)), kp.publicKey));
    expectAttestryError(() => loadPrivateKey(pem, 'k', 'passwort'), 'E_BAD_PASSPHRASE');
    const file = join(workdir, 'utf8-pass.pem');
    writeFileSync(file, pem);
    const out = openssl(['pkey', '-in', file, '-passin', 'env:ATTESTRY_TEST_PW', '-pubout'], { ATTESTRY_TEST_PW: passphrase });
    assert.equal(out, publicKeyToPem(kp.publicKey));
  });

  test('interop: a key encrypted by `openssl pkcs8 -topk8 -scrypt` loads with the passphrase', () => {
    const kp = generateKeyPair('ecdsa-p256');
    const plainFile = join(workdir, 'plain.pem');
    writeFileSync(plainFile, privateKeyToPem(kp.privateKey));
    const encryptedPem = openssl(['pkcs8', '-topk8', '-scrypt', '-in', plainFile, '-passout', `pass:${PASSPHRASE}`]);
    assert.match(encryptedPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const key = loadPrivateKey(encryptedPem, 'openssl.pem', PASSPHRASE);
    assert.ok(samePublicKey(createPublicKey(key), kp.publicKey));
    expectAttestryError(() => loadPrivateKey(encryptedPem, 'openssl.pem', 'nope'), 'E_BAD_PASSPHRASE');
  });
});

describe('malformed and unsupported keys', () => {
  test('garbage -> E_KEY_FORMAT naming the source', () => {
    for (const text of ['', 'not a key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n']) {
      expectAttestryError(() => loadPrivateKey(text, 'junk.pem'), 'E_KEY_FORMAT', /junk\.pem/);
      expectAttestryError(() => loadPublicKey(text, 'junk.pub'), 'E_KEY_FORMAT', /junk\.pub/);
    }
  });

  test('garbage read from a file -> E_KEY_FORMAT', () => {
    const file = join(workdir, 'garbage.pem');
    writeFileSync(file, Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]));
    const text = readFileSync(file, 'utf8');
    expectAttestryError(() => loadPrivateKey(text, file), 'E_KEY_FORMAT');
  });

  test('a public key where a private key is needed -> E_KEY_FORMAT', () => {
    const kp = generateKeyPair('ed25519');
    expectAttestryError(() => loadPrivateKey(publicKeyToPem(kp.publicKey), 'pub.pem'), 'E_KEY_FORMAT', /pub\.pem/);
  });

  test('RSA 2048 -> E_KEY_UNSUPPORTED for private and public keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const privPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pubPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expectAttestryError(() => loadPrivateKey(privPem, 'rsa.pem'), 'E_KEY_UNSUPPORTED', /rsa/);
    expectAttestryError(() => loadPublicKey(pubPem, 'rsa.pub'), 'E_KEY_UNSUPPORTED', /rsa/);
    expectAttestryError(() => keyAlgorithmOf(rsa.publicKey), 'E_KEY_UNSUPPORTED');
  });

  test('an unsupported curve (secp256k1) -> E_KEY_UNSUPPORTED naming the curve', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const pubPem = k1.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expectAttestryError(() => loadPublicKey(pubPem, 'k1.pub'), 'E_KEY_UNSUPPORTED', /secp256k1/);
  });

  test('an encrypted RSA key is still refused after decryption', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKeyToPem(rsa.privateKey, PASSPHRASE);
    expectAttestryError(() => loadPrivateKey(pem, 'rsa-enc.pem', PASSPHRASE), 'E_KEY_UNSUPPORTED');
  });
});
