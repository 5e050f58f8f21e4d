/** A multi-GiB (sparse) file signed in shards, and shard-level problems. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, signModel, verifyModel } from '../../src/models/index.js';
import { makeKeyPair, makeTempDir, readStatement, removeDir } from '../helpers/model.js';

let pool: HashPool;
before(() => {
  pool = new HashPool({ threads: 2 });
});
after(async () => {
  await pool.close();
});

const keys = makeKeyPair();

describe('a 3 GiB sparse file in shards', () => {
  const GiB = 2 ** 30;

  /** sha256 of 1 GiB of zero bytes, streamed. */
  function zeroGiBDigest(): string {
    const h = createHash('sha256');
    const zeros = Buffer.alloc(8 * 1024 * 1024);
    for (let done = 0; done < GiB; done += zeros.length) h.update(zeros);
    return h.digest('hex');
  }

  test('three 1 GiB shards named big.bin:<start>:<end>, all equal to sha256(1 GiB of zeros); verifies', { timeout: 60_000 }, async (t) => {
    const base = makeTempDir();
    t.after(() => removeDir(base));
    const dir = join(base, 'big-model');
    mkdirSync(dir);
    const big = join(dir, 'big.bin');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 3 * GiB);
    closeSync(fd);
    writeFileSync(join(dir, 'config.json'), '{}');

    const signed = await signModel({ modelPath: dir, privateKey: keys.privateKey, signerId: 'x', pool, method: 'shards', shardSize: GiB });
    assert.equal(signed.bytesTotal, 3 * GiB + 2);
    const st = readStatement(signed.signaturePath);
    assert.equal(st.predicate.serialization.method, 'shards');
    assert.equal(st.predicate.serialization.shard_size, GiB);
    const shards = st.predicate.resources.filter((r) => r.name.startsWith('big.bin:'));
    assert.deepEqual(
      shards.map((r) => r.name),
      ['big.bin:0:1073741824', 'big.bin:1073741824:2147483648', 'big.bin:2147483648:3221225472'],
    );
    assert.deepEqual(st.predicate.resources.map((r) => r.name).slice(3), ['config.json:0:2']);
    for (const r of st.predicate.resources) assert.equal(r.algorithm, 'sha256-sharded-1073741824');
    const zero = zeroGiBDigest();
    for (const r of shards) assert.equal(r.digest, zero, r.name);

    const ok = await verifyModel({ modelPath: dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));
    assert.equal(ok.model.method, 'shards');
    assert.equal(ok.bytesChecked, 3 * GiB + 2);
  });

  test('shards: a changed byte names its shard; growing a file → size-changed', async (t) => {
    const base = makeTempDir();
    t.after(() => removeDir(base));
    const dir = join(base, 'm');
    mkdirSync(dir);
    writeFileSync(join(dir, 'w.bin'), Buffer.alloc(2500, 3));
    const signed = await signModel({ modelPath: dir, privateKey: keys.privateKey, signerId: 'x', pool, method: 'shards', shardSize: 1000 });
    assert.deepEqual(
      signed.statement.predicate.resources.map((r) => r.name),
      ['w.bin:0:1000', 'w.bin:1000:2000', 'w.bin:2000:2500'],
    );
    // One byte changed in the middle shard: only that shard is reported.
    const wfd = openSync(join(dir, 'w.bin'), 'r+');
    writeSync(wfd, Buffer.from([9]), 0, 1, 1500);
    closeSync(wfd);
    const one = await verifyModel({ modelPath: dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.deepEqual(
      one.problems.map((p) => [p.name, p.kind]),
      [['w.bin:1000:2000', 'modified']],
    );

    writeFileSync(join(dir, 'w.bin'), Buffer.alloc(2600, 3));
    const bad = await verifyModel({ modelPath: dir, signaturePath: signed.signaturePath, publicKey: keys.publicKey, pool });
    assert.deepEqual(
      bad.problems.map((p) => [p.name, p.kind]),
      [['w.bin', 'size-changed']],
    );
  });
});
