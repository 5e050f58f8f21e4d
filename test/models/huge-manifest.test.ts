/**
 * A model of 70,000 files (issue 12 defect 2; the defect was found at 100,000): its signature is ~7 MB of
 * base64, which a backtracking base64 regex could not match ("Maximum call
 * stack size exceeded"). Sign, verify, inspect and --reuse-digests must all
 * work, through the library and the CLI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, inspectSignature, signModel, verifyModel } from '../../src/models/index.js';
import { privateKeyToPem, publicKeyToPem } from '../../src/crypto/keys.js';
import { expectExit, jsonOut, runCli } from '../helpers/cli.js';
import { makeKeyPair, makeTempDir, removeDir } from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

// 70,000 files make a ~7 MB signature; the old regex overflowed its stack from 6 MB of base64 on (4 MB
// still passed). 100,000 files took 32 s of npm test.
const N = 70_000;

test('70,000 files: sign, verify, inspect and reuse digests (library), the signature read by the CLI', { timeout: 120_000 }, async (t) => {
  const base = makeTempDir();
  t.after(() => removeDir(base));
  const dir = join(base, 'many');
  for (let d = 0; d < 100; d++) mkdirSync(join(dir, `d${String(d).padStart(2, '0')}`), { recursive: true });
  for (let i = 0; i < N; i++) writeFileSync(join(dir, `d${String(i % 100).padStart(2, '0')}`, `f${String(i).padStart(6, '0')}`), String(i));
  const keys = makeKeyPair();
  const keyPath = join(base, 'key.pem');
  const pubPath = join(base, 'key.pub');
  writeFileSync(keyPath, privateKeyToPem(keys.privateKey));
  writeFileSync(pubPath, publicKeyToPem(keys.publicKey));

  const signed = await signModel({ modelPath: dir, privateKey: keys.privateKey, signerId: 'x', pool });
  assert.equal(signed.files, N);
  assert.ok(statSync(signed.signaturePath).size > 6 * 1024 * 1024, 'the signature should be past the size that broke the regex');

  const r = await verifyModel({ modelPath: dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
  assert.equal(r.ok, true, JSON.stringify(r.problems.slice(0, 3)));
  assert.equal(r.filesChecked, N);
  assert.equal(inspectSignature(signed.signaturePath).resources.length, N);

  const again = await signModel({
    modelPath: dir,
    privateKey: keys.privateKey,
    signerId: 'x',
    pool,
    reuseDigestsFrom: signed.signaturePath,
  });
  assert.equal(again.filesReused, N);
  assert.equal(again.bytesHashed, 0);

  // The CLI reads the 7 MB signature the same way for verify and inspect (readSignatureFile); inspect does not re-hash 70,000 files.
  const cliInspect = jsonOut(
    expectExit(await runCli(['model', 'inspect', '--signature', signed.signaturePath, '--json'], { timeoutMs: 60_000 }), 0),
  );
  assert.equal((cliInspect['resources'] as unknown[]).length, N);
});
