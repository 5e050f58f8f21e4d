/**
 * Interop with the reference `model_signing` tool: every released signature in
 * sigstore/model-transparency `scripts/tests` (v0.2.0 … v1.1.0; ECDSA P-384
 * key, keyless Sigstore and certificate-chain methods) verifies with
 * `verifyModel`, with the options its test-verify-*.sh script uses (see
 * model-signing-cases.ts). Read in place from ../shared/fixtures; tampering
 * happens on a temp copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateKeyPair, loadPublicKey, verifyModel, type VerifyModelOptions } from '../../src/index.js';
import { expectRejects } from '../helpers/model.js';
import { copyFixture, modelTransparencyPath, modelTransparencySkip } from '../sigstore/external.js';
import { interopCases, type InteropCase } from './model-signing-cases.js';

const skip = modelTransparencySkip();

function optionsFor(c: InteropCase, modelPath = c.modelPath, signaturePath = c.signaturePath): VerifyModelOptions {
  const o: VerifyModelOptions = {
    modelPath,
    signaturePath,
    ignorePaths: c.ignorePaths.map((p) => relative(c.modelPath, p)),
    threads: 1,
  };
  if (c.publicKeyPath) o.publicKey = loadPublicKey(readFileSync(c.publicKeyPath, 'utf8'), c.publicKeyPath);
  if (c.certificateChainPath)
    o.certificateChain = { certificateChainPems: [{ pem: readFileSync(c.certificateChainPath, 'utf8'), source: c.certificateChainPath }] };
  if (c.identity !== undefined || c.identityProvider !== undefined) {
    assert.ok(
      c.identity !== undefined && c.identityProvider !== undefined,
      `${c.name}: keyless needs both --identity and --identity_provider`,
    );
    o.keyless = { identity: c.identity, identityProvider: c.identityProvider };
  }
  return o;
}

test('every released model_signing signature verifies (all versions, all three methods)', { skip }, async (t) => {
  const cases = interopCases();
  // The fixture holds 13 cases (v0.2.0 certificate; v0.3.1 … v1.1.0 × three methods): fewer is a broken fixture.
  assert.ok(cases.length >= 13, `expected >= 13 interop cases, found ${cases.map((c) => c.name).join(', ')}`);
  for (const method of ['elliptic-key', 'sigstore', 'certificate'] as const) {
    assert.ok(cases.filter((c) => c.method === method).length >= 4, `fewer than 4 ${method} cases`);
  }
  for (const c of cases) {
    await t.test(c.name, async () => {
      const r = await verifyModel(optionsFor(c));
      assert.equal(r.ok, true, `${c.name}: ${JSON.stringify(r.problems)}`);
      assert.equal(r.signature.method, c.method === 'elliptic-key' ? 'key' : c.method);
      if (c.method !== 'sigstore') assert.equal(r.signature.algorithm, 'ecdsa-p384', c.name);
      if (c.method === 'sigstore') {
        assert.equal(r.signature.identity, c.identity);
        assert.equal(r.signature.issuer, c.identityProvider);
      }
      assert.ok(r.filesChecked >= 1, `${c.name}: no file checked`);
      if (c.version === '0.2.0') assert.equal(r.signature.legacyFormat, true, `${c.name}: legacyFormat`);
    });
  }
});

test('a file model_signing signed, changed by one byte, is caught and named (every version and method)', { skip }, async (t) => {
  for (const c of interopCases()) {
    await t.test(c.name, async (tt) => {
      const caseDir = modelTransparencyPath(c.name);
      const copy = copyFixture(caseDir);
      tt.after(copy.cleanup);
      const inCopy = (p: string): string => join(copy.dir, relative(caseDir, p));
      // Every case signs signme-1, either as the model itself or as a file of the model directory.
      appendFileSync(join(copy.dir, 'signme-1'), 'x');
      const r = await verifyModel(optionsFor(c, inCopy(c.modelPath), inCopy(c.signaturePath)));
      assert.equal(r.ok, false);
      assert.deepEqual(
        r.problems.map((p) => [p.name, p.kind]),
        [['signme-1', 'modified']],
      );
    });
  }
});

test('another P-384 key does not verify model_signing key signatures (the key decides, not the hint)', { skip }, async (t) => {
  for (const c of interopCases().filter((x) => x.method === 'elliptic-key')) {
    await t.test(c.name, async () => {
      const o = optionsFor(c);
      o.publicKey = generateKeyPair('ecdsa-p384').publicKey;
      await expectRejects(verifyModel(o), 'E_SIGNATURE_INVALID');
    });
  }
});
