/**
 * Signing/verification benchmark (`npm run bench:crypto`): DSSE envelope
 * sign and verify through attestry against raw `crypto.sign`/`crypto.verify`
 * over the same bytes, measured in the same run.
 */
import { sign as rawSign, verify as rawVerify, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createSigner, createVerifier, signEnvelope, verifyEnvelope, pae, generateKeyPair, type KeyAlgorithm } from '../src/index.js';

const HASH: Record<Exclude<KeyAlgorithm, 'sm2' | 'gost3410'>, string | null> = {
  ed25519: null,
  'ecdsa-p256': 'sha256',
  'ecdsa-p384': 'sha384',
  'ecdsa-p521': 'sha512',
};

function opsPerSec(n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(200, n); i++) fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return n / ((performance.now() - t) / 1000);
}

const payload = randomBytes(2048);
const type = 'application/vnd.in-toto+json';
console.log('| algorithm | op | raw node:crypto ops/s | attestry DSSE ops/s | ratio |');
console.log('|---|---|---:|---:|---:|');
for (const alg of ['ed25519', 'ecdsa-p256'] as const) {
  const { privateKey, publicKey } = generateKeyPair(alg);
  const signer = createSigner(privateKey);
  const verifier = createVerifier(publicKey);
  const message = pae(type, payload);
  const rawSig = rawSign(HASH[alg], message, privateKey);
  const env = signEnvelope(type, payload, [signer]);
  const n = alg === 'ed25519' ? 20000 : 10000;
  const rs = opsPerSec(n, () => rawSign(HASH[alg], message, privateKey));
  const as = opsPerSec(n, () => signEnvelope(type, payload, [signer]));
  const rv = opsPerSec(n, () => rawVerify(HASH[alg], message, publicKey, rawSig));
  const av = opsPerSec(n, () => verifyEnvelope(env, [verifier]));
  console.log(`| ${alg} | sign | ${rs.toFixed(0)} | ${as.toFixed(0)} | ${(as / rs).toFixed(2)} |`);
  console.log(`| ${alg} | verify | ${rv.toFixed(0)} | ${av.toFixed(0)} | ${(av / rv).toFixed(2)} |`);
}
