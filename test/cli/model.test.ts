/** `attestry model keygen|sign|verify|inspect|digest` end to end, through the compiled CLI. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  keyAlgorithmOf,
  keyFingerprint,
  loadPrivateKey,
  loadPrivateKeyHandle,
  loadPublicKey,
  loadPublicKeyHandle,
} from '../../src/crypto/keys.js';
import { signBytes, verifyBytes } from '../../src/crypto/signer.js';
import { signModel } from '../../src/models/index.js';
import { expectExit, getArray, getRecord, getString, jsonOut, runCli, show, writeKeyFiles, type KeyFiles } from '../helpers/cli.js';
import {
  fileSha256,
  flipByte,
  makeModel,
  makeTempDir,
  readBundle,
  readStatement,
  removeDir,
  rewritePayload,
  SAMPLE_FILES,
  type TempModel,
} from '../helpers/model.js';

let tmp: string;
let keys: KeyFiles;
let otherKeys: KeyFiles;

before(() => {
  tmp = makeTempDir();
  keys = writeKeyFiles(join(tmp, 'keys'));
  otherKeys = writeKeyFiles(join(tmp, 'other-keys'), 'ecdsa-p256');
});
after(() => removeDir(tmp));

/**
 * A fresh model with model.sig made by `keys`. Signed in-process (signing
 * through the CLI is covered by its own tests) to save a process per test.
 */
async function signedModel(modelName?: string): Promise<TempModel> {
  const m = makeModel(SAMPLE_FILES);
  await signModel({
    modelPath: m.dir,
    privateKey: loadPrivateKey(readFileSync(keys.privatePem, 'utf8'), keys.privatePem),
    signerId: 'ci@example.com',
    threads: 1,
    ...(modelName !== undefined ? { metadata: { modelName } } : {}),
  });
  return m;
}

const verifyArgs = (m: TempModel, ...extra: string[]) => [
  'model',
  'verify',
  '--model-dir',
  m.dir,
  '--key',
  keys.publicPem,
  '--threads',
  '1',
  ...extra,
];

describe('help and usage', { concurrency: true }, () => {
  test('--help exits 0 and lists the commands', async () => {
    const r = expectExit(await runCli(['--help']), 0);
    assert.match(r.stdout, /model/);
    assert.match(r.stdout, /publisher/);
    assert.match(r.stdout, /Exit codes/);
  });

  test('model --help exits 0 and lists the subcommands', async () => {
    const a = expectExit(await runCli(['model', '--help']), 0);
    for (const c of ['keygen', 'sign', 'verify', 'inspect', 'digest']) assert.match(a.stdout, new RegExp(c));
  });

  test('an unknown command or option exits 1', async () => {
    const a = await runCli(['model', 'frobnicate']);
    assert.equal(a.code, 1, show(a));
    const b = await runCli(['model', 'sign', '--no-such-flag']);
    assert.equal(b.code, 1, show(b));
    assert.match(b.stderr, /unknown option|required option/);
  });
});

describe('model keygen', { concurrency: true }, () => {
  test('writes private.pem (mode 0600) and public.pem; refuses to overwrite without --force', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const out = join(dir, 'k');
    const r = expectExit(await runCli(['model', 'keygen', '--output', out, '--json']), 0);
    const j = jsonOut(r);
    assert.equal(j['ok'], true);
    assert.equal(j['algorithm'], 'ed25519');
    assert.equal(j['encrypted'], false);
    assert.match(getString(j, 'fingerprint'), /^sha256:[0-9a-f]{64}$/);
    const priv = join(out, 'private.pem');
    const pub = join(out, 'public.pem');
    assert.equal(getString(j, 'privateKey'), priv);
    assert.equal(statSync(priv).mode & 0o777, 0o600);
    assert.match(readFileSync(priv, 'utf8'), /-----BEGIN PRIVATE KEY-----/);
    assert.match(readFileSync(pub, 'utf8'), /-----BEGIN PUBLIC KEY-----/);
    assert.equal(statSync(pub).mode & 0o077 & 0o022, 0, 'public key is not group/world writable');

    const before = readFileSync(priv, 'utf8');
    const again = await runCli(['model', 'keygen', '--output', out]);
    assert.equal(again.code, 1, show(again));
    assert.match(again.stderr, /--force/);
    assert.equal(readFileSync(priv, 'utf8'), before, 'the existing key is left alone');
    expectExit(await runCli(['model', 'keygen', '--output', out, '--force', '--algorithm', 'ecdsa-p384']), 0);
    assert.notEqual(readFileSync(priv, 'utf8'), before);
  });

  test('--algorithm sm2 writes an SM2 key pair that signs and verifies', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const out = join(dir, 'k');
    const j = jsonOut(expectExit(await runCli(['model', 'keygen', '--output', out, '--algorithm', 'sm2', '--json']), 0));
    assert.equal(j['algorithm'], 'sm2');
    const priv = loadPrivateKey(readFileSync(join(out, 'private.pem'), 'utf8'), 'private.pem');
    const pub = loadPublicKey(readFileSync(join(out, 'public.pem'), 'utf8'), 'public.pem');
    assert.equal(keyAlgorithmOf(pub), 'sm2');
    assert.equal(keyFingerprint(pub), getString(j, 'fingerprint'));
    assert.equal(verifyBytes(pub, Buffer.from('m'), signBytes(priv, Buffer.from('m'))), true);
  });

  test('--algorithm gost3410 writes a GOST R 34.10-2012 pair that signs and verifies; no passphrase', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const out = join(dir, 'k');
    const j = jsonOut(expectExit(await runCli(['model', 'keygen', '--output', out, '--algorithm', 'gost3410', '--json']), 0));
    assert.equal(j['algorithm'], 'gost3410');
    assert.equal(statSync(join(out, 'private.pem')).mode & 0o777, 0o600);
    const priv = loadPrivateKeyHandle(readFileSync(join(out, 'private.pem'), 'utf8'), 'private.pem');
    const pub = loadPublicKeyHandle(readFileSync(join(out, 'public.pem'), 'utf8'), 'public.pem');
    assert.equal(keyAlgorithmOf(priv), 'gost3410');
    assert.equal(keyAlgorithmOf(pub), 'gost3410');
    assert.equal(keyFingerprint(pub), getString(j, 'fingerprint'));
    assert.equal(verifyBytes(pub, Buffer.from('m'), signBytes(priv, Buffer.from('m'))), true);
    const enc = await runCli(['model', 'keygen', '--output', join(dir, 'e'), '--algorithm', 'gost3410', '--passphrase-env', 'KEY_PASS'], {
      env: { KEY_PASS: 'correct horse' },
    });
    assert.equal(enc.code, 1, show(enc));
    assert.match(enc.stderr, /passphrase/);
  });

  test('an unknown algorithm exits 1', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const r = await runCli(['model', 'keygen', '--output', join(dir, 'k'), '--algorithm', 'rsa-1024']);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /algorithm/);
  });

  test('--passphrase-env: signing needs the right passphrase', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const out = join(dir, 'k');
    const k = expectExit(
      await runCli(['model', 'keygen', '--output', out, '--passphrase-env', 'KEY_PASS', '--json'], { env: { KEY_PASS: 'correct horse' } }),
      0,
    );
    assert.equal(jsonOut(k)['encrypted'], true);
    assert.match(readFileSync(join(out, 'private.pem'), 'utf8'), /ENCRYPTED PRIVATE KEY/);
    assert.equal(statSync(join(out, 'private.pem')).mode & 0o777, 0o600);

    const m = makeModel({ 'w.bin': 'weights' });
    t.after(m.cleanup);
    const sign = (env: Record<string, string>, ...extra: string[]) =>
      runCli(['model', 'sign', '--model-dir', m.dir, '--key', join(out, 'private.pem'), '--signer-id', 'x', '--threads', '1', ...extra], {
        env,
      });

    const wrong = await sign({ KEY_PASS: 'wrong' }, '--passphrase-env', 'KEY_PASS');
    assert.equal(wrong.code, 1, show(wrong));
    assert.match(wrong.stderr, /passphrase/i);
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);

    const none = await sign({});
    assert.equal(none.code, 1, show(none));
    assert.match(none.stderr, /passphrase/i);

    const unset = await sign({}, '--passphrase-env', 'KEY_PASS');
    assert.equal(unset.code, 1, show(unset));
    assert.match(unset.stderr, /KEY_PASS/);

    expectExit(await sign({ KEY_PASS: 'correct horse' }, '--passphrase-env', 'KEY_PASS'), 0);
    assert.ok(existsSync(join(m.dir, 'model.sig')));
    const v = await runCli(['model', 'verify', '--model-dir', m.dir, '--key', join(out, 'public.pem'), '--json']);
    expectExit(v, 0);
    assert.equal(jsonOut(v)['ok'], true);
  });
});

describe('model sign and verify', { concurrency: 3 }, () => {
  test('sign then verify → exit 0, --json ok:true with metadata', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const s = await runCli([
      'model',
      'sign',
      '--model-dir',
      m.dir,
      '--key',
      keys.privatePem,
      '--signer-id',
      'ci@example.com',
      '--model-name',
      'tiny',
      '--model-version',
      '2.0',
      '--framework',
      'pytorch',
      '--author',
      'me',
      '--description',
      'd',
      '--json',
    ]);
    expectExit(s, 0);
    const sj = jsonOut(s);
    assert.equal(sj['ok'], true);
    assert.equal(getString(sj, 'signaturePath'), join(m.dir, 'model.sig'));
    assert.equal(sj['files'], Object.keys(SAMPLE_FILES).length);
    assert.equal(sj['signerId'], 'ci@example.com');
    assert.match(getString(sj, 'rootDigest'), /^sha256:[0-9a-f]{64}$/);

    const v = await runCli(verifyArgs(m, '--json'));
    expectExit(v, 0);
    const vj = jsonOut(v);
    assert.equal(vj['ok'], true);
    assert.deepEqual(vj['problems'], []);
    assert.equal(getRecord(vj, 'model')['rootDigest'], sj['rootDigest']);
    const meta = getRecord(vj, 'metadata');
    assert.equal(meta['signerId'], 'ci@example.com');
    assert.equal(meta['modelName'], 'tiny');
    assert.equal(meta['modelVersion'], '2.0');
    assert.equal(meta['framework'], 'pytorch');
    assert.equal(getRecord(vj, 'signature')['algorithm'], 'ed25519');

    const human = expectExit(await runCli(verifyArgs(m)), 0);
    assert.match(human.stdout, /Signature: VALID/);
    assert.match(human.stdout, /All files verified successfully/);
    const st = readStatement(join(m.dir, 'model.sig'));
    assert.equal(st.subject[0]!.annotations?.['author'], 'me');
  });

  test('ecdsa-p256 keys and a signature written with --output / read with --signature', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const sig = join(m.base, 'release.sig');
    expectExit(
      await runCli([
        'model',
        'sign',
        '--model-dir',
        m.dir,
        '--key',
        otherKeys.privatePem,
        '--signer-id',
        'x',
        '--output',
        sig,
        '--threads',
        '1',
      ]),
      0,
    );
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);
    const v = await runCli(['model', 'verify', '--model-dir', m.dir, '--key', otherKeys.publicPem, '--signature', sig, '--json']);
    expectExit(v, 0);
    assert.equal(getRecord(jsonOut(v), 'signature')['algorithm'], 'ecdsa-p256');
  });

  test('a modified file → exit 2, named in the output (json and text)', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    flipByte(join(m.dir, 'weights', 'model-00001.safetensors'), 2048);
    const j = await runCli(verifyArgs(m, '--json'));
    expectExit(j, 2);
    const vj = jsonOut(j);
    assert.equal(vj['ok'], false);
    assert.deepEqual(
      getArray(vj, 'problems').map((p) => [(p as Record<string, unknown>)['name'], (p as Record<string, unknown>)['kind']]),
      [['weights/model-00001.safetensors', 'modified']],
    );
    const h = await runCli(verifyArgs(m));
    expectExit(h, 2);
    assert.match(h.stdout, /\[MODIFIED\] weights\/model-00001\.safetensors/);
    assert.match(h.stdout, /FAILED/);
  });

  test('a deleted file → exit 2, reported missing', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    rmSync(join(m.dir, 'tokenizer', 'vocab.txt'));
    const r = await runCli(verifyArgs(m));
    expectExit(r, 2);
    assert.match(r.stdout, /\[MISSING\] tokenizer\/vocab\.txt/);
  });

  test('an added file → exit 2 (unsigned); --ignore-unsigned-files → exit 0', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    writeFileSync(join(m.dir, 'backdoor.py'), 'import os');
    const r = await runCli(verifyArgs(m));
    expectExit(r, 2);
    assert.match(r.stdout, /\[UNSIGNED\] backdoor\.py/);
    const ok = await runCli(verifyArgs(m, '--ignore-unsigned-files', '--json'));
    expectExit(ok, 0);
    assert.equal(jsonOut(ok)['ok'], true);
  });

  test('a renamed file → exit 2, both names reported', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    renameSync(join(m.dir, 'config.json'), join(m.dir, 'config.old.json'));
    const r = await runCli(verifyArgs(m, '--json'));
    expectExit(r, 2);
    const problems = getArray(jsonOut(r), 'problems').map(
      (p) => `${String((p as Record<string, unknown>)['kind'])}:${String((p as Record<string, unknown>)['name'])}`,
    );
    assert.deepEqual(problems, ['missing:config.json', 'unsigned:config.old.json']);
  });

  test('a tampered payload → exit 2 with E_SIGNATURE_INVALID', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    writeFileSync(join(m.dir, 'README.md'), '# evil\n');
    const sigPath = join(m.dir, 'model.sig');
    rewritePayload(sigPath, (st) => {
      const r = st.predicate.resources.find((x) => x.name === 'README.md')!;
      r.digest = fileSha256(join(m.dir, 'README.md'));
    });
    const j = await runCli(verifyArgs(m, '--json'));
    expectExit(j, 2);
    assert.equal(jsonOut(j)['code'], 'E_SIGNATURE_INVALID');
  });

  test('a flipped signature byte → exit 2', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    const sigPath = join(m.dir, 'model.sig');
    const bundle = readBundle(sigPath);
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[0] = sig[0]! ^ 0x80;
    bundle.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    writeFileSync(sigPath, JSON.stringify(bundle));
    const r = await runCli(verifyArgs(m, '--json'));
    expectExit(r, 2);
    assert.equal(jsonOut(r)['code'], 'E_SIGNATURE_INVALID');
  });

  test('verifying with another key → exit 2 (E_SIGNATURE_INVALID: the key given decides, not the hint)', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    const r = await runCli(['model', 'verify', '--model-dir', m.dir, '--key', otherKeys.publicPem, '--json']);
    expectExit(r, 2);
    assert.equal(jsonOut(r)['code'], 'E_SIGNATURE_INVALID');
  });

  test('a garbage signature file → exit 1 (load error, not a verification verdict)', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    writeFileSync(join(m.dir, 'model.sig'), 'not json at all');
    const r = await runCli(verifyArgs(m));
    expectExit(r, 1);
    assert.match(r.stderr, /E_SIGNATURE_FORMAT/);
  });

  test('missing key files → exit 1', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const s = await runCli(['model', 'sign', '--model-dir', m.dir, '--key', join(tmp, 'nope.pem'), '--signer-id', 'x']);
    expectExit(s, 1);
    assert.match(s.stderr, /nope\.pem/);
    assert.match(s.stderr, /E_NOT_FOUND/);
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);
    const v = await runCli(['model', 'verify', '--model-dir', m.dir, '--key', join(tmp, 'nope.pub'), '--signature', join(tmp, 'nope.sig')]);
    expectExit(v, 1);
    assert.match(v.stderr, /nope\.pub/);
  });

  test('a public key given where a private key is needed → exit 1', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const a = await runCli(['model', 'sign', '--model-dir', m.dir, '--key', keys.publicPem, '--signer-id', 'x']);
    expectExit(a, 1);
    assert.match(a.stderr, /E_KEY_FORMAT/);
  });

  test('verify with neither --key nor --registry (and no default key) → exit 1; with both → exit 1', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    const home = makeTempDir();
    t.after(() => removeDir(home));
    const neither = await runCli(['model', 'verify', '--model-dir', m.dir], { env: { ATTESTRY_HOME: home } });
    expectExit(neither, 1);
    assert.match(neither.stderr, /--key/);
    assert.match(neither.stderr, /--registry/);
    const both = await runCli(['model', 'verify', '--model-dir', m.dir, '--key', keys.publicPem, '--registry', join(tmp, 'r.json')]);
    expectExit(both, 1);
  });

  test('sign without --signer-id, or without --model-dir / --from-digests → exit 1', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const a = await runCli(['model', 'sign', '--model-dir', m.dir, '--key', keys.privatePem]);
    expectExit(a, 1);
    assert.match(a.stderr, /signer-id/);
    const b = await runCli(['model', 'sign', '--key', keys.privatePem, '--signer-id', 'x']);
    expectExit(b, 1);
    assert.match(b.stderr, /--model-dir/);
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);
  });

  test('without --key, sign creates and uses a default key in $ATTESTRY_HOME/keys; verify uses its public half', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const home = makeTempDir();
    t.after(() => removeDir(home));
    const env = { ATTESTRY_HOME: home };
    const s = await runCli(['model', 'sign', '--model-dir', m.dir, '--signer-id', 'x', '--threads', '1'], { env });
    expectExit(s, 0);
    const priv = join(home, 'keys', 'private.pem');
    assert.ok(existsSync(priv), `no default key created: ${show(s)}`);
    assert.equal(statSync(priv).mode & 0o777, 0o600);
    expectExit(await runCli(['model', 'verify', '--model-dir', m.dir], { env }), 0);
    // A second sign reuses the same key rather than making a new one.
    const before = readFileSync(priv, 'utf8');
    expectExit(await runCli(['model', 'sign', '--model-dir', m.dir, '--signer-id', 'x', '--threads', '1', '--force'], { env }), 0);
    assert.equal(readFileSync(priv, 'utf8'), before);
  });

  test('a symlink → exit 1 unless --allow-symlinks; an ignore path outside the model → exit 1', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    symlinkSync('w.bin', join(m.dir, 'link.bin'));
    const base = ['model', 'sign', '--model-dir', m.dir, '--key', keys.privatePem, '--signer-id', 'x', '--threads', '1'];
    const refused = await runCli(base);
    expectExit(refused, 1);
    assert.match(refused.stderr, /E_SYMLINK/);
    assert.match(refused.stderr, /link\.bin/);
    expectExit(await runCli([...base, '--allow-symlinks']), 0);
    const escape = await runCli([...base, '--allow-symlinks', '--ignore-paths', '../elsewhere', '--force']);
    expectExit(escape, 1);
    assert.match(escape.stderr, /E_PATH_ESCAPE/);
  });

  test('an empty model directory → exit 1 (E_EMPTY_MODEL)', async (t) => {
    const m = makeModel({});
    t.after(m.cleanup);
    const r = await runCli(['model', 'sign', '--model-dir', m.dir, '--key', keys.privatePem, '--signer-id', 'x', '--json']);
    expectExit(r, 1);
    assert.equal(jsonOut(r)['code'], 'E_EMPTY_MODEL');
  });

  test('--ignore-paths on sign is recorded and honoured on verify', async (t) => {
    const m = makeModel({ ...SAMPLE_FILES, 'logs/train.log': 'step 1' });
    t.after(m.cleanup);
    expectExit(
      await runCli([
        'model',
        'sign',
        '--model-dir',
        m.dir,
        '--key',
        keys.privatePem,
        '--signer-id',
        'x',
        '--threads',
        '1',
        '--ignore-paths',
        'logs',
      ]),
      0,
    );
    writeFileSync(join(m.dir, 'logs', 'train.log'), 'step 2');
    writeFileSync(join(m.dir, 'logs', 'eval.log'), 'eval');
    expectExit(await runCli(verifyArgs(m)), 0);
  });

  test('--reuse-digests re-hashes only the changed file', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    const old = join(m.base, 'old.sig');
    writeFileSync(old, readFileSync(join(m.dir, 'model.sig')));
    // Sizes and mtimes travel in the sidecar next to the signature (not in the signed statement).
    writeFileSync(`${old}.reuse.json`, readFileSync(join(m.dir, 'model.sig.reuse.json')));
    writeFileSync(join(m.dir, 'README.md'), '# model v2, longer\n');
    const r = await runCli([
      'model',
      'sign',
      '--model-dir',
      m.dir,
      '--key',
      keys.privatePem,
      '--signer-id',
      'x',
      '--threads',
      '1',
      '--reuse-digests',
      old,
      '--force',
      '--json',
    ]);
    expectExit(r, 0);
    const j = jsonOut(r);
    assert.equal(j['filesReused'], Object.keys(SAMPLE_FILES).length - 1);
    assert.equal(j['bytesHashed'], Buffer.byteLength('# model v2, longer\n'));
    expectExit(await runCli(verifyArgs(m)), 0);
    const foreign = await runCli([
      'model',
      'sign',
      '--model-dir',
      m.dir,
      '--key',
      otherKeys.privatePem,
      '--signer-id',
      'x',
      '--reuse-digests',
      old,
      '--force',
    ]);
    expectExit(foreign, 2);
    assert.match(foreign.stderr, /E_SIGNATURE_INVALID/);
  });

  test('--shards signs in shards and verifies', async (t) => {
    const m = makeModel({ 'big.bin': Buffer.alloc(5000, 1), 'small.txt': 'x' });
    t.after(m.cleanup);
    expectExit(
      await runCli([
        'model',
        'sign',
        '--model-dir',
        m.dir,
        '--key',
        keys.privatePem,
        '--signer-id',
        'x',
        '--shards',
        '--shard-size',
        '2048',
        '--threads',
        '1',
      ]),
      0,
    );
    const st = readStatement(join(m.dir, 'model.sig'));
    assert.deepEqual(
      st.predicate.resources.map((r) => r.name),
      ['big.bin:0:2048', 'big.bin:2048:4096', 'big.bin:4096:5000', 'small.txt:0:1'],
    );
    expectExit(await runCli(verifyArgs(m)), 0);
    flipByte(join(m.dir, 'big.bin'), 3000);
    const bad = await runCli(verifyArgs(m));
    expectExit(bad, 2);
    assert.match(bad.stdout, /big\.bin:2048:4096/);
  });

  test('a single model file: sign writes <file>.sig; verify checks it', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const file = join(dir, 'model.gguf');
    writeFileSync(file, Buffer.alloc(1000, 5));
    expectExit(await runCli(['model', 'sign', '--model-dir', file, '--key', keys.privatePem, '--signer-id', 'x', '--threads', '1']), 0);
    assert.ok(existsSync(`${file}.sig`));
    flipByte(file);
    const bad = await runCli(['model', 'verify', '--model-dir', file, '--key', keys.publicPem]);
    expectExit(bad, 2);
    assert.match(bad.stdout, /\[MODIFIED\] model\.gguf/);
  });

  test('sign --from-digests signs a sha256sum list; the files then verify', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const list = join(m.base, 'digests.txt');
    writeFileSync(
      list,
      Object.keys(SAMPLE_FILES)
        .map((n) => `${fileSha256(join(m.dir, ...n.split('/')))}  ${n}`)
        .join('\n'),
    );
    const out = join(m.base, 'list.sig');
    const r = await runCli([
      'model',
      'sign',
      '--from-digests',
      list,
      '--key',
      keys.privatePem,
      '--signer-id',
      'x',
      '--output',
      out,
      '--json',
    ]);
    expectExit(r, 0);
    assert.equal(jsonOut(r)['resources'], Object.keys(SAMPLE_FILES).length);
    expectExit(await runCli(['model', 'verify', '--model-dir', m.dir, '--key', keys.publicPem, '--signature', out]), 0);
    writeFileSync(list, 'garbage line\n');
    const bad = await runCli([
      'model',
      'sign',
      '--from-digests',
      list,
      '--key',
      keys.privatePem,
      '--signer-id',
      'x',
      '--output',
      out,
      '--force',
    ]);
    expectExit(bad, 1);
    assert.match(bad.stderr, /line 1/);
  });
});

describe('model inspect and digest', { concurrency: true }, () => {
  let m: TempModel;
  before(async () => {
    m = await signedModel('inspected');
  });
  after(() => m.cleanup());

  test('inspect --json shows the resources, serialization and key hint without a key', async () => {
    const r = await runCli(['model', 'inspect', '--signature', join(m.dir, 'model.sig'), '--json']);
    expectExit(r, 0);
    const j = jsonOut(r);
    assert.equal(j['mediaType'], 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(j['predicateType'], 'https://model_signing/signature/v1.0');
    assert.equal(j['subjectName'], 'my-model');
    assert.equal(j['consistent'], true);
    assert.equal(j['method'], 'key');
    assert.match(getString(j, 'keyHint'), /^[0-9a-f]{64}$/);
    const resources = getArray(j, 'resources');
    assert.deepEqual(
      resources.map((x) => (x as Record<string, unknown>)['name']),
      readStatement(join(m.dir, 'model.sig')).predicate.resources.map((x) => x.name),
    );
    assert.equal(resources.length, Object.keys(SAMPLE_FILES).length);
    assert.equal(getRecord(j, 'metadata')['modelName'], 'inspected');
    assert.equal(getRecord(j, 'serialization')['method'], 'files');
    const alias = expectExit(await runCli(['model', 'inspect', '--signature', join(m.dir, 'model.sig'), '--json-output']), 0);
    assert.deepEqual(jsonOut(alias)['resources'], j['resources']);
  });

  test('inspect (text) lists files; a missing signature → exit 1', async () => {
    const r = expectExit(await runCli(['model', 'inspect', '--signature', join(m.dir, 'model.sig')]), 0);
    assert.match(r.stdout, /not verified/);
    assert.match(r.stdout, /tokenizer\/vocab\.txt/);
    const missing = await runCli(['model', 'inspect', '--signature', join(m.dir, 'nope.sig')]);
    expectExit(missing, 1);
  });

  test('digest DIR prints the same root digest as the signature subject', async () => {
    const subject = `sha256:${readStatement(join(m.dir, 'model.sig')).subject[0]!.digest['sha256']!}`;
    const text = expectExit(await runCli(['model', 'digest', m.dir, '--threads', '1']), 0);
    assert.equal(text.stdout.trim(), subject);
    const json = expectExit(await runCli(['model', 'digest', m.dir, '--json']), 0);
    const j = jsonOut(json);
    assert.equal(j['rootDigest'], subject);
    assert.equal(j['modelName'], 'my-model');
    assert.equal(j['resources'], Object.keys(SAMPLE_FILES).length);
  });

  test('digest of a missing directory → exit 1', async () => {
    const r = await runCli(['model', 'digest', join(m.base, 'nope')]);
    expectExit(r, 1);
  });
});
