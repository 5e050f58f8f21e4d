/**
 * Interop with OpenSSL's gost engine (Debian libengine-gost-openssl): keys and
 * signatures attestry writes are read and verified by `openssl`, and the
 * engine's keys and signatures by attestry. Skips with an install hint where
 * the engine is missing; fails instead under ATTESTRY_REQUIRE_TOOLS=1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeyPair,
  keyFingerprint,
  loadPrivateKeyHandle,
  loadPublicKeyHandle,
  privateKeyToPem,
  publicKeyToPem,
} from '../../src/crypto/keys.js';
import { GostPrivateKey, GostPublicKey } from '../../src/crypto/gost-keys.js';
import { createSigner, verifyBytes } from '../../src/crypto/signer.js';
import { streebog256, streebog512 } from '../../src/crypto/streebog.js';
import { toolSkip } from '../helpers/tools.js';

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

function engineSkip(): false | string {
  const tool = toolSkip('openssl', 'openssl');
  if (tool) return tool;
  try {
    openssl(['engine', '-t', 'gost']);
    return false;
  } catch {
    const reason = "OpenSSL's gost engine is not installed: install it with 'apt-get install libengine-gost-openssl'";
    if (process.env['ATTESTRY_REQUIRE_TOOLS'] === '1')
      throw new Error(`${reason} (ATTESTRY_REQUIRE_TOOLS=1: a missing tool is a failure here)`);
    return reason;
  }
}

const skip = engineSkip();
const ENGINE = ['-engine', 'gost'];
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'attestry-gost-interop-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const DATA = Buffer.from('attestry and the gost engine agree');

test('Streebog-256 and -512 match `openssl dgst -md_gost12_*` across block boundaries', { skip }, () => {
  for (const n of [0, 1, 63, 64, 65, 127, 128, 1000]) {
    const data = randomBytes(n);
    const hex = (md: string) =>
      openssl(['dgst', ...ENGINE, `-${md}`, '-r'], data)
        .toString()
        .split(' ')[0];
    assert.equal(streebog256(data).toString('hex'), hex('md_gost12_256'), `256, ${n} bytes`);
    assert.equal(streebog512(data).toString('hex'), hex('md_gost12_512'), `512, ${n} bytes`);
  }
});

test('openssl reads our keys and verifies our signature', { skip }, () => {
  const pair = generateKeyPair('gost3410');
  const priv = join(dir, 'ours.key');
  const pub = join(dir, 'ours.pub');
  const msg = join(dir, 'msg');
  const sig = join(dir, 'ours.sig');
  writeFileSync(priv, privateKeyToPem(pair.privateKey));
  writeFileSync(pub, publicKeyToPem(pair.publicKey));
  writeFileSync(msg, DATA);
  writeFileSync(sig, createSigner(pair.privateKey).sign(DATA));
  // The engine derives the same public key from our private key, byte for byte.
  assert.equal(openssl(['pkey', ...ENGINE, '-in', priv, '-pubout']).toString(), publicKeyToPem(pair.publicKey));
  assert.match(openssl(['dgst', ...ENGINE, '-md_gost12_256', '-verify', pub, '-signature', sig, msg]).toString(), /Verified OK/);
  writeFileSync(msg, Buffer.concat([DATA, Buffer.of(0)]));
  assert.throws(() => openssl(['dgst', ...ENGINE, '-md_gost12_256', '-verify', pub, '-signature', sig, msg]));
});

test("we load the engine's CryptoPro-A key and verify its signature", { skip }, () => {
  const priv = join(dir, 'theirs.key');
  const msg = join(dir, 'msg2');
  const sig = join(dir, 'theirs.sig');
  openssl(['genpkey', ...ENGINE, '-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A', '-out', priv]);
  const pubPem = openssl(['pkey', ...ENGINE, '-in', priv, '-pubout']).toString();
  writeFileSync(msg, DATA);
  openssl(['dgst', ...ENGINE, '-md_gost12_256', '-sign', priv, '-out', sig, msg]);
  const key = loadPrivateKeyHandle(readFileSync(priv, 'utf8'), priv);
  assert.ok(key instanceof GostPrivateKey);
  const pub = loadPublicKeyHandle(pubPem, 'their public key');
  assert.ok(pub instanceof GostPublicKey && key.publicKey.equals(pub));
  assert.equal(keyFingerprint(key.publicKey), keyFingerprint(pub));
  const signature = readFileSync(sig);
  assert.equal(signature.length, 64);
  assert.equal(verifyBytes(pub, DATA, signature), true);
  assert.equal(verifyBytes(pub, Buffer.from('something else'), signature), false);
  // And the key we loaded signs in a way the engine accepts.
  writeFileSync(sig, key.sign(DATA));
  writeFileSync(join(dir, 'theirs.pub'), pubPem);
  assert.match(
    openssl(['dgst', ...ENGINE, '-md_gost12_256', '-verify', join(dir, 'theirs.pub'), '-signature', sig, msg]).toString(),
    /Verified OK/,
  );
});
