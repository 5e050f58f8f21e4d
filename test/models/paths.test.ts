/** Symlinks, path escapes and ignore paths (OMS v1.0 §6.1–6.2). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttestryError } from '../../src/core/errors.js';
import { HashPool, ignoreEntryFromCli, signModel, verifyModel } from '../../src/models/index.js';
import {
  expectAttestryError,
  expectRejects,
  fileSha256,
  makeKeyPair,
  makeModel,
  makeTempDir,
  readStatement,
  removeDir,
} from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

const keys = makeKeyPair();
const sign = (modelPath: string, extra: { allowSymlinks?: boolean; ignorePaths?: string[]; output?: string } = {}) =>
  signModel({ modelPath, privateKey: keys.privateKey, signerId: 'x', pool, ...extra });

describe('symlinks', () => {
  test('a symlink in the model is refused by default → E_SYMLINK naming the link', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    symlinkSync('weights.bin', join(m.dir, 'alias.bin'));
    const e = await expectRejects(sign(m.dir), 'E_SYMLINK', /alias\.bin/);
    assert.equal(e.exitCode, 1);
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);
  });

  test('a broken symlink is refused too', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    symlinkSync('does-not-exist', join(m.dir, 'dangling'));
    await expectRejects(sign(m.dir), 'E_SYMLINK', /dangling/);
    await expectRejects(sign(m.dir, { allowSymlinks: true }), 'E_SYMLINK', /dangling/);
  });

  test('allowSymlinks: a link to a file inside the model is followed and named by the link path', async (t) => {
    const m = makeModel({ 'weights.bin': 'the weights', 'sub/other.txt': 'other' });
    t.after(m.cleanup);
    symlinkSync('../weights.bin', join(m.dir, 'sub', 'alias.bin'));
    const signed = await sign(m.dir, { allowSymlinks: true });
    const st = readStatement(signed.signaturePath);
    assert.equal(st.predicate.serialization.allow_symlinks, true);
    const names = st.predicate.resources.map((r) => r.name);
    assert.deepEqual(names, ['sub/alias.bin', 'sub/other.txt', 'weights.bin']);
    const alias = st.predicate.resources.find((r) => r.name === 'sub/alias.bin')!;
    assert.equal(alias.digest, fileSha256(join(m.dir, 'weights.bin')), 'the link is hashed by its target content');
    const r = await verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));

    // Changing the target changes both resources.
    writeFileSync(join(m.dir, 'weights.bin'), 'other weights');
    const bad = await verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.deepEqual(
      bad.problems.map((p) => [p.name, p.kind]),
      [
        ['sub/alias.bin', 'modified'],
        ['weights.bin', 'modified'],
      ],
    );
  });

  test('allowSymlinks: a link to a directory inside the model is walked under the link name', async (t) => {
    const m = makeModel({ 'real/a.txt': 'a' });
    t.after(m.cleanup);
    symlinkSync('real', join(m.dir, 'linked'));
    const signed = await sign(m.dir, { allowSymlinks: true });
    assert.deepEqual(
      signed.statement.predicate.resources.map((r) => r.name),
      ['linked/a.txt', 'real/a.txt'],
    );
  });

  test('verify refuses a symlink planted in a model signed without allow_symlinks', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    const signed = await sign(m.dir);
    symlinkSync('weights.bin', join(m.dir, 'alias.bin'));
    const r = await verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.problems.map((p) => [p.name, p.kind]),
      [['alias.bin', 'rejected']],
    );
  });

  test('allowSymlinks: a link to a file outside the model → E_PATH_ESCAPE', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    const outside = makeTempDir();
    t.after(() => removeDir(outside));
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(m.dir, 'leak.txt'));
    await expectRejects(sign(m.dir, { allowSymlinks: true }), 'E_PATH_ESCAPE', /leak\.txt/);
  });

  test('allowSymlinks: a link to a sibling of the model directory → E_PATH_ESCAPE', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    writeFileSync(join(m.base, 'neighbour.txt'), 'n');
    symlinkSync('../neighbour.txt', join(m.dir, 'n.txt'));
    await expectRejects(sign(m.dir, { allowSymlinks: true }), 'E_PATH_ESCAPE');
  });

  test(
    'allowSymlinks: a link to a system file (/etc/hostname) → E_PATH_ESCAPE',
    { skip: existsSync('/etc/hostname') ? false : 'no /etc/hostname' },
    async (t) => {
      const m = makeModel({ 'weights.bin': 'w' });
      t.after(m.cleanup);
      symlinkSync('/etc/hostname', join(m.dir, 'hostname'));
      await expectRejects(sign(m.dir, { allowSymlinks: true }), 'E_PATH_ESCAPE');
    },
  );

  test('allowSymlinks: a link to the model root itself or its parent → E_PATH_ESCAPE or E_SYMLINK, never a hang', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    symlinkSync('..', join(m.dir, 'up'));
    await expectRejects(sign(m.dir, { allowSymlinks: true }), 'E_PATH_ESCAPE');
    const m2 = makeModel({ 'weights.bin': 'w', 'sub/x': 'x' });
    t.after(m2.cleanup);
    symlinkSync('..', join(m2.dir, 'sub', 'loop'));
    let caught: unknown;
    try {
      await sign(m2.dir, { allowSymlinks: true });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof AttestryError, `expected an AttestryError, got ${String(caught)}`);
    assert.ok(['E_PATH_ESCAPE', 'E_SYMLINK'].includes(caught.code), caught.code);
  });
});

describe('ignore paths', () => {
  test('ignored files and directories are not signed, recorded in ignore_paths, and may change freely', async (t) => {
    const m = makeModel({ 'weights.bin': 'w', 'logs/run1.txt': 'log', 'cache.tmp': 'c' });
    t.after(m.cleanup);
    const signed = await sign(m.dir, { ignorePaths: ['logs', './cache.tmp'] });
    const st = readStatement(signed.signaturePath);
    assert.deepEqual(
      st.predicate.resources.map((r) => r.name),
      ['weights.bin'],
    );
    const ignore = st.predicate.serialization.ignore_paths ?? [];
    assert.ok(ignore.includes('logs'), ignore.join(','));
    assert.ok(ignore.includes('cache.tmp'), ignore.join(','));
    writeFileSync(join(m.dir, 'logs', 'run2.txt'), 'more');
    writeFileSync(join(m.dir, 'cache.tmp'), 'changed');
    // The recorded ignore paths apply on verify without being passed again.
    const r = await verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });

  test('an ignore path with ".." → E_PATH_ESCAPE', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    await expectRejects(sign(m.dir, { ignorePaths: ['../other'] }), 'E_PATH_ESCAPE');
    await expectRejects(sign(m.dir, { ignorePaths: ['sub/../../x'] }), 'E_PATH_ESCAPE');
    await expectRejects(sign(m.dir, { ignorePaths: ['/etc/passwd'] }), 'E_PATH_ESCAPE');
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);
  });

  test('ignoreEntryFromCli: a path inside the model (from the cwd) becomes model-relative; outside → E_PATH_ESCAPE', (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    assert.equal(ignoreEntryFromCli(join(m.dir, 'logs', 'a.txt'), m.dir), 'logs/a.txt');
    assert.equal(ignoreEntryFromCli('my-model/logs', m.dir, m.base), 'logs');
    assert.equal(ignoreEntryFromCli('logs', m.dir, '/'), 'logs');
    expectAttestryError(() => ignoreEntryFromCli(join(m.base, 'x'), m.dir), 'E_PATH_ESCAPE');
    expectAttestryError(() => ignoreEntryFromCli('../x', m.dir, m.dir), 'E_PATH_ESCAPE');
  });

  test('ignoreEntryFromCli: a file inside the model whose name starts with ".." is inside, not outside', (t) => {
    const m = makeModel({ '..cache': 'c' });
    t.after(m.cleanup);
    assert.equal(ignoreEntryFromCli('my-model/..cache', m.dir, m.base), '..cache');
  });

  test('ignoreGitPaths: false signs .git files', async (t) => {
    const m = makeModel({ 'weights.bin': 'w', '.git/HEAD': 'ref' });
    t.after(m.cleanup);
    const signed = await signModel({ modelPath: m.dir, privateKey: keys.privateKey, signerId: 'x', pool, ignoreGitPaths: false });
    assert.deepEqual(
      signed.statement.predicate.resources.map((r) => r.name),
      ['.git/HEAD', 'weights.bin'],
    );
    assert.ok(!(signed.statement.predicate.serialization.ignore_paths ?? []).includes('.git'));
  });

  test('a signature written inside the model under a custom name is left out of the model', async (t) => {
    const m = makeModel({ 'weights.bin': 'w', 'sigs/keep.txt': 'k' });
    t.after(m.cleanup);
    const output = join(m.dir, 'sigs', 'release.sig');
    const signed = await sign(m.dir, { output });
    assert.ok((signed.statement.predicate.serialization.ignore_paths ?? []).includes('sigs/release.sig'));
    // Re-signing reads the old signature in place without signing it.
    const again = await sign(m.dir, { output });
    assert.deepEqual(
      again.statement.predicate.resources.map((r) => r.name),
      ['sigs/keep.txt', 'weights.bin'],
    );
    const r = await verifyModel({ modelPath: m.dir, signaturePath: output, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });

  test('a signature inside the model whose name starts with ".." is left out too', async (t) => {
    const m = makeModel({ 'weights.bin': 'w' });
    t.after(m.cleanup);
    const output = join(m.dir, '..model.sig');
    const signed = await sign(m.dir, { output });
    const r = await verifyModel({ modelPath: m.dir, signaturePath: output, publicKey: keys.publicKey, pool });
    assert.deepEqual(r.problems, []);
    assert.ok((signed.statement.predicate.serialization.ignore_paths ?? []).includes('..model.sig'));
  });

  test('file names with spaces, colons and unicode are signed and verified', async (t) => {
    const m = makeModel({ 'a b.txt': '1', 'x:y:0:10': '2', 'données/模型.bin': '3' });
    t.after(m.cleanup);
    mkdirSync(join(m.dir, 'empty-dir'));
    const signed = await sign(m.dir);
    assert.deepEqual(
      signed.statement.predicate.resources.map((r) => r.name),
      ['a b.txt', 'données/模型.bin', 'x:y:0:10'],
    );
    const r = await verifyModel({ modelPath: m.dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(r.ok, true, JSON.stringify(r.problems));
  });
});
