/**
 * model_signing's three methods through the CLI (`attestry model verify`)
 * against every real signature in sigstore/model-transparency `scripts/tests`
 * (read in place from ../shared/fixtures; see
 * test/interop/model-signing-cases.ts), with the identities and options of
 * its test-verify-*.sh scripts; then wrong identity, issuer, CA and flipped
 * bytes (on a temp copy) fail with exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AttestryError, publicGoodTrustRoot, verifyModel } from '../../src/index.js';
import { expectExit, getRecord, getString, jsonOut, runCli } from '../helpers/cli.js';
import { copyFixture, modelTransparencyPath, modelTransparencySkip } from '../sigstore/external.js';
import { interopCases, type InteropCase } from '../interop/model-signing-cases.js';

const skip = modelTransparencySkip();
const IDENTITY = 'stefanb@us.ibm.com';
const PROVIDER = 'https://sigstore.verify.ibm.com/oauth2';

/** The CLI arguments of a case's verify script, with paths moved under `base` (a copy) when given. */
function cliArgs(c: InteropCase, base?: string): string[] {
  const at = (p: string): string => (base === undefined ? p : join(base, relative(modelTransparencyPath(c.name), p)));
  const args = ['model', 'verify', '--model-dir', at(c.modelPath), '--signature', at(c.signaturePath)];
  if (c.publicKeyPath) args.push('--key', c.publicKeyPath);
  if (c.certificateChainPath) args.push('--certificate-chain', c.certificateChainPath);
  if (c.identity !== undefined) args.push('--identity', c.identity);
  if (c.identityProvider !== undefined) args.push('--identity-provider', c.identityProvider);
  for (const p of c.ignorePaths) args.push('--ignore-paths', at(p));
  return args;
}

/** A self-signed CA that did not issue the fixtures: the public-good Fulcio root. */
function anotherCaPem(): string {
  const cas = publicGoodTrustRoot().material.certificateAuthorities;
  const root = cas[cas.length - 1]!.certChain.at(-1)!;
  const b64 = root.root
    .toDER()
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

test(
  'model_signing signatures of every version and method verify through the CLI; wrong identity, issuer, CA or a flipped byte fail with exit 2',
  { skip },
  async (t) => {
    const dir = modelTransparencyPath();
    const cases = interopCases();
    assert.ok(cases.length >= 13, `expected >= 13 interop cases, found ${cases.length}`);
    const caCert = join(dir, 'keys/certificate/ca-cert.pem');
    const scratch = copyFixture(join(dir, 'keys'));
    t.after(scratch.cleanup);
    const otherCa = join(scratch.dir, 'other-ca.pem');
    writeFileSync(otherCa, anotherCaPem());
    const ignoreArgs = (caseDir: string): string[] => ['--ignore-paths', join(caseDir, 'ignore-me')];

    for (const c of cases) {
      await t.test(`${c.name} verifies`, async () => {
        const r = jsonOut(expectExit(await runCli([...cliArgs(c), '--json']), 0));
        const sig = getRecord(r, 'signature');
        assert.equal(getString(sig, 'method'), c.method === 'elliptic-key' ? 'key' : c.method);
        if (c.method === 'sigstore') {
          assert.equal(getString(sig, 'identity'), IDENTITY);
          assert.equal(getString(sig, 'issuer'), PROVIDER);
        } else {
          assert.equal(getString(sig, 'algorithm'), 'ecdsa-p384');
        }
      });
    }

    const keyless = join(dir, 'v1.1.0-sigstore');
    const cert = join(dir, 'v1.1.0-certificate');
    const failures: [string, string[], string][] = [
      [
        'wrong identity',
        ['--model-dir', keyless, '--identity', 'someone@us.ibm.com', '--identity-provider', PROVIDER, ...ignoreArgs(keyless)],
        'identity',
      ],
      [
        'wrong issuer',
        ['--model-dir', keyless, '--identity', IDENTITY, '--identity-provider', 'https://accounts.google.com', ...ignoreArgs(keyless)],
        'issuer',
      ],
      ['another CA', ['--model-dir', cert, '--certificate-chain', otherCa, ...ignoreArgs(cert)], 'certificate-chain'],
      // The intermediate is not a self-signed root: a chain must end at a trusted root.
      [
        'the intermediate as CA',
        ['--model-dir', cert, '--certificate-chain', join(dir, 'keys/certificate/int-ca-cert.pem'), ...ignoreArgs(cert)],
        'certificate-chain',
      ],
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

    // The library test (test/interop/model-signing.test.ts) tampers with every case; here the newest of each method.
    const newest = ['elliptic-key', 'sigstore', 'certificate'].map((m) => cases.filter((c) => c.method === m).at(-1)!);
    for (const c of newest) {
      await t.test(`${c.name}: one flipped byte in a model file fails with exit 2 naming the file`, async (tt) => {
        const copy = copyFixture(modelTransparencyPath(c.name));
        tt.after(copy.cleanup);
        const file = join(copy.dir, 'signme-1');
        const flipped = readFileSync(file);
        flipped[0] = flipped[0]! ^ 0x01;
        writeFileSync(file, flipped);
        const r = jsonOut(expectExit(await runCli([...cliArgs(c, copy.dir), '--json']), 2));
        const problems = r['problems'] as { expected: string; actual: string }[];
        assert.deepEqual(r['problems'], [
          {
            name: 'signme-1',
            kind: 'modified',
            detail: 'content differs from the signed digest',
            expected: problems[0]!.expected,
            actual: problems[0]!.actual,
          },
        ]);
      });
    }

    await t.test('one flipped byte in the signed envelope fails (library, certificate method)', async () => {
      const sigPath = join(cert, 'model.sig');
      const bundle = JSON.parse(readFileSync(sigPath, 'utf8')) as { dsseEnvelope: { signatures: { sig: string }[] } };
      const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
      sig[sig.length - 1] = sig[sig.length - 1]! ^ 0x01;
      bundle.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
      const tampered = join(scratch.dir, 'tampered.sig');
      writeFileSync(tampered, JSON.stringify(bundle));
      await assert.rejects(
        verifyModel({
          modelPath: cert,
          signaturePath: tampered,
          certificateChain: { certificateChainPems: [{ pem: readFileSync(caCert, 'utf8'), source: caCert }] },
          ignorePaths: ['ignore-me'],
          threads: 1,
        }),
        (e: unknown) => e instanceof AttestryError && e.code === 'E_SIGNATURE_INVALID',
      );
    });

    await t.test('a keyless signature given to key-based verify says how to verify it', async () => {
      const r = jsonOut(
        expectExit(
          await runCli(['model', 'verify', '--model-dir', keyless, '--key', join(dir, 'keys/certificate/signing-key-pub.pem'), '--json']),
          1,
        ),
      );
      assert.match(getString(r, 'message'), /identity and identity provider/);
    });
  },
);
