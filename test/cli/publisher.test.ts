/** `attestry publisher add|list|show|remove|revoke` and `model verify --registry`. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../src/core/ids.js';
import { loadPrivateKey, loadPublicKey } from '../../src/crypto/keys.js';
import { addPublisher, readRegistry, signModel } from '../../src/models/index.js';
import { expectExit, getArray, getRecord, getString, jsonOut, runCli, show, writeKeyFiles, type KeyFiles } from '../helpers/cli.js';
import { makeModel, makeTempDir, removeDir, SAMPLE_FILES, type TempModel } from '../helpers/model.js';

let tmp: string;
let model: TempModel;
let alice: KeyFiles;
let bob: KeyFiles;
let sigAlice: string;
let sigBob: string;

before(async () => {
  tmp = makeTempDir();
  alice = writeKeyFiles(join(tmp, 'alice'));
  bob = writeKeyFiles(join(tmp, 'bob'), 'ecdsa-p384');
  model = makeModel(SAMPLE_FILES);
  sigAlice = join(model.base, 'alice.sig');
  sigBob = join(model.base, 'bob.sig');
  // Signed in-process: signing through the CLI is covered in model.test.ts.
  await signModel({ modelPath: model.dir, privateKey: privateOf(alice), signerId: 'alice@example.com', output: sigAlice, threads: 1 });
  await signModel({ modelPath: model.dir, privateKey: privateOf(bob), signerId: 'bob@example.com', output: sigBob, threads: 1 });
});
after(() => {
  removeDir(tmp);
  model.cleanup();
});

function privateOf(k: KeyFiles) {
  return loadPrivateKey(readFileSync(k.privatePem, 'utf8'), k.privatePem);
}

/** Registry set-up in-process, for tests that are about `model verify --registry` rather than `publisher add`. */
async function seed(
  registry: string,
  id: string,
  key: KeyFiles,
  extra: { name?: string; trustedSince?: Date; expiresAt?: Date } = {},
): Promise<void> {
  await addPublisher(registry, { id, publicKey: loadPublicKey(readFileSync(key.publicPem, 'utf8'), key.publicPem), ...extra }, systemClock);
}

let counter = 0;
const newRegistry = () => join(tmp, `registry-${++counter}.json`);
const add = (registry: string, id: string, key: KeyFiles, ...extra: string[]) =>
  runCli(['publisher', 'add', '--registry', registry, '--id', id, '--public-key', key.publicPem, ...extra]);
const verifyWith = (registry: string, sig: string, ...extra: string[]) =>
  runCli(['model', 'verify', '--model-dir', model.dir, '--signature', sig, '--registry', registry, '--threads', '1', ...extra]);

describe('publisher commands', { concurrency: 3 }, () => {
  test('add, list, show (json and text)', async () => {
    const reg = newRegistry();
    const a = await add(reg, 'alice@example.com', alice, '--name', 'Alice Corp', '--json');
    expectExit(a, 0);
    const pa = getRecord(jsonOut(a), 'publisher');
    assert.equal(pa['id'], 'alice@example.com');
    assert.equal(pa['name'], 'Alice Corp');
    assert.equal(pa['algorithm'], 'ed25519');
    assert.equal(pa['revoked'], false);
    assert.match(getString(pa, 'fingerprint'), /^sha256:[0-9a-f]{64}$/);
    expectExit(await add(reg, 'bob@example.com', bob), 0);

    const l = await runCli(['publisher', 'list', '--registry', reg, '--json']);
    expectExit(l, 0);
    const list = getArray(jsonOut(l), 'publishers').map((p) => {
      const r = p as Record<string, unknown>;
      return [r['id'], r['status'], r['algorithm']];
    });
    assert.deepEqual(list, [
      ['alice@example.com', 'trusted', 'ed25519'],
      ['bob@example.com', 'trusted', 'ecdsa-p384'],
    ]);

    const s = await runCli(['publisher', 'show', 'bob@example.com', '--registry', reg, '--json']);
    expectExit(s, 0);
    const sj = jsonOut(s);
    assert.equal(sj['id'], 'bob@example.com');
    assert.equal(sj['status'], 'trusted');
    assert.equal(sj['publicKey'], readFileSync(bob.publicPem, 'utf8'));
    const st = expectExit(await runCli(['publisher', 'show', 'alice@example.com', '--registry', reg]), 0);
    assert.match(st.stdout, /Alice Corp/);
    assert.match(st.stdout, /BEGIN PUBLIC KEY/);
  });

  test('the registry defaults to ./trusted-publishers.json in the working directory', async (t) => {
    const cwd = makeTempDir();
    t.after(() => removeDir(cwd));
    expectExit(await runCli(['publisher', 'add', '--id', 'alice@example.com', '--public-key', alice.publicPem], { cwd }), 0);
    const raw = JSON.parse(readFileSync(join(cwd, 'trusted-publishers.json'), 'utf8')) as { publishers: { id: string }[] };
    assert.deepEqual(
      raw.publishers.map((p) => p.id),
      ['alice@example.com'],
    );
  });

  test('show/remove/revoke of an unknown id → exit 1; duplicate add → exit 1', async () => {
    const reg = newRegistry();
    await seed(reg, 'alice@example.com', alice);
    const dup = await add(reg, 'alice@example.com', bob);
    expectExit(dup, 1);
    assert.match(dup.stderr, /E_CONFLICT/);
    for (const cmd of ['show', 'remove', 'revoke']) {
      const r = await runCli(['publisher', cmd, 'nobody', '--registry', reg]);
      expectExit(r, 1);
      assert.match(r.stderr, /nobody/);
    }
  });

  test('add with a missing or invalid key file, or a bad date → exit 1, registry untouched', async () => {
    const reg = newRegistry();
    expectExit(await runCli(['publisher', 'add', '--registry', reg, '--id', 'x', '--public-key', join(tmp, 'none.pem')]), 1);
    writeFileSync(join(tmp, 'junk.pem'), 'not a key');
    expectExit(await runCli(['publisher', 'add', '--registry', reg, '--id', 'x', '--public-key', join(tmp, 'junk.pem')]), 1);
    const date = await add(reg, 'x', alice, '--expires', 'next tuesday');
    expectExit(date, 1);
    assert.match(date.stderr, /--expires/);
    assert.deepEqual(readRegistry(reg).publishers, []);
  });

  test('remove deletes the entry', async () => {
    const reg = newRegistry();
    await seed(reg, 'alice@example.com', alice);
    await seed(reg, 'bob@example.com', bob);
    const r = await runCli(['publisher', 'remove', 'alice@example.com', '--registry', reg, '--json']);
    expectExit(r, 0);
    assert.equal(jsonOut(r)['removed'], 'alice@example.com');
    const l = expectExit(await runCli(['publisher', 'list', '--registry', reg, '--json']), 0);
    assert.deepEqual(
      getArray(jsonOut(l), 'publishers').map((p) => (p as Record<string, unknown>)['id']),
      ['bob@example.com'],
    );
    const v = await verifyWith(reg, sigAlice);
    expectExit(v, 2);
    assert.match(v.stderr, /E_UNTRUSTED_PUBLISHER/);
  });

  test('concurrent `publisher add` processes all land', async () => {
    const reg = newRegistry();
    const ids = Array.from({ length: 6 }, (_, i) => `p${i}@example.com`);
    const results = await Promise.all(ids.map((id, i) => add(reg, id, i % 2 === 0 ? alice : bob)));
    for (const r of results) expectExit(r, 0);
    assert.deepEqual(
      readRegistry(reg).publishers.map((p) => p.id),
      ids,
    );
  });

  test('a hand-edited registry → list and verify exit 1 (E_REGISTRY_FORMAT)', async () => {
    const reg = newRegistry();
    await seed(reg, 'alice@example.com', alice);
    const text = readFileSync(reg, 'utf8');
    writeFileSync(
      reg,
      text.replace(/"fingerprint": "sha256:([0-9a-f])/, (_m, c: string) => `"fingerprint": "sha256:${c === '0' ? '1' : '0'}`),
    );
    const l = await runCli(['publisher', 'list', '--registry', reg]);
    expectExit(l, 1);
    assert.match(l.stderr, /E_REGISTRY_FORMAT/);
    const v = await verifyWith(reg, sigAlice);
    expectExit(v, 1);
    assert.match(v.stderr, /E_REGISTRY_FORMAT/);
  });
});

describe('model verify --registry', { concurrency: 3 }, () => {
  test('trusted publisher → exit 0; revoked → exit 2; the other publisher is unaffected', async () => {
    const reg = newRegistry();
    await seed(reg, 'alice@example.com', alice, { name: 'Alice' });
    await seed(reg, 'bob@example.com', bob);

    const ok = await verifyWith(reg, sigAlice, '--json');
    expectExit(ok, 0);
    const j = jsonOut(ok);
    assert.equal(j['ok'], true);
    assert.deepEqual(getRecord(j, 'signature')['publisher'], { id: 'alice@example.com', name: 'Alice' });
    const text = expectExit(await verifyWith(reg, sigAlice), 0);
    assert.match(text.stdout, /trusted publisher Alice/);

    const rv = await runCli(['publisher', 'revoke', 'alice@example.com', '--registry', reg, '--reason', 'key leaked', '--json']);
    expectExit(rv, 0);
    const p = getRecord(jsonOut(rv), 'publisher');
    assert.equal(p['revoked'], true);
    assert.equal(p['revocationReason'], 'key leaked');
    const shown = expectExit(await runCli(['publisher', 'show', 'alice@example.com', '--registry', reg, '--json']), 0);
    assert.equal(jsonOut(shown)['status'], 'revoked');

    const bad = await verifyWith(reg, sigAlice);
    expectExit(bad, 2);
    assert.match(bad.stderr, /revoked/);
    assert.match(bad.stderr, /E_UNTRUSTED_PUBLISHER/);

    expectExit(await verifyWith(reg, sigBob), 0);
  });

  test('expired publisher → exit 2; not yet trusted → exit 2', async () => {
    const reg = newRegistry();
    // Through the CLI, so --trusted-since / --expires parsing is covered too.
    const [ra, rb] = await Promise.all([
      add(reg, 'alice@example.com', alice, '--trusted-since', '2020-01-01T00:00:00Z', '--expires', '2021-01-01T00:00:00Z'),
      add(reg, 'bob@example.com', bob, '--trusted-since', '2999-01-01T00:00:00Z'),
    ]);
    expectExit(ra, 0);
    expectExit(rb, 0);
    const l = expectExit(await runCli(['publisher', 'list', '--registry', reg, '--json']), 0);
    assert.deepEqual(
      getArray(jsonOut(l), 'publishers').map((p) => (p as Record<string, unknown>)['status']),
      ['expired', 'not yet trusted'],
    );
    const a = await verifyWith(reg, sigAlice);
    expectExit(a, 2);
    assert.match(a.stderr, /expired/);
    expectExit(await verifyWith(reg, sigBob), 2);
  });

  test('unknown signer → exit 2; signer id of a publisher but another key → exit 2', async () => {
    const reg = newRegistry();
    await seed(reg, 'bob@example.com', bob);
    const unknown = await verifyWith(reg, sigAlice);
    expectExit(unknown, 2);
    assert.match(unknown.stderr, /E_UNTRUSTED_PUBLISHER/);
    const reg2 = newRegistry();
    await seed(reg2, 'alice@example.com', bob);
    const mismatch = await verifyWith(reg2, sigAlice);
    expectExit(mismatch, 2);
    assert.match(mismatch.stderr, /E_SIGNATURE_INVALID/);
  });

  test('a missing registry file → exit 1 (a load error naming the file, not an untrusted publisher)', async () => {
    const r = await verifyWith(join(tmp, 'does-not-exist.json'), sigAlice);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /does-not-exist\.json does not exist.*publisher add.*\[E_NOT_FOUND\]/);
  });

  test('a trusted publisher but a tampered model → exit 2 naming the file', async (t) => {
    const m = makeModel(SAMPLE_FILES);
    t.after(m.cleanup);
    const reg = newRegistry();
    await seed(reg, 'alice@example.com', alice);
    await signModel({ modelPath: m.dir, privateKey: privateOf(alice), signerId: 'alice@example.com', threads: 1 });
    writeFileSync(join(m.dir, 'config.json'), '{"tampered": true}');
    const r = await runCli(['model', 'verify', '--model-dir', m.dir, '--registry', reg, '--json']);
    expectExit(r, 2);
    assert.deepEqual(
      getArray(jsonOut(r), 'problems').map((p) => (p as Record<string, unknown>)['name']),
      ['config.json'],
    );
  });
});
