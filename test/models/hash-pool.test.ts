/** HashPool: worker-thread hashing of byte ranges. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, type HashJob } from '../../src/models/index.js';
import { expectRejects, makeTempDir, removeDir } from '../helpers/model.js';

function nodeDigest(data: Buffer, start: number, end: number, algorithm = 'sha256'): string {
  return createHash(algorithm).update(data.subarray(start, end)).digest('hex');
}

describe('HashPool', () => {
  test('digests of byte ranges equal node:crypto (sha256 and blake2b), in job order', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const size = 9 * 1024 * 1024 + 17; // more than two 4 MiB read buffers
    const data = randomBytes(size);
    const path = join(dir, 'data.bin');
    writeFileSync(path, data);
    const ranges: [number, number][] = [
      [0, size],
      [0, 0],
      [0, 1],
      [1, 2],
      [4 * 1024 * 1024 - 1, 4 * 1024 * 1024 + 1],
      [12345, 8 * 1024 * 1024 + 3],
      [size - 1, size],
      [1000, 1000],
    ];
    const jobs: HashJob[] = ranges.map(([start, end]) => ({ path, start, end }));
    const pool = new HashPool({ threads: 2, bufferSize: 1024 * 1024 });
    t.after(() => pool.close());
    let lastProgress = 0;
    const sha = await pool.hash(jobs, { onProgress: (done) => (lastProgress = done) });
    assert.deepEqual(
      sha,
      ranges.map(([s, e]) => nodeDigest(data, s, e)),
    );
    const expectedBytes = ranges.reduce((n, [s, e]) => n + (e - s), 0);
    assert.equal(lastProgress, expectedBytes, 'progress ends at the total number of bytes hashed');
    const blake = await pool.hash(jobs, { algorithm: 'blake2b' });
    assert.deepEqual(
      blake,
      ranges.map(([s, e]) => nodeDigest(data, s, e, 'blake2b512')),
    );
    assert.deepEqual(await pool.hash([]), []);
  });

  test('many small files across batches come back in order', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const jobs: HashJob[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 700; i++) {
      const content = Buffer.from(`content ${i} `.repeat(i % 13));
      const path = join(dir, `f${i}`);
      writeFileSync(path, content);
      jobs.push({ path, start: 0, end: content.length });
      expected.push(nodeDigest(content, 0, content.length));
    }
    const pool = new HashPool({ threads: 2 });
    t.after(() => pool.close());
    assert.deepEqual(await pool.hash(jobs), expected);
  });

  test('an unknown algorithm → E_SIGNATURE_FORMAT', async () => {
    const pool = new HashPool({ threads: 1 });
    try {
      await expectRejects(pool.hash([{ path: '/nonexistent', start: 0, end: 1 }], { algorithm: 'md5' }), 'E_SIGNATURE_FORMAT');
    } finally {
      await pool.close();
    }
  });

  test('a file deleted before hashing → E_NOT_FOUND naming it', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const keep = join(dir, 'keep.bin');
    const gone = join(dir, 'gone.bin');
    writeFileSync(keep, 'keep');
    writeFileSync(gone, 'gone');
    rmSync(gone);
    const pool = new HashPool({ threads: 2 });
    t.after(() => pool.close());
    const e = await expectRejects(
      pool.hash([
        { path: keep, start: 0, end: 4 },
        { path: gone, start: 0, end: 4 },
      ]),
      'E_NOT_FOUND',
      /gone\.bin/,
    );
    assert.equal(e.exitCode, 1);
  });

  test('a file that shrank below the range → E_IO', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const path = join(dir, 'short.bin');
    writeFileSync(path, 'abc');
    const pool = new HashPool({ threads: 1 });
    t.after(() => pool.close());
    await expectRejects(pool.hash([{ path, start: 0, end: 100 }]), 'E_IO', /short\.bin/);
  });

  test('the pool gives correct digests when reused after a failed run', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const pool = new HashPool({ threads: 1 });
    t.after(() => pool.close());
    // 300 equal-size jobs → two batches (256 + 44); the missing file fails the first batch.
    const first: HashJob[] = [];
    for (let i = 0; i < 300; i++) {
      const path = join(dir, `old-${i}`);
      if (i !== 0) writeFileSync(path, `old ${String(i).padStart(4, '0')}`);
      first.push({ path, start: 0, end: 8 });
    }
    await expectRejects(pool.hash(first), 'E_NOT_FOUND');
    const second: HashJob[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const path = join(dir, `new-${i}`);
      const content = Buffer.from(`new ${String(i).padStart(4, '0')}`);
      writeFileSync(path, content);
      second.push({ path, start: 0, end: 8 });
      expected.push(nodeDigest(content, 0, 8));
    }
    assert.deepEqual(await pool.hash(second), expected);
  });

  test('two concurrent runs on one pool each get their own digests', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const pool = new HashPool({ threads: 2 });
    t.after(() => pool.close());
    const make = (prefix: string) => {
      const jobs: HashJob[] = [];
      const expected: string[] = [];
      for (let i = 0; i < 20; i++) {
        const content = Buffer.from(`${prefix}-${i}`.repeat(1000));
        const path = join(dir, `${prefix}-${i}`);
        writeFileSync(path, content);
        jobs.push({ path, start: 0, end: content.length });
        expected.push(nodeDigest(content, 0, content.length));
      }
      return { jobs, expected };
    };
    const a = make('a');
    const b = make('b');
    const [ra, rb] = await Promise.all([pool.hash(a.jobs), pool.hash(b.jobs)]);
    assert.deepEqual(ra, a.expected);
    assert.deepEqual(rb, b.expected);
  });
});
