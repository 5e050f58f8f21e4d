/**
 * model_signing's keyless ("sigstore") and certificate methods against the
 * real signatures in sigstore/model-transparency `scripts/tests/v1.*-sigstore`
 * and `v1.*-certificate`, with the identities of its test scripts
 * (test-verify-v1.*-sigstore.sh, test-verify-v1.*-certificate.sh). Read from a
 * local git copy (see test/sigstore/external.ts); skipped without one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttestryError, publicGoodTrustRoot, verifyModel } from '../../src/index.js';
import { expectExit, getRecord, getString, jsonOut, runCli } from '../helpers/cli.js';
import { MODEL_TRANSPARENCY_GIT, extractTree, skipUnless } from '../sigstore/external.js';

const skip = skipUnless(MODEL_TRANSPARENCY_GIT, 'sigstore/model-transparency', 'ATTESTRY_MODEL_TRANSPARENCY_GIT');
const IDENTITY = 'stefanb@us.ibm.com';
const PROVIDER = 'https://sigstore.verify.ibm.com/oauth2';
const VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0'];

function ignoreArgs(dir: string): string[] {
  return existsSync(join(dir, 'ignore-me')) ? ['--ignore-paths', join(dir, 'ignore-me')] : [];
}

/** A self-signed CA that did not issue the fixtures: the public-good Fulcio root. */
function anotherCaPem(): string {
  const cas = publicGoodTrustRoot().material.certificateAuthorities;
  const root = cas[cas.length - 1]!.certChain.at(-1)!;
  const b64 = root.root.toDER().toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

test('model_signing keyless and certificate signatures verify; wrong identity, issuer, CA or a flipped byte fail with exit 2', { skip }, async (t) => {
  const { dir: root, cleanup } = extractTree(MODEL_TRANSPARENCY_GIT, 'scripts/tests');
  t.after(cleanup);
  const dir = join(root, 'scripts/tests');
  const caCert = join(dir, 'keys/certificate/ca-cert.pem');
  const otherCa = join(root, 'other-ca.pem');
  writeFileSync(otherCa, anotherCaPem());

  for (const v of VERSIONS) {
    const keyless = join(dir, `${v}-sigstore`);
    const cert = join(dir, `${v}-certificate`);
    await t.test(`${v} keyless verifies`, async () => {
      const r = jsonOut(expectExit(await runCli(['model', 'verify', '--model-dir', keyless, '--identity', IDENTITY, '--identity-provider', PROVIDER, ...ignoreArgs(keyless), '--json']), 0));
      const sig = getRecord(r, 'signature');
      assert.equal(getString(sig, 'method'), 'sigstore');
      assert.equal(getString(sig, 'identity'), IDENTITY);
      assert.equal(getString(sig, 'issuer'), PROVIDER);
    });
    await t.test(`${v} certificate verifies`, async () => {
      const r = jsonOut(expectExit(await runCli(['model', 'verify', '--model-dir', cert, '--certificate-chain', caCert, ...ignoreArgs(cert), '--json']), 0));
      assert.equal(getString(getRecord(r, 'signature'), 'method'), 'certificate');
      assert.equal(getString(getRecord(r, 'signature'), 'algorithm'), 'ecdsa-p384');
    });
  }

  const keyless = join(dir, 'v1.1.0-sigstore');
  const cert = join(dir, 'v1.1.0-certificate');
  const failures: [string, string[], string][] = [
    ['wrong identity', ['--model-dir', keyless, '--identity', 'someone@us.ibm.com', '--identity-provider', PROVIDER, ...ignoreArgs(keyless)], 'identity'],
    ['wrong issuer', ['--model-dir', keyless, '--identity', IDENTITY, '--identity-provider', 'https://accounts.google.com', ...ignoreArgs(keyless)], 'issuer'],
    ['another CA', ['--model-dir', cert, '--certificate-chain', otherCa, ...ignoreArgs(cert)], 'certificate-chain'],
    // The intermediate is not a self-signed root: a chain must end at a trusted root.
    ['the intermediate as CA', ['--model-dir', cert, '--certificate-chain', join(dir, 'keys/certificate/int-ca-cert.pem'), ...ignoreArgs(cert)], 'certificate-chain'],
  ];
  for (const [what, args, check] of failures) {
    await t.test(`${what} fails with exit 2 naming ${check}`, async () => {
      const r = jsonOut(expectExit(await runCli(['model', 'verify', ...args, '--json']), 2));
      const err = r;
      assert.equal(err['ok'], false);
      assert.equal(getString(err, 'code'), 'E_SIGNATURE_INVALID');
      assert.equal(getString(getRecord(err, 'details'), 'check'), check);
    });
  }

  for (const [what, modelDir, args] of [
    ['keyless', keyless, ['--identity', IDENTITY, '--identity-provider', PROVIDER]],
    ['certificate', cert, ['--certificate-chain', caCert]],
  ] as const) {
    await t.test(`${what}: one flipped byte in a model file fails with exit 2 naming the file`, async () => {
      const file = join(modelDir, 'signme-1');
      const original = readFileSync(file);
      const flipped = Buffer.from(original);
      flipped[0] = flipped[0]! ^ 0x01;
      writeFileSync(file, flipped);
      try {
        const r = jsonOut(expectExit(await runCli(['model', 'verify', '--model-dir', modelDir, ...args, ...ignoreArgs(modelDir), '--json']), 2));
        assert.deepEqual(r['problems'], [{ name: 'signme-1', kind: 'modified', detail: 'content differs from the signed digest', expected: (r['problems'] as { expected: string }[])[0]!.expected, actual: (r['problems'] as { actual: string }[])[0]!.actual }]);
      } finally {
        writeFileSync(file, original);
      }
    });
  }

  await t.test('one flipped byte in the signed envelope fails (library, certificate method)', async () => {
    const sigPath = join(cert, 'model.sig');
    const bundle = JSON.parse(readFileSync(sigPath, 'utf8')) as { dsseEnvelope: { signatures: { sig: string }[] } };
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 0x01;
    bundle.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    const tampered = join(root, 'tampered.sig');
    writeFileSync(tampered, JSON.stringify(bundle));
    await assert.rejects(
      verifyModel({ modelPath: cert, signaturePath: tampered, certificateChain: { certificateChainPems: [{ pem: readFileSync(caCert, 'utf8'), source: caCert }] }, ignorePaths: ['ignore-me'], threads: 1 }),
      (e: unknown) => e instanceof AttestryError && e.code === 'E_SIGNATURE_INVALID',
    );
  });

  await t.test('a keyless signature given to key-based verify says how to verify it', async () => {
    const r = jsonOut(expectExit(await runCli(['model', 'verify', '--model-dir', keyless, '--key', join(dir, 'keys/certificate/signing-key-pub.pem'), '--json']), 1));
    assert.match(getString(r, 'message'), /identity and identity provider/);
  });
});
