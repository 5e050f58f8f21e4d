/**
 * `attestry log checkpoint|prove|monitor` and the log key (issue 12): without
 * a pinned --log-key nothing is called "verified"; `monitor
 * --trust-on-first-use` pins the key the log reports in the state file, says
 * so, and later runs fail when the server's key changes. `--log-key FILE`
 * (no "@") reads the file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '../../src/crypto/keys.js';
import { NoteSigner, parseVerifierKey } from '../../src/tlog/note.js';
import { expectExit, runCli } from '../helpers/cli.js';
import { isRecord, makeTempDir, removeDir } from '../helpers/model.js';
import { signedStatement, startTestServer, type TestServer } from '../helpers/server.js';

let srv: TestServer;
let vkey: string;
let tmp: string;

async function serverKey(s: TestServer): Promise<string> {
  const j = (await s.request('GET', '/api/v1/log/key')).json;
  assert.ok(isRecord(j));
  return String(j['verifierKey']);
}

before(async () => {
  tmp = makeTempDir();
  srv = await startTestServer();
  await srv.addTenant('t1');
  const signer = await srv.trustNewKey('t1', 'k1');
  const token = await srv.token('signals-service', ['t1']);
  const r = await srv.request('POST', '/api/v1/attestations', { token, body: signedStatement(signer, 'ab'.repeat(32)) });
  assert.equal(r.status, 201, r.text);
  vkey = await serverKey(srv);
});
after(async () => {
  await srv?.stop();
  removeDir(tmp);
});

describe('log checkpoint and prove need a pinned key', { concurrency: true }, () => {
  test('checkpoint without --log-key → exit 1 naming --log-key and GET /api/v1/log/key; never "verified"', async () => {
    const r = expectExit(await runCli(['log', 'checkpoint', '--server', srv.url]), 1);
    assert.match(r.stderr, /--log-key/);
    assert.match(r.stderr, /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/log\/key/);
    assert.doesNotMatch(r.stdout + r.stderr, /verified:/);
    const p = expectExit(await runCli(['log', 'prove', '--index', '0', '--server', srv.url]), 1);
    assert.match(p.stderr, /--log-key/);
  });

  test('--log-key as text, as @FILE and as a plain path of an existing file all verify', async () => {
    const file = join(tmp, 'log.vkey');
    writeFileSync(file, `${vkey}\n`);
    for (const arg of [vkey, `@${file}`, file]) {
      const r = expectExit(await runCli(['log', 'checkpoint', '--server', srv.url, '--log-key', arg]), 0);
      assert.match(r.stdout, /verified: origin /);
    }
  });

  test('--log-key naming a file that does not exist → exit 1 with a hint, not a vkey parse error', async () => {
    const r = expectExit(await runCli(['log', 'checkpoint', '--server', srv.url, '--log-key', join(tmp, 'missing.vkey')]), 1);
    assert.match(r.stderr, /neither a verifier key .* nor an existing file; give the key text, @FILE or a file path/);
  });

  test('a checkpoint signed by another key: the error names the key ids seen and expected', async () => {
    const other = new NoteSigner(parseVerifierKey(vkey).name, generateKeyPair('ed25519').privateKey);
    const r = expectExit(await runCli(['log', 'checkpoint', '--server', srv.url, '--log-key', other.verifierKey]), 2);
    const seen = vkey.split('+').slice(0, 2).join('+');
    const expected = other.verifierKey.split('+').slice(0, 2).join('+');
    assert.ok(r.stderr.includes(`signed by ${seen}`) && r.stderr.includes(`expected ${expected}`), r.stderr);
    assert.match(r.stderr, /^attestry: FAILED: /);
  });
});

describe('log monitor: pinned key or explicit trust on first use', () => {
  test('no --log-key and no state → exit 1 naming --log-key and --trust-on-first-use', async () => {
    const state = join(tmp, 'none.json');
    const r = expectExit(await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url]), 1);
    assert.match(r.stderr, /--log-key/);
    assert.match(r.stderr, /--trust-on-first-use/);
  });

  test('--trust-on-first-use pins the key, says "pinned on first use" (not "verified"); a changed server key then fails', async () => {
    const state = join(tmp, 'tofu.json');
    const first = expectExit(await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--trust-on-first-use']), 0);
    assert.match(first.stdout, /pinned on first use/);
    assert.doesNotMatch(first.stdout, /verified/i);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as Record<string, unknown>;
    assert.equal(saved['verifierKey'], vkey);
    assert.equal(saved['pinnedOnFirstUse'], true);
    // Later runs use the pinned key, and keep saying how it was pinned.
    const again = expectExit(await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--json']), 0);
    const j = JSON.parse(again.stdout) as Record<string, unknown>;
    assert.equal(j['status'], 'unchanged');
    assert.equal(j['logKeyPinnedOnFirstUse'], true);
    // Another log (same origin, new key) behind the same state: refused, naming both keys.
    const impostor = await startTestServer();
    try {
      const newKey = await serverKey(impostor);
      assert.notEqual(newKey, vkey);
      const changed = expectExit(
        await runCli(['log', 'monitor', '--once', '--state', state, '--server', impostor.url, '--trust-on-first-use']),
        2,
      );
      assert.match(changed.stderr, /no signature by a known key/);
      assert.ok(changed.stderr.includes(vkey.split('+').slice(0, 2).join('+')), changed.stderr);
      assert.ok(changed.stderr.includes(newKey.split('+').slice(0, 2).join('+')), changed.stderr);
      assert.equal(JSON.parse(readFileSync(state, 'utf8')).verifierKey, vkey, 'the pinned key is kept');
    } finally {
      await impostor.stop();
    }
    // The operator giving the same key confirms the pin: no longer "pinned on first use".
    const confirmed = expectExit(
      await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--log-key', vkey, '--json']),
      0,
    );
    assert.equal((JSON.parse(confirmed.stdout) as Record<string, unknown>)['logKeyPinnedOnFirstUse'], false);
    assert.equal(JSON.parse(readFileSync(state, 'utf8')).pinnedOnFirstUse, undefined);
  });

  test('a state file pinned to one key refuses a different --log-key', async () => {
    const state = join(tmp, 'pinned.json');
    expectExit(await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--log-key', vkey]), 0);
    const other = new NoteSigner(parseVerifierKey(vkey).name, generateKeyPair('ed25519').privateKey);
    const r = expectExit(
      await runCli(['log', 'monitor', '--once', '--state', state, '--server', srv.url, '--log-key', other.verifierKey]),
      1,
    );
    assert.match(r.stderr, /the state file pins the log key/);
  });
});
