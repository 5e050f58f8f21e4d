/**
 * sigstore-conformance's bundle-verify suite (test/assets/bundle-verify of
 * sigstore/sigstore-conformance, read in place from ../shared/fixtures) as an external suite: every case directory
 * is one subtest, verified both against the artifact's bytes and against its
 * sha256 digest (the suite's PATH and DIGEST modes). A name ending in `_fail`
 * must fail, every other must verify.
 *
 * Case layout (the suite's README and test/client.py): bundle.sigstore.json;
 * optional artifact (else ../a.txt), identity, issuer, key.pub (then key-based)
 * and trusted_root.json (else the public-good root, here the one embedded in
 * @sigstore/tuf).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttestryError,
  loadPublicKey,
  loadTrustRootFile,
  publicGoodTrustRoot,
  readSigstoreBundleFile,
  verifySigstoreBundle,
  type BundleArtifact,
  type SignerPolicy,
} from '../../src/index.js';
import { CONFORMANCE_IDENTITY, CONFORMANCE_ISSUER, conformancePath, conformanceSkip } from './external.js';

const skip = conformanceSkip();

function optionalText(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/** Runs one case in one mode; returns the error (or undefined when it verified). */
function runCase(caseDir: string, suiteDir: string, mode: 'bytes' | 'digest'): unknown {
  try {
    const keyPath = join(caseDir, 'key.pub');
    const policy: SignerPolicy = existsSync(keyPath)
      ? { kind: 'key', publicKey: loadPublicKey(readFileSync(keyPath, 'utf8'), keyPath) }
      : {
          kind: 'identity',
          identity: optionalText(join(caseDir, 'identity')) ?? CONFORMANCE_IDENTITY,
          issuer: optionalText(join(caseDir, 'issuer')) ?? CONFORMANCE_ISSUER,
        };
    const rootPath = join(caseDir, 'trusted_root.json');
    const trustRoot = existsSync(rootPath) ? loadTrustRootFile(rootPath) : publicGoodTrustRoot();
    const artifactPath = existsSync(join(caseDir, 'artifact')) ? join(caseDir, 'artifact') : join(suiteDir, 'a.txt');
    const data = readFileSync(artifactPath);
    const artifact: BundleArtifact =
      mode === 'bytes'
        ? { kind: 'bytes', data }
        : { kind: 'digest', algorithm: 'sha256', digest: createHash('sha256').update(data).digest() };
    verifySigstoreBundle(readSigstoreBundleFile(join(caseDir, 'bundle.sigstore.json')), { policy, trustRoot, artifact });
    return undefined;
  } catch (e) {
    return e;
  }
}

test('sigstore-conformance bundle-verify suite', { skip }, async (t) => {
  const suiteDir = conformancePath();
  const cases = readdirSync(suiteDir)
    .filter((n) => statSync(join(suiteDir, n)).isDirectory())
    .sort();
  // The fixture is present: an empty or truncated suite is a failure, not a pass.
  assert.ok(cases.length >= 70, `expected the full suite (>= 70 cases), found ${cases.length} in ${suiteDir}`);

  let asExpected = 0;
  for (const name of cases) {
    const mustFail = name.endsWith('_fail');
    await t.test(name, () => {
      for (const mode of ['bytes', 'digest'] as const) {
        const err = runCase(join(suiteDir, name), suiteDir, mode);
        if (mustFail) {
          assert.ok(err !== undefined, `${name} (${mode}) verified but must fail`);
          // A failure is a reported AttestryError with a code, never a crash.
          assert.ok(err instanceof AttestryError, `${name} (${mode}) failed with a non-attestry error: ${String(err)}`);
          assert.ok(err.exitCode === 1 || err.exitCode === 2, `${name} (${mode}): exit code ${err.exitCode}`);
        } else {
          assert.equal(err, undefined, `${name} (${mode}) must verify: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      asExpected++;
    });
  }
  t.diagnostic(`${asExpected} of ${cases.length} conformance cases as expected`);
});
