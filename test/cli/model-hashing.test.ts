/** `attestry model` hashing options through the compiled CLI: --hash-type blake3 and --threads. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hashBytesHex } from '../../src/models/hashers.js';
import { expectExit, runCli, writeKeyFiles, type KeyFiles } from '../helpers/cli.js';
import { flipByte, makeModel, makeTempDir, readStatement, removeDir } from '../helpers/model.js';

let tmp: string;
let keys: KeyFiles;

before(() => {
  tmp = makeTempDir();
  keys = writeKeyFiles(join(tmp, 'keys'));
});
after(() => removeDir(tmp));

const files = { 'weights.bin': Buffer.alloc(6000, 3), 'config.json': '{"a":1}' };

describe('model sign/verify --hash-type blake3', { concurrency: true }, () => {
  for (const method of ['files', 'shards'] as const) {
    test(`${method}: signs, verifies, and a flipped byte fails verify with exit 2`, async (t) => {
      const m = makeModel(files);
      t.after(m.cleanup);
      const shardFlags = method === 'shards' ? ['--shards', '--shard-size', '4096'] : [];
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
          '--hash-type',
          'blake3',
          '--threads',
          '2',
          ...shardFlags,
        ]),
        0,
      );
      const st = readStatement(join(m.dir, 'model.sig'));
      assert.equal(st.predicate.serialization.hash_type, 'blake3');
      assert.equal(st.predicate.serialization.method, method);
      const weights = st.predicate.resources.find((r) => r.name === (method === 'files' ? 'weights.bin' : 'weights.bin:0:4096'));
      assert.equal(weights?.algorithm, method === 'files' ? 'blake3' : 'blake3-sharded-4096');
      assert.equal(weights?.digest, hashBytesHex('blake3', files['weights.bin'].subarray(0, method === 'files' ? 6000 : 4096)));
      const verify = ['model', 'verify', '--model-dir', m.dir, '--key', keys.publicPem, '--threads', '2'];
      expectExit(await runCli(verify), 0);
      flipByte(join(m.dir, 'weights.bin'), 100);
      const bad = expectExit(await runCli(verify), 2);
      assert.match(bad.stdout, /weights\.bin/);
    });
  }

  test('model digest --hash-type blake3 differs from sha256', async (t) => {
    const m = makeModel(files);
    t.after(m.cleanup);
    const b3 = expectExit(await runCli(['model', 'digest', m.dir, '--hash-type', 'blake3', '--threads', '1']), 0).stdout.trim();
    const sha = expectExit(await runCli(['model', 'digest', m.dir, '--threads', '1']), 0).stdout.trim();
    assert.match(b3, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(b3, sha);
  });
});

describe('--threads 0 is a usage error', { concurrency: true }, () => {
  const cases: [string, (dir: string) => string[]][] = [
    ['sign', (dir) => ['model', 'sign', '--model-dir', dir, '--key', keys.privatePem, '--signer-id', 'x', '--threads', '0']],
    ['verify', (dir) => ['model', 'verify', '--model-dir', dir, '--key', keys.publicPem, '--threads', '0']],
    ['digest', (dir) => ['model', 'digest', dir, '--threads', '0']],
  ];
  for (const [name, args] of cases) {
    test(`model ${name} --threads 0 → exit 1, E_USAGE naming --threads`, async (t) => {
      const m = makeModel(files);
      t.after(m.cleanup);
      const r = expectExit(await runCli(args(m.dir)), 1);
      assert.match(r.stderr, /--threads must be 1 or more, got 0/);
      assert.match(r.stderr, /E_USAGE/);
      if (name === 'sign') assert.equal(existsSync(join(m.dir, 'model.sig')), false, 'nothing was signed');
    });
  }
});
