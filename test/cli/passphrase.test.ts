/**
 * Passphrases for encrypted signing keys (issue 12): --passphrase-env VAR,
 * else ATTESTRY_PASSWORD (as cosign's COSIGN_PASSWORD), else a prompt on the
 * terminal with no echo; without a terminal, E_PASSPHRASE_REQUIRED naming
 * both ways. The prompt is driven through a real pseudo-terminal (util-linux
 * `script`), so "no echo" is what a terminal would show.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToPem, publicKeyToPem } from '../../src/crypto/keys.js';
import { CLI_PATH, cliHome, expectExit, runCli } from '../helpers/cli.js';
import { makeModel, makeTempDir, removeDir, type TempModel } from '../helpers/model.js';
import { toolSkip } from '../helpers/tools.js';

const PASS = 'correct-horse-battery-staple';
let tmp: string;
let privatePem: string;
let publicPem: string;

before(() => {
  tmp = makeTempDir();
  const pair = generateKeyPair('ed25519');
  privatePem = join(tmp, 'private.pem');
  publicPem = join(tmp, 'public.pem');
  writeFileSync(privatePem, privateKeyToPem(pair.privateKey, PASS), { mode: 0o600 });
  writeFileSync(publicPem, publicKeyToPem(pair.publicKey));
});
after(() => removeDir(tmp));

const signArgs = (m: TempModel, ...extra: string[]) => [
  'model',
  'sign',
  '--model-dir',
  m.dir,
  '--key',
  privatePem,
  '--signer-id',
  'ci@example.com',
  '--threads',
  '1',
  ...extra,
];

function assertNoSecret(text: string): void {
  assert.ok(!text.includes(PASS), `the passphrase appears in the output:\n${text}`);
}

describe('passphrases', { concurrency: true }, () => {
  test('ATTESTRY_PASSWORD unlocks an encrypted key when no --passphrase-env is named', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const r = expectExit(await runCli(signArgs(m), { env: { ATTESTRY_PASSWORD: PASS } }), 0);
    assertNoSecret(r.stdout + r.stderr);
    expectExit(await runCli(['model', 'verify', '--model-dir', m.dir, '--key', publicPem, '--threads', '1']), 0);
  });

  test('keygen encrypts with ATTESTRY_PASSWORD when set (as cosign), and sign reads it back', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const k = expectExit(await runCli(['model', 'keygen', '--output', join(dir, 'k'), '--json'], { env: { ATTESTRY_PASSWORD: PASS } }), 0);
    assert.equal(JSON.parse(k.stdout).encrypted, true);
    assert.match(readFileSync(join(dir, 'k', 'private.pem'), 'utf8'), /ENCRYPTED PRIVATE KEY/);
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const args = ['model', 'sign', '--model-dir', m.dir, '--key', join(dir, 'k', 'private.pem'), '--signer-id', 'x', '--threads', '1'];
    expectExit(await runCli(args), 1);
    expectExit(await runCli(args, { env: { ATTESTRY_PASSWORD: PASS } }), 0);
  });

  test('a wrong ATTESTRY_PASSWORD → E_BAD_PASSPHRASE, the value not echoed', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const r = expectExit(await runCli(signArgs(m), { env: { ATTESTRY_PASSWORD: 'wrong-guess-1234' } }), 1);
    assert.match(r.stderr, /E_BAD_PASSPHRASE/);
    assert.ok(!r.stderr.includes('wrong-guess-1234'), r.stderr);
  });

  test('--passphrase-env wins over ATTESTRY_PASSWORD; an empty named variable is called empty, not unset', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    expectExit(await runCli(signArgs(m, '--passphrase-env', 'MY_PASS'), { env: { MY_PASS: PASS, ATTESTRY_PASSWORD: 'not-this-one' } }), 0);
    const empty = expectExit(await runCli(signArgs(m, '--force', '--passphrase-env', 'MY_PASS'), { env: { MY_PASS: '' } }), 1);
    assert.match(empty.stderr, /MY_PASS.*is empty/);
  });

  test('no terminal and no passphrase → exit 1, E_PASSPHRASE_REQUIRED naming ATTESTRY_PASSWORD and --passphrase-env', async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const r = expectExit(await runCli(signArgs(m)), 1);
    assert.match(r.stderr, /E_PASSPHRASE_REQUIRED/);
    assert.match(r.stderr, /ATTESTRY_PASSWORD/);
    assert.match(r.stderr, /--passphrase-env/);
    assert.equal(existsSync(join(m.dir, 'model.sig')), false);
  });

  test('on a terminal, sign prompts for the passphrase and does not echo it', { skip: toolSkip('script', 'util-linux') }, async (t) => {
    const m = makeModel({ 'w.bin': 'w' });
    t.after(m.cleanup);
    const r = await onTerminal([process.execPath, CLI_PATH, ...signArgs(m)], PASS);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /Enter passphrase for .*private\.pem: /);
    assertNoSecret(r.output);
    assert.match(r.output, /Signed manifest written to/);
    expectExit(await runCli(['model', 'verify', '--model-dir', m.dir, '--key', publicPem, '--threads', '1']), 0);
    // A wrong answer is refused like a wrong variable.
    const bad = await onTerminal([process.execPath, CLI_PATH, ...signArgs(m, '--force')], 'nope-nope');
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /E_BAD_PASSPHRASE/);
    assert.ok(!bad.output.includes('nope-nope'), bad.output);
  });
});

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs argv on a pseudo-terminal through `script`, types `answer` once the
 * prompt has appeared (typing earlier would be echoed by the terminal driver
 * before the program switches echo off), and returns all the terminal showed.
 */
function onTerminal(argv: string[], answer: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const home = cliHome();
    const child = spawn('script', ['-qec', argv.map(shellQuote).join(' '), '/dev/null'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, ATTESTRY_HOME: join(home, '.attestry'), TERM: 'dumb' },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let output = '';
    let typed = false;
    const onData = (c: Buffer) => {
      output += c.toString('utf8');
      if (!typed && output.includes('Enter passphrase')) {
        typed = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}
