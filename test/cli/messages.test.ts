/**
 * CLI messages of issue 12: `sign` does not overwrite a signature without
 * --force; failed verifications say FAILED first; E_KEY_MISMATCH names both
 * key hints; a missing --model-dir is reported as such; a public key given to
 * sign is named as one; server hints come back in CLI words (--tenant).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrivateKey, omsKeyHint, loadPublicKey } from '../../src/crypto/keys.js';
import { signModel } from '../../src/models/index.js';
import { expectExit, runCli, show, writeKeyFiles, type KeyFiles } from '../helpers/cli.js';
import { makeModel, makeTempDir, removeDir, SAMPLE_FILES, type TempModel } from '../helpers/model.js';
import { signedStatement, startTestServer } from '../helpers/server.js';

let tmp: string;
let keys: KeyFiles;
let otherKeys: KeyFiles;

before(() => {
  tmp = makeTempDir();
  keys = writeKeyFiles(join(tmp, 'keys'));
  otherKeys = writeKeyFiles(join(tmp, 'other'));
});
after(() => removeDir(tmp));

async function signedModel(): Promise<TempModel> {
  const m = makeModel(SAMPLE_FILES);
  await signModel({
    modelPath: m.dir,
    privateKey: loadPrivateKey(readFileSync(keys.privatePem, 'utf8'), keys.privatePem),
    signerId: 'ci@example.com',
    threads: 1,
  });
  return m;
}

const hintOf = (pem: string): string => omsKeyHint(loadPublicKey(readFileSync(pem, 'utf8'), pem));

describe('sign keeps an existing signature unless --force', { concurrency: true }, () => {
  test('a second sign → exit 1 E_CONFLICT, the signature untouched; --force replaces it', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    const sig = join(m.dir, 'model.sig');
    const before = readFileSync(sig, 'utf8');
    const r = expectExit(
      await runCli(['model', 'sign', '--model-dir', m.dir, '--key', keys.privatePem, '--signer-id', 'other', '--threads', '1']),
      1,
    );
    assert.match(r.stderr, /model\.sig already exists; use --force/);
    assert.match(r.stderr, /E_CONFLICT/);
    assert.equal(readFileSync(sig, 'utf8'), before);
    // --output naming an existing file, and --from-digests, are held to the same rule.
    const out = join(m.base, 'taken.sig');
    writeFileSync(out, 'keep me');
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
        '--output',
        out,
        '--threads',
        '1',
      ]),
      1,
    );
    const list = join(m.base, 'list.txt');
    writeFileSync(list, `${'0'.repeat(64)}  a.bin\n`);
    expectExit(await runCli(['model', 'sign', '--from-digests', list, '--key', keys.privatePem, '--signer-id', 'x', '--output', out]), 1);
    assert.equal(readFileSync(out, 'utf8'), 'keep me');
    expectExit(
      await runCli(['model', 'sign', '--model-dir', m.dir, '--key', keys.privatePem, '--signer-id', 'other', '--threads', '1', '--force']),
      0,
    );
    assert.notEqual(readFileSync(sig, 'utf8'), before);
  });
});

describe('failed verifications say FAILED first', { concurrency: true }, () => {
  test('model verify with a tampered signature, and verify-bundle with the wrong key: stderr starts with "attestry: FAILED:"', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    const sig = join(m.dir, 'model.sig');
    const wrongKey = expectExit(await runCli(['model', 'verify', '--model-dir', m.dir, '--key', otherKeys.publicPem, '--threads', '1']), 2);
    assert.match(wrongKey.stderr, /^attestry: FAILED: /);
    assert.doesNotMatch(wrongKey.stdout, /VALID/);
    const digest = (await runCli(['model', 'digest', m.dir, '--threads', '1'])).stdout.trim();
    const vb = expectExit(await runCli(['verify-bundle', '--bundle', sig, '--key', otherKeys.publicPem, '--digest', digest]), 2);
    assert.match(vb.stderr, /^attestry: FAILED: /, show(vb));
    assert.doesNotMatch(vb.stdout, /VERIFIED/);
  });
});

describe('messages that name the real problem', { concurrency: true }, () => {
  test('a wrong key (E_SIGNATURE_INVALID: hints are hints) names both key hints: the one the signature names and the one given', async (t) => {
    const m = await signedModel();
    t.after(m.cleanup);
    const r = expectExit(
      await runCli(['model', 'verify', '--model-dir', m.dir, '--key', otherKeys.publicPem, '--threads', '1', '--json']),
      2,
    );
    const err = JSON.parse(r.stdout) as { code: string; message: string };
    assert.equal(err.code, 'E_SIGNATURE_INVALID');
    assert.ok(err.message.includes(hintOf(keys.publicPem)), err.message);
    assert.ok(err.message.includes(hintOf(otherKeys.publicPem)), err.message);
  });

  test('a missing --model-dir is reported as the missing directory, not as a missing model.sig', async () => {
    const dir = join(tmp, 'no-such-model');
    const r = expectExit(await runCli(['model', 'verify', '--model-dir', dir, '--key', keys.publicPem]), 1);
    assert.match(r.stderr, /model directory .*no-such-model does not exist/);
    assert.doesNotMatch(r.stderr, /model\.sig/);
  });

  test('a public key given to sign: "is a public key; signing needs the private key", no OpenSSL decoder text', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const r = expectExit(await runCli(['model', 'sign', '--model-dir', m.dir, '--key', keys.publicPem, '--signer-id', 'x']), 1);
    assert.match(r.stderr, /public\.pem is a public key; signing needs the private key/);
    assert.match(r.stderr, /E_KEY_FORMAT/);
    assert.doesNotMatch(r.stderr, /DECODER|routines|unsupported/i);
  });

  test('the server\'s "?tenant=ID" hint reaches the CLI user as --tenant', async () => {
    const srv = await startTestServer();
    try {
      await srv.addTenant('t1');
      await srv.addTenant('t2');
      const signer = await srv.trustNewKey('t1', 'k1');
      const token = await srv.token('signals-service', ['t1', 't2']);
      const file = join(tmp, 'envelope.json');
      writeFileSync(file, JSON.stringify(signedStatement(signer, 'cd'.repeat(32))));
      const r = expectExit(await runCli(['evidence', 'put', file, '--server', srv.url], { env: { ATTESTRY_TOKEN: token } }), 1);
      assert.match(r.stderr, /several tenants: say which with --tenant ID/);
      assert.doesNotMatch(r.stderr, /\?tenant=/);
      expectExit(await runCli(['evidence', 'put', file, '--server', srv.url, '--tenant', 't1'], { env: { ATTESTRY_TOKEN: token } }), 0);
    } finally {
      await srv.stop();
    }
  });
});
