/**
 * Defect 7 of issue 12: file names and signer ids holding terminal escapes
 * (`\x1b]0;…` sets the window title, `\x1b[2K\r` wipes the line, `\n` starts
 * a new one) were printed raw by `model verify` and `inspect`, so a model
 * could forge lines such as "Signature: VALID". Human output escapes them;
 * JSON output keeps them exact.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectExit, getArray, getRecord, jsonOut, runCli, show, writeKeyFiles, type KeyFiles } from '../helpers/cli.js';
import { isRecord, makeModel, makeTempDir, removeDir, type TempModel } from '../helpers/model.js';

const TITLE = 'evil\x1b]0;pwned\x07.bin';
const WIPE = 'clr\x1b[2K\rSignature: VALID.bin';
const NEWLINE = 'line\nAll files verified successfully.bin';
const BIDI = 'bidi\u202etxt.exe';
const C1 = 'csi\u009b2J.bin';
const SIGNER = 'ci\x1b[2K\r  Signer   : trusted@example.com\nx';

/** Characters no line of human output may carry raw. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

let tmp: string;
let keys: KeyFiles;
let m: TempModel;

before(async () => {
  tmp = makeTempDir();
  keys = writeKeyFiles(join(tmp, 'keys'));
  m = makeModel({ [TITLE]: 'a', [WIPE]: 'b', [NEWLINE]: 'c', [BIDI]: 'd', [C1]: 'e', 'plain.bin': 'f' });
  const s = await runCli(['model', 'sign', '--model-dir', m.dir, '--key', keys.privatePem, '--signer-id', SIGNER, '--threads', '1']);
  expectExit(s, 0);
  assert.doesNotMatch(s.stdout, RAW, show(s));
});
after(() => {
  removeDir(tmp);
  m.cleanup();
});

const verifyArgs = (...extra: string[]) => ['model', 'verify', '--model-dir', m.dir, '--key', keys.publicPem, '--threads', '1', ...extra];

function assertNoRaw(text: string, what: string): void {
  const bad = RAW.exec(text);
  assert.equal(bad, null, `${what} carries a raw U+${bad?.[0].charCodeAt(0).toString(16).padStart(4, '0')}:\n${JSON.stringify(text)}`);
}

describe('hostile file names and signer ids', { concurrency: false }, () => {
  test('verify: human output escapes them, and no line is forged', async () => {
    const r = expectExit(await runCli(verifyArgs()), 0);
    assertNoRaw(r.stdout, 'verify stdout');
    assertNoRaw(r.stderr, 'verify stderr');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.filter((l) => l.startsWith('Signature: VALID')).length, 1, r.stdout);
    assert.equal(lines.filter((l) => l.startsWith('All files verified')).length, 1, r.stdout);
    assert.equal(lines.filter((l) => /^\s*Signer\s*:/.test(l)).length, 1, r.stdout);
    assert.ok(r.stdout.includes('Signer   : ci\\x1b[2K\\r  Signer   : trusted@example.com\\nx'), r.stdout);
  });

  test('verify of a modified file: FAILED first, the name escaped', async () => {
    writeFileSync(join(m.dir, ...WIPE.split('/')), 'changed');
    try {
      const r = expectExit(await runCli(verifyArgs()), 2);
      assertNoRaw(r.stdout, 'verify stdout');
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^FAILED: 1 file problem/, r.stdout);
      assert.ok(!lines.some((l) => l.startsWith('Signature: VALID')), r.stdout);
      assert.ok(r.stdout.includes('[MODIFIED] clr\\x1b[2K\\rSignature: VALID.bin: content differs'), r.stdout);
      // JSON keeps the exact name.
      const j = jsonOut(expectExit(await runCli(verifyArgs('--json')), 2));
      const problems = getArray(j, 'problems');
      assert.deepEqual(
        problems.map((p) => (isRecord(p) ? p['name'] : undefined)),
        [WIPE],
      );
    } finally {
      writeFileSync(join(m.dir, ...WIPE.split('/')), 'b');
    }
  });

  test('verify: an unsigned file with an escape in its name is escaped too', async () => {
    const added = 'new\x1b[1A\x1b[2KAll files verified successfully.';
    writeFileSync(join(m.dir, added), 'x');
    try {
      const r = expectExit(await runCli(verifyArgs()), 2);
      assertNoRaw(r.stdout, 'verify stdout');
      assert.ok(r.stdout.includes('[UNSIGNED] new\\x1b[1A\\x1b[2KAll files verified successfully.'), r.stdout);
    } finally {
      removeDir(join(m.dir, added));
    }
  });

  test('inspect: human output escapes every resource name and the signer id; --json is exact', async () => {
    const sig = join(m.dir, 'model.sig');
    const r = expectExit(await runCli(['model', 'inspect', '--signature', sig]), 0);
    assertNoRaw(r.stdout, 'inspect stdout');
    for (const escaped of [
      'evil\\x1b]0;pwned\\x07.bin',
      'clr\\x1b[2K\\rSignature: VALID.bin',
      'line\\nAll files verified successfully.bin',
      'bidi\\u202etxt.exe',
      'csi\\x9b2J.bin',
    ]) {
      assert.ok(r.stdout.includes(escaped), `inspect does not show ${escaped}:\n${r.stdout}`);
    }
    const jr = expectExit(await runCli(['model', 'inspect', '--signature', sig, '--json']), 0);
    assertNoRaw(jr.stdout, 'inspect --json stdout');
    const j = jsonOut(jr);
    const names = getArray(j, 'resources').map((x) => (isRecord(x) ? x['name'] : undefined));
    assert.deepEqual(new Set(names), new Set([TITLE, WIPE, NEWLINE, BIDI, C1, 'plain.bin']));
    assert.equal(getRecord(j, 'metadata')['signerId'], SIGNER);
  });

  test('a hostile signer id quoted in an untrusted-publisher error is escaped', async () => {
    const registry = join(tmp, 'registry.json');
    expectExit(await runCli(['publisher', 'add', '--registry', registry, '--id', 'someone-else', '--public-key', keys.publicPem]), 0);
    const r = expectExit(
      await runCli(
        verifyArgs()
          .filter((a) => a !== '--key' && a !== keys.publicPem)
          .concat(['--registry', registry]),
      ),
      2,
    );
    assertNoRaw(r.stderr, 'error message');
    assert.ok(r.stderr.includes('signer id "ci\\x1b[2K\\r  Signer   : trusted@example.com\\nx"'), r.stderr);
  });

  test('errors quoting a hostile name are escaped', async () => {
    const sigPath = join(tmp, 'bad\x1b]0;x\x07.sig');
    writeFileSync(sigPath, readFileSync(join(m.dir, 'model.sig'), 'utf8').slice(0, 40));
    const r = expectExit(await runCli(['model', 'inspect', '--signature', sigPath]), 1);
    assertNoRaw(r.stderr, 'error message');
    assert.match(r.stderr, /bad\\x1b\]0;x\\x07\.sig/);
  });
});
