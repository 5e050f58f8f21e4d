/**
 * Issue 12, server output: the human banner on stdout, JSON logs on stderr,
 * at most one log line per request at the default level, and every start
 * says where the admin token is without printing it again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CLI_PATH, cliHome } from '../helpers/cli.js';

interface Serving {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** `attestry serve` in human mode; resolves once the banner (ending with the admin-token line) is out. */
function serve(dataDir: string): Promise<Serving> {
  const home = cliHome();
  const child = spawn(process.execPath, [CLI_PATH, 'serve', '--data-dir', dataDir, '--port', '0'], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, ATTESTRY_HOME: join(home, '.attestry') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no banner within 20 s\nstdout: ${out}\nstderr: ${err}`));
    }, 20_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const url = /attestry listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined && /admin token .*\n/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url, stdout: () => out, stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code})\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

function stop(s: Serving): Promise<void> {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });
}

describe('attestry serve output', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attestry-serve-out-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('banner on stdout, one JSON log line per request on stderr, the admin token located on every start', async () => {
    const first = await serve(dataDir);
    const tokenFile = join(dataDir, 'admin-token');
    let token: string;
    try {
      assert.match(
        first.stdout(),
        new RegExp(`admin token written to ${tokenFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(shown nowhere else`),
      );
      assert.match(
        first.stdout(),
        new RegExp(`console +${first.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/console/ `),
        'the banner names the web console',
      );
      token = readFileSync(tokenFile, 'utf8').trim();
      assert.equal((await fetch(`${first.url}/api/v1/keys`)).status, 200);
      assert.equal((await fetch(`${first.url}/no/such/route`)).status, 404);
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${first.url}/healthz`)).status, 200);
    } finally {
      await stop(first);
    }
    // stdout is the banner only: no log lines there.
    for (const line of first.stdout().split('\n')) assert.doesNotMatch(line, /^\{/, `a log line on stdout: ${line}`);
    // stderr is JSON lines only.
    const logs = first
      .stderr()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requestLines = logs.filter((l) => l['msg'] === 'request' || l['msg'] === 'incoming request' || l['msg'] === 'request completed');
    assert.deepEqual(
      requestLines.map((l) => `${String(l['method'])} ${String(l['path'])} ${String(l['status'])}`),
      ['GET /api/v1/keys 200', 'GET /no/such/route 404'],
      'one line per request; probes only at debug',
    );

    const second = await serve(dataDir);
    await stop(second);
    assert.match(second.stdout(), /admin token in .*admin-token \(written on first start\)/);
    assert.ok(!second.stdout().includes(token) && !second.stderr().includes(token), 'the token itself is never printed');

    rmSync(tokenFile);
    const third = await serve(dataDir);
    await stop(third);
    assert.match(third.stdout(), /admin token none in .*; make one with: attestry token create --principal admin/);
  });
});
