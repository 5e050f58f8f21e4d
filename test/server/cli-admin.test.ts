/**
 * The administration commands (tenant, token, key, db) against a temp data
 * directory, and one end-to-end run of `attestry serve` driven by
 * `attestry evidence put|get|find`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROLES } from '../../src/authz/access-matrix.js';
import { keyAlgorithmOf, loadPrivateKey, loadPublicKey } from '../../src/crypto/keys.js';
import { createSigner } from '../../src/crypto/signer.js';
import {
  CLI_PATH,
  cliHome,
  expectExit,
  getArray,
  getRecord,
  getString,
  jsonOut,
  runCli,
  show,
  writeKeyFiles,
  type KeyFiles,
} from '../helpers/cli.js';
import { isRecord, makeTempDir, removeDir } from '../helpers/model.js';
import { PREDICATE_FOR_KIND, signedStatement } from '../helpers/server.js';

const TOKEN_RE = /^atr_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{43}$/;

let tmp: string;
let dataDir: string;
let keys: KeyFiles;
let counter = 0;

before(async () => {
  tmp = makeTempDir('attestry-cli-admin-');
  dataDir = join(tmp, 'data');
  keys = writeKeyFiles(join(tmp, 'keys'));
  expectExit(await runCli(['db', 'migrate', '--data-dir', dataDir, '--json']), 0);
  expectExit(await runCli(['tenant', 'add', 'acme', '--name', 'Acme Corp', '--data-dir', dataDir, '--json']), 0);
});
after(() => removeDir(tmp));

const admin = (...args: string[]) => runCli([...args, '--data-dir', dataDir]);
const freshDir = (): string => join(tmp, `data-${++counter}`);

describe('tenant', () => {
  test('tenant add and tenant list --json', async () => {
    const a = expectExit(await admin('tenant', 'add', 'globex', '--json'), 0);
    const added = getRecord(jsonOut(a), 'tenant');
    assert.equal(added['id'], 'globex');
    assert.equal(added['displayName'], null);

    const l = expectExit(await admin('tenant', 'list', '--json'), 0);
    const tenants = getArray(jsonOut(l), 'tenants').map((t) => {
      assert.ok(isRecord(t));
      return [t['id'], t['displayName']];
    });
    assert.deepEqual(
      tenants.filter(([id]) => id === 'acme' || id === 'globex'),
      [
        ['acme', 'Acme Corp'],
        ['globex', null],
      ],
    );

    const text = expectExit(await admin('tenant', 'list'), 0);
    assert.match(text.stdout, /^acme\s/m);
  });

  test('adding a tenant twice, or an invalid id, exits 1', async () => {
    const dup = await admin('tenant', 'add', 'acme');
    assert.equal(dup.code, 1, show(dup));
    assert.match(dup.stderr, /already exists/);
    const bad = await admin('tenant', 'add', 'Not Valid');
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /not a tenant id/);
  });
});

describe('token', () => {
  test('token create --json prints the token once; token list never shows secrets', async () => {
    const c = expectExit(
      await admin('token', 'create', '--principal', 'signals-service', '--tenant', 'acme', '--label', 'ci', '--json'),
      0,
    );
    const created = jsonOut(c);
    const token = getString(created, 'token');
    assert.match(token, TOKEN_RE);
    assert.equal(created['principal'], 'signals-service');
    assert.deepEqual(created['tenants'], ['acme']);
    const id = getString(created, 'id');
    assert.ok(token.startsWith(`atr_${id}_`));

    const l = expectExit(await admin('token', 'list', '--json'), 0);
    const secret = token.slice(`atr_${id}_`.length);
    assert.ok(!l.stdout.includes(token), 'the token is not listed');
    assert.ok(!l.stdout.includes(secret), 'the secret is not listed');
    assert.doesNotMatch(l.stdout, /secret/i);
    const listed = getArray(jsonOut(l), 'tokens').find((t) => isRecord(t) && t['id'] === id);
    assert.ok(isRecord(listed), l.stdout);
    assert.equal(listed['principal'], 'signals-service');
    assert.equal(listed['label'], 'ci');
    assert.equal(listed['status'], 'active');

    const text = expectExit(await admin('token', 'list'), 0);
    assert.ok(!text.stdout.includes(secret));
  });

  test('token create for an unknown role exits 1 listing the roles', async () => {
    const r = await admin('token', 'create', '--principal', 'wizard', '--tenant', 'acme');
    assert.equal(r.code, 1, show(r));
    for (const role of ROLES) assert.ok(r.stderr.includes(role), `lists ${role}: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /atr_/);
  });

  test('token create for an unknown tenant exits 1 naming it', async () => {
    const r = await admin('token', 'create', '--principal', 'reviewer', '--tenant', 'nope');
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /unknown tenant.*nope/);
    assert.doesNotMatch(r.stdout, /atr_/);
  });

  test('only admin tokens may act for every tenant', async () => {
    const r = await admin('token', 'create', '--principal', 'reviewer', '--tenant', '*');
    assert.equal(r.code, 1, show(r));
    const a = expectExit(await admin('token', 'create', '--principal', 'admin', '--tenant', '*', '--json'), 0);
    assert.deepEqual(jsonOut(a)['tenants'], ['*']);
  });

  test('token revoke marks the token revoked (by id or by the token itself)', async () => {
    const one = jsonOut(expectExit(await admin('token', 'create', '--principal', 'reviewer', '--tenant', 'acme', '--json'), 0));
    const two = jsonOut(expectExit(await admin('token', 'create', '--principal', 'reviewer', '--tenant', 'acme', '--json'), 0));
    const r1 = expectExit(await admin('token', 'revoke', getString(one, 'id'), '--json'), 0);
    assert.equal(jsonOut(r1)['revoked'], one['id']);
    const r2 = expectExit(await admin('token', 'revoke', getString(two, 'token'), '--json'), 0);
    assert.equal(jsonOut(r2)['revoked'], two['id']);
    const l = jsonOut(expectExit(await admin('token', 'list', '--json'), 0));
    const status = (id: unknown) =>
      getArray(l, 'tokens')
        .map((t) => t as Record<string, unknown>)
        .find((t) => t['id'] === id)?.['status'];
    assert.equal(status(one['id']), 'revoked');
    assert.equal(status(two['id']), 'revoked');
    const missing = await admin('token', 'revoke', '01ARZ3NDEKTSV4RRFFQ69G5FAV');
    assert.equal(missing.code, 1, show(missing));
  });
});

describe('key', () => {
  test('key trust with a PEM file and with PEM text; key list shows both', async () => {
    const t1 = expectExit(
      await admin('key', 'trust', '--key-id', 'ci-key', '--public-key', keys.publicPem, '--tenant', 'acme', '--json'),
      0,
    );
    const j1 = jsonOut(t1);
    assert.equal(j1['ok'], true);
    assert.equal(j1['algorithm'], 'ed25519');
    assert.match(getString(j1, 'fingerprint'), /^sha256:[0-9a-f]{64}$/);

    const other = writeKeyFiles(join(tmp, 'other-keys'), 'ecdsa-p256');
    const pemText = readFileSync(other.publicPem, 'utf8');
    const t2 = expectExit(
      await admin('key', 'trust', '--key-id', 'pem-text-key', '--public-key', pemText, '--tenant', 'acme', '--json'),
      0,
    );
    assert.equal(jsonOut(t2)['algorithm'], 'ecdsa-p256');

    const l = jsonOut(expectExit(await admin('key', 'list', '--tenant', 'acme', '--json'), 0));
    const listed = getArray(l, 'keys').map((k) => {
      assert.ok(isRecord(k));
      return [k['keyId'], k['algorithm'], k['publicKeyPem']];
    });
    assert.deepEqual(
      listed.filter(([id]) => id === 'ci-key' || id === 'pem-text-key'),
      [
        ['ci-key', 'ed25519', readFileSync(keys.publicPem, 'utf8')],
        ['pem-text-key', 'ecdsa-p256', pemText],
      ],
    );
  });

  test('key trust for an unknown tenant, a duplicate key id or a non-key exits 1', async () => {
    const unknown = await admin('key', 'trust', '--key-id', 'k', '--public-key', keys.publicPem, '--tenant', 'nope');
    assert.equal(unknown.code, 1, show(unknown));
    assert.match(unknown.stderr, /nope/);
    expectExit(await admin('key', 'trust', '--key-id', 'dup-key', '--public-key', keys.publicPem, '--tenant', 'acme'), 0);
    const dup = await admin('key', 'trust', '--key-id', 'dup-key', '--public-key', keys.publicPem, '--tenant', 'acme');
    assert.equal(dup.code, 1, show(dup));
    const notKey = join(tmp, 'not-a-key.pem');
    writeFileSync(notKey, 'hello\n');
    const bad = await admin('key', 'trust', '--key-id', 'bad', '--public-key', notKey, '--tenant', 'acme');
    assert.equal(bad.code, 1, show(bad));
  });

  test('key export prints the signing key PUBLIC KEY PEM, the same on every call', async () => {
    const dir = freshDir();
    expectExit(await runCli(['db', 'migrate', '--data-dir', dir]), 0);
    const a = expectExit(await runCli(['key', 'export', '--key-id', 'signals-signer-2025-001', '--data-dir', dir]), 0);
    assert.match(a.stdout, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    assert.doesNotMatch(a.stdout, /PRIVATE/);
    assert.equal(keyAlgorithmOf(loadPublicKey(a.stdout, 'stdout')), 'ecdsa-p256');
    const b = expectExit(await runCli(['key', 'export', '--key-id', 'signals-signer-2025-001', '--data-dir', dir]), 0);
    assert.equal(b.stdout, a.stdout);
    // Without --key-id the configured key is exported.
    const c = expectExit(await runCli(['key', 'export', '--data-dir', dir]), 0);
    assert.equal(c.stdout, a.stdout);
    const unknown = await runCli(['key', 'export', '--key-id', 'no-such-key', '--data-dir', dir]);
    assert.equal(unknown.code, 1, show(unknown));
  });
});

describe('db migrate', () => {
  test('db migrate --json applies migrations once, then reports up to date', async () => {
    const dir = freshDir();
    const first = jsonOut(expectExit(await runCli(['db', 'migrate', '--data-dir', dir, '--json']), 0));
    assert.equal(first['ok'], true);
    assert.equal(first['driver'], 'sqlite');
    const applied = getArray(first, 'applied');
    assert.ok(applied.length > 0, JSON.stringify(first));
    assert.equal(typeof first['current'], 'string');
    const second = jsonOut(expectExit(await runCli(['db', 'migrate', '--data-dir', dir, '--json']), 0));
    assert.deepEqual(second['applied'], []);
    assert.equal(second['current'], first['current']);
  });
});

/** Starts `attestry serve` and resolves with the child and its first stdout JSON document. */
function startServe(
  args: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; info: Record<string, unknown>; stderr: () => string }> {
  const home = cliHome();
  const child = spawn(process.execPath, [CLI_PATH, 'serve', ...args], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, ATTESTRY_HOME: join(home, '.attestry') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not print its JSON within 20 s\nstdout: ${out}\nstderr: ${err}`));
    }, 20_000);
    const onData = (c: Buffer): void => {
      out += c.toString('utf8');
      let info: unknown;
      try {
        info = JSON.parse(out);
      } catch {
        return; // not complete yet
      }
      clearTimeout(timer);
      child.stdout.off('data', onData);
      if (!isRecord(info)) {
        reject(new Error(`serve printed ${out}`));
        return;
      }
      resolvePromise({ child, info, stderr: () => err });
    };
    child.stdout.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early (${code ?? signal})\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

function waitForExit(child: ChildProcessWithoutNullStreams, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms`)), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal });
    });
  });
}

describe('attestry serve end to end', () => {
  test('serve, evidence put/get/find with ATTESTRY_TOKEN, then SIGTERM exits 0', async (t) => {
    const dir = freshDir();
    // Set up the index before the server starts: tenant, trusted key, token.
    expectExit(await runCli(['db', 'migrate', '--data-dir', dir]), 0);
    expectExit(await runCli(['tenant', 'add', 'e2e', '--data-dir', dir]), 0);
    const signerKeys = writeKeyFiles(join(tmp, 'e2e-keys'), 'ecdsa-p256');
    expectExit(
      await runCli(['key', 'trust', '--key-id', 'e2e-key', '--public-key', signerKeys.publicPem, '--tenant', 'e2e', '--data-dir', dir]),
      0,
    );
    const token = getString(
      jsonOut(
        expectExit(await runCli(['token', 'create', '--principal', 'signals-service', '--tenant', 'e2e', '--data-dir', dir, '--json']), 0),
      ),
      'token',
    );
    const reader = getString(
      jsonOut(
        expectExit(await runCli(['token', 'create', '--principal', 'policy-engine', '--tenant', 'e2e', '--data-dir', dir, '--json']), 0),
      ),
      'token',
    );

    const { child, info, stderr } = await startServe(['--data-dir', dir, '--port', '0', '--json']);
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    t.after(() => {
      if (!exited) child.kill('SIGKILL');
    });
    assert.equal(info['ok'], true);
    const url = getString(info, 'url');
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info['signingKey'], 'signals-signer-2025-001');
    assert.equal(info['dataDir'], dir);
    // Tokens existed already, so no bootstrap admin token was written.
    assert.equal(info['adminTokenFile'], null);
    assert.doesNotMatch(stderr(), /atr_/);

    const subject = randomBytes(32).toString('hex');
    const signer = createSigner(loadPrivateKey(readFileSync(signerKeys.privatePem, 'utf8'), signerKeys.privatePem), 'e2e-key');
    const envelopeFile = join(tmp, 'e2e-envelope.json');
    writeFileSync(envelopeFile, JSON.stringify(signedStatement(signer, subject, PREDICATE_FOR_KIND.attestations)));

    const put = expectExit(
      await runCli(['evidence', 'put', envelopeFile, '--server', url, '--json'], { env: { ATTESTRY_TOKEN: token } }),
      0,
    );
    const stored = jsonOut(put);
    assert.equal(stored['created'], true);
    assert.equal(stored['kind'], 'attestations');
    assert.equal(stored['tenant'], 'e2e');
    const id = getString(stored, 'id');

    const again = jsonOut(
      expectExit(await runCli(['evidence', 'put', envelopeFile, '--server', url, '--json'], { env: { ATTESTRY_TOKEN: token } }), 0),
    );
    assert.equal(again['id'], id);
    assert.equal(again['created'], false);

    const get = expectExit(await runCli(['evidence', 'get', id, '--server', url], { env: { ATTESTRY_TOKEN: reader } }), 0);
    const got = jsonOut(get);
    assert.equal(got['id'], id);
    assert.equal(getRecord(got, 'meta')['signerKeyId'], 'e2e-key');
    const raw = expectExit(await runCli(['evidence', 'get', id, '--raw', '--server', url], { env: { ATTESTRY_TOKEN: reader } }), 0);
    assert.deepEqual(JSON.parse(raw.stdout), JSON.parse(readFileSync(envelopeFile, 'utf8')));

    const find = expectExit(
      await runCli(['evidence', 'find', '--subject', `sha256:${subject}`, '--server', url, '--json'], { env: { ATTESTRY_TOKEN: reader } }),
      0,
    );
    const found = jsonOut(find);
    assert.equal(found['subject'], `sha256:${subject}`);
    assert.deepEqual(
      getArray(found, 'items').map((i) => (i as Record<string, unknown>)['id']),
      [id],
    );

    // Errors from the server come back as the same codes and exit codes.
    const noToken = await runCli(['evidence', 'get', id, '--server', url]);
    assert.equal(noToken.code, 1, show(noToken));
    assert.match(noToken.stderr, /ATTESTRY_TOKEN/);
    const forbidden = await runCli(['evidence', 'put', envelopeFile, '--server', url], { env: { ATTESTRY_TOKEN: reader } });
    // A 403 is an authorization error (exit 1); exit 2 is kept for verifications that ran and failed.
    assert.equal(forbidden.code, 1, show(forbidden));
    assert.match(forbidden.stderr, /E_FORBIDDEN/);
    const wrongSecret = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const bad = await runCli(['evidence', 'get', id, '--server', url], { env: { ATTESTRY_TOKEN: wrongSecret } });
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /E_UNAUTHENTICATED/);

    assert.ok(child.kill('SIGTERM'));
    const end = await waitForExit(child, 15_000);
    assert.deepEqual(end, { code: 0, signal: null }, `serve exit after SIGTERM; stderr:\n${stderr().slice(-2000)}`);
    // The server's logs never contain the token.
    assert.ok(!stderr().includes(token), 'token not logged');
  });
});
