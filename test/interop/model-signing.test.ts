/**
 * Interop with the reference `model_signing` tool: verifies the real
 * signatures in sigstore/model-transparency `scripts/tests/v*-elliptic-key`
 * (P-384 keys; bundle forms of v0.3.1, v1.0.0, v1.0.1 and v1.1.0).
 *
 * Those files are not ours to commit, so the test reads them from a local git
 * copy of that repository: ATTESTRY_MODEL_TRANSPARENCY_GIT, or the mirror path
 * used on the project's machines. Without one the test is skipped, saying so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AttestryError, generateKeyPair, loadPublicKey, verifyModel } from '../../src/index.js';

const GIT_DIR = process.env['ATTESTRY_MODEL_TRANSPARENCY_GIT'] ?? '/work/.mirror/sigstore+model-transparency/repo';
const available = existsSync(GIT_DIR);
const skip = available ? false : `no local copy of sigstore/model-transparency at ${GIT_DIR} (set ATTESTRY_MODEL_TRANSPARENCY_GIT)`;

function extract(dest: string): void {
  const names = execFileSync('git', ['--git-dir', GIT_DIR, 'ls-tree', '-r', '--name-only', 'HEAD', 'scripts/tests'], { encoding: 'utf8' })
    .split('\n')
    .filter((n) => /elliptic-key\/|keys\/certificate\/signing-key-pub\.pem$/.test(n));
  for (const name of names) {
    const out = join(dest, name.replace(/^scripts\/tests\//, ''));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, execFileSync('git', ['--git-dir', GIT_DIR, 'show', `HEAD:${name}`]));
  }
}

// [signature directory, model path relative to it ('' = the directory itself)]
const CASES: [string, string][] = [
  ['v1.1.0-elliptic-key', ''],
  ['v1.0.1-elliptic-key', ''],
  ['v1.0.0-elliptic-key', 'signme-1'],
  ['v0.3.1-elliptic-key', 'signme-1'],
];

test('verifies model_signing key signatures of every released bundle form', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'attestry-interop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  extract(dir);
  const publicKey = loadPublicKey(readFileSync(join(dir, 'keys/certificate/signing-key-pub.pem'), 'utf8'), 'fixture key');

  for (const [sigDir, model] of CASES) {
    const modelPath = join(dir, sigDir, model);
    const result = await verifyModel({
      modelPath,
      signaturePath: join(dir, sigDir, 'model.sig'),
      publicKey,
      ignorePaths: ['ignore-me'],
      threads: 1,
    });
    assert.equal(result.ok, true, `${sigDir}: ${JSON.stringify(result.problems)}`);
    assert.equal(result.signature.algorithm, 'ecdsa-p384', sigDir);
  }

  // Tampering with a file model_signing signed is caught and named.
  appendFileSync(join(dir, 'v1.1.0-elliptic-key', 'signme-2'), 'x');
  const tampered = await verifyModel({
    modelPath: join(dir, 'v1.1.0-elliptic-key'),
    signaturePath: join(dir, 'v1.1.0-elliptic-key', 'model.sig'),
    publicKey,
    threads: 1,
  });
  assert.equal(tampered.ok, false);
  assert.deepEqual(
    tampered.problems.map((p) => [p.name, p.kind]),
    [['signme-2', 'modified']],
  );

  // Another P-384 key is refused by the key hint before any hashing.
  await assert.rejects(
    verifyModel({
      modelPath: join(dir, 'v1.1.0-elliptic-key'),
      signaturePath: join(dir, 'v1.1.0-elliptic-key', 'model.sig'),
      publicKey: generateKeyPair('ecdsa-p384').publicKey,
      threads: 1,
    }),
    (e: unknown) => e instanceof AttestryError && e.code === 'E_KEY_MISMATCH',
  );
});
