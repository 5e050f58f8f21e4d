/**
 * PKCS#11 signing benchmark (`npm run bench:pkcs11`): signatures per second
 * through attestry's PKCS#11 signer on a fresh SoftHSM2 token against the
 * software signer with the same key, in the same run. The PKCS#11 signer
 * checks each signature against the public key; that cost is the
 * "verify" column.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createSigner, generateKeyPair, verifyBytes, type NodeKeyAlgorithm } from '../src/index.js';
import { openPkcs11Signer } from '../src/crypto/pkcs11-signer.js';
import { createSoftHsmToken, softHsmSkip } from '../test/helpers/softhsm.js';

const skip = softHsmSkip();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}

/** Operations per second over about `seconds` (after a short warm-up). */
function rate(fn: () => void, seconds = 1): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
  }
  return n / ((performance.now() - start) / 1000);
}

const token = createSoftHsmToken('bench');
process.env['SOFTHSM2_CONF'] = token.conf;
try {
  const message = randomBytes(1024); // about a DSSE PAE of a small statement
  console.log(
    '| algorithm | software sign/s | PKCS#11 (SoftHSM2) sign/s | ratio | software verify/s (the check each PKCS#11 signature gets) |',
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const [i, algorithm] of (['ecdsa-p256', 'ecdsa-p384', 'ed25519'] as NodeKeyAlgorithm[]).entries()) {
    const imported = token.importKey(algorithm, `bench-${algorithm}`, `b${i}`);
    const hsm = openPkcs11Signer(imported.uri);
    // The same key in software: softhsm2-util imported it from PKCS#8, so sign with a fresh one of that kind.
    const software = createSigner(generateKeyPair(algorithm).privateKey);
    const sig = software.sign(message);
    const s = rate(() => software.sign(message));
    const h = rate(() => hsm.sign(message));
    const v = rate(() => verifyBytes(software.publicKey, message, sig));
    hsm.close();
    console.log(`| ${algorithm} | ${s.toFixed(0)} | ${h.toFixed(0)} | ${(h / s).toFixed(2)} | ${v.toFixed(0)} |`);
  }
} finally {
  token.cleanup();
}
