/**
 * The CLI as one vocabulary: the same flag for the same thing in every
 * command (positional model path or --model-dir, --signature with sign's
 * --output alias, --issuer / --identity-provider, --role / --principal,
 * --json-output), and usage errors in the shared JSON failure shape when
 * --json is given.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectExit, getString, jsonOut, runCli, show, writeKeyFiles, type CliResult, type KeyFiles } from '../helpers/cli.js';
import { makeModel, makeTempDir, removeDir, SAMPLE_FILES } from '../helpers/model.js';

let tmp: string;
let keys: KeyFiles;

before(() => {
  tmp = makeTempDir('attestry-vocab-');
  keys = writeKeyFiles(join(tmp, 'keys'));
});
after(() => removeDir(tmp));

function usageError(r: CliResult, message: RegExp): void {
  expectExit(r, 1);
  const j = jsonOut(r);
  assert.deepEqual([j['ok'], j['code']], [false, 'E_USAGE'], show(r));
  assert.match(getString(j, 'message'), message);
}

describe('the model path: positional or --model-dir', { concurrency: true }, () => {
  test('sign, verify and digest take the model as an argument; --model-dir names the same', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const signed = jsonOut(
      expectExit(
        await runCli(['model', 'sign', m.dir, '--key', keys.privatePem, '--signer-id', 'ci@example.com', '--threads', '1', '--json']),
        0,
      ),
    );
    assert.equal(signed['signaturePath'], join(m.dir, 'model.sig'));
    const verified = jsonOut(expectExit(await runCli(['model', 'verify', m.dir, '--key', keys.publicPem, '--threads', '1', '--json']), 0));
    assert.equal(verified['ok'], true);
    // The same path given both ways is fine.
    expectExit(
      await runCli(['model', 'verify', m.dir, '--model-dir', `${m.dir}/`, '--key', keys.publicPem, '--threads', '1', '--json']),
      0,
    );
    const byArg = jsonOut(expectExit(await runCli(['model', 'digest', m.dir, '--json']), 0));
    const byFlag = jsonOut(expectExit(await runCli(['model', 'digest', '--model-dir', m.dir, '--json']), 0));
    assert.equal(byArg['rootDigest'], signed['rootDigest']);
    assert.equal(byFlag['rootDigest'], signed['rootDigest']);
  });

  test('two different model paths are refused, not guessed', async () => {
    const other = join(tmp, 'elsewhere');
    usageError(
      await runCli(['model', 'sign', join(tmp, 'a'), '--model-dir', other, '--key', keys.privatePem, '--signer-id', 'x', '--json']),
      /given twice and differs/,
    );
    usageError(await runCli(['model', 'verify', join(tmp, 'a'), '--model-dir', other, '--json']), /given twice and differs/);
    usageError(await runCli(['model', 'digest', join(tmp, 'a'), '--model-dir', other, '--json']), /given twice and differs/);
  });

  test('verify without a model names both ways to give it', async () => {
    usageError(await runCli(['model', 'verify', '--json']), /attestry model verify \.\/my-model.*--model-dir/);
  });
});

describe('--signature names the signature file in sign and verify', { concurrency: true }, () => {
  test('sign --signature writes there; --output is an alias; verify --signature reads it', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const sig = join(tmp, 'vocab-a.sig');
    expectExit(
      await runCli(['model', 'sign', m.dir, '--signature', sig, '--key', keys.privatePem, '--signer-id', 'x', '--threads', '1', '--json']),
      0,
    );
    assert.ok(existsSync(sig));
    assert.ok(!existsSync(join(m.dir, 'model.sig')));
    const viaOutput = join(tmp, 'vocab-b.sig');
    expectExit(
      await runCli([
        'model',
        'sign',
        m.dir,
        '--output',
        viaOutput,
        '--key',
        keys.privatePem,
        '--signer-id',
        'x',
        '--threads',
        '1',
        '--json',
      ]),
      0,
    );
    assert.ok(existsSync(viaOutput));
    expectExit(await runCli(['model', 'verify', m.dir, '--signature', sig, '--key', keys.publicPem, '--threads', '1', '--json']), 0);
  });

  test('--signature and --output that differ are refused', async () => {
    usageError(
      await runCli([
        'model',
        'sign',
        join(tmp, 'm'),
        '--signature',
        join(tmp, 'x.sig'),
        '--output',
        join(tmp, 'y.sig'),
        '--key',
        keys.privatePem,
        '--signer-id',
        'x',
        '--json',
      ]),
      /--signature .* and --output .* differ/,
    );
  });
});

describe('--issuer and --identity-provider are one flag', { concurrency: true }, () => {
  test('model verify: --issuer alone still needs --identity; two different issuers are refused', async () => {
    const m = join(tmp, 'm');
    usageError(
      await runCli(['model', 'verify', m, '--issuer', 'https://accounts.google.com', '--json']),
      /--identity and --identity-provider \(or --issuer\)/,
    );
    usageError(
      await runCli([
        'model',
        'verify',
        m,
        '--identity',
        'a@example.com',
        '--issuer',
        'https://a.example',
        '--identity-provider',
        'https://b.example',
        '--json',
      ]),
      /--issuer and --identity-provider .* differ/,
    );
  });

  test('verify-bundle: --identity-provider counts as --issuer; two different issuers are refused', async () => {
    const args = ['verify-bundle', '--bundle', join(tmp, 'b.json'), '--digest', `sha256:${'0'.repeat(64)}`, '--identity', 'a@example.com'];
    usageError(await runCli([...args, '--issuer', 'https://a.example', '--identity-provider', 'https://b.example', '--json']), /differ/);
    usageError(await runCli([...args, '--json']), /--issuer URL \(or --identity-provider\) is required/);
    // With the alias the policy is complete, so the next problem is the missing bundle file (a load error).
    const r = await runCli([...args, '--identity-provider', 'https://a.example', '--json']);
    expectExit(r, 1);
    assert.equal(jsonOut(r)['code'], 'E_NOT_FOUND', show(r));
  });
});

describe('token create: --role, or --principal as before', () => {
  test('both spellings work; different values or none are refused', async () => {
    const dataDir = join(tmp, 'data');
    expectExit(await runCli(['db', 'migrate', '--data-dir', dataDir]), 0);
    expectExit(await runCli(['tenant', 'add', 'acme', '--data-dir', dataDir]), 0);
    const a = jsonOut(
      expectExit(await runCli(['token', 'create', '--role', 'reviewer', '--tenant', 'acme', '--data-dir', dataDir, '--json']), 0),
    );
    assert.equal(a['principal'], 'reviewer');
    const b = jsonOut(
      expectExit(await runCli(['token', 'create', '--principal', 'reviewer', '--tenant', 'acme', '--data-dir', dataDir, '--json']), 0),
    );
    assert.equal(b['principal'], 'reviewer');
    usageError(
      await runCli(['token', 'create', '--role', 'reviewer', '--principal', 'admin', '--tenant', 'acme', '--data-dir', dataDir, '--json']),
      /differ/,
    );
    usageError(await runCli(['token', 'create', '--tenant', 'acme', '--data-dir', dataDir, '--json']), /give --role/);
  });
});

describe('usage errors with --json use the failure shape', { concurrency: true }, () => {
  test('an unknown option: JSON on stdout, nothing on stderr', async () => {
    const r = await runCli(['trust', 'show', '--no-such-flag', '--json']);
    usageError(r, /unknown option '--no-such-flag'/);
    assert.equal(r.stderr, '');
  });

  test('a missing argument and a missing required option', async () => {
    usageError(await runCli(['publisher', 'show', '--json']), /missing required argument 'id'/);
    usageError(await runCli(['log', 'witness-key', '--name', 'w', '--json']), /required option '--key <pem>' not specified/);
  });

  test('--json-output is an alias of --json there too', async () => {
    usageError(await runCli(['model', 'inspect', '--signature', 'x.sig', '--bogus', '--json-output']), /unknown option '--bogus'/);
  });

  test('without --json a usage error is one line of text on stderr and a hint, stdout stays empty', async () => {
    const r = expectExit(await runCli(['trust', 'show', '--no-such-flag']), 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: unknown option '--no-such-flag'\n\(run `attestry trust show --help` for usage\)\n$/);
  });
});
