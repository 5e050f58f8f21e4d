/**
 * HashPool scheduling (issue 12, defect 1): a model of two big files must put
 * one file on each core, whatever the small files around them. Asserts on
 * which worker got which job (the pool's onDispatch hook), never on timing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashPool, type HashJob } from '../../src/models/index.js';
import { planBatches, threadCount } from '../../src/models/hash-pool.js';
import { expectRejects, makeTempDir, removeDir } from '../helpers/model.js';

const MiB = 1024 * 1024;

interface Model {
  jobs: HashJob[];
  expected: string[];
}

/** `big` files of `bigMiB` MiB (each different) and `small` files of 1 KiB. */
function model(dir: string, big: number, bigMiB: number, small: number): Model {
  const jobs: HashJob[] = [];
  const expected: string[] = [];
  const add = (name: string, data: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    jobs.push({ path, start: 0, end: data.length });
    expected.push(createHash('sha256').update(data).digest('hex'));
  };
  for (let i = 0; i < small; i++) add(`small-${i}.json`, Buffer.alloc(1024, i));
  for (let i = 0; i < big; i++) add(`model-0000${i + 1}.safetensors`, Buffer.alloc(bigMiB * MiB, 0x41 + i));
  return { jobs, expected };
}

/** Runs the pool and returns, for each job index, the worker that hashed it. */
async function assignment(pool: HashPool, m: Model): Promise<number[]> {
  const workerOf: number[] = new Array<number>(m.jobs.length).fill(-1);
  const digests = await pool.hash(m.jobs, {
    onDispatch: (worker, indexes) => {
      for (const i of indexes) {
        assert.equal(workerOf[i], -1, `job ${i} dispatched twice`);
        workerOf[i] = worker;
      }
    },
  });
  assert.deepEqual(digests, m.expected, 'digests are right and in job order');
  assert.ok(
    workerOf.every((w) => w >= 0),
    'every job was dispatched',
  );
  return workerOf;
}

describe('HashPool scheduling', () => {
  test('two equal big files go to two different workers (2 threads), with or without small files', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const pool = new HashPool({ threads: 2 });
    t.after(() => pool.close());
    for (const small of [0, 100]) {
      const m = model(dir, 2, 33, small);
      const workerOf = await assignment(pool, m);
      const bigWorkers = workerOf.slice(small);
      assert.equal(
        new Set(bigWorkers).size,
        2,
        `the two big files were hashed by workers ${bigWorkers.join(' and ')} (${small} small files)`,
      );
    }
  });

  test('four big files: both workers get big files on two threads; one each on four threads', async (t) => {
    const dir = makeTempDir();
    t.after(() => removeDir(dir));
    const m = model(dir, 4, 33, 50);
    for (const threads of [2, 4]) {
      const pool = new HashPool({ threads });
      try {
        const bigWorkers = (await assignment(pool, m)).slice(50);
        const perWorker = new Map<number, number>();
        for (const w of bigWorkers) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
        // Which worker gets the third and fourth file on two threads depends on who finishes first.
        assert.equal(perWorker.size, threads, `big files per worker with ${threads} threads: ${JSON.stringify([...perWorker])}`);
      } finally {
        await pool.close();
      }
    }
  });

  test('batches are planned largest first; a big job is a batch alone', () => {
    const jobs: HashJob[] = [
      { path: 'a', start: 0, end: 10 },
      { path: 'b', start: 0, end: 100 * MiB },
      { path: 'c', start: 0, end: 20 },
      { path: 'd', start: 0, end: 200 * MiB },
    ];
    const batches = planBatches(jobs);
    assert.deepEqual(
      batches.map((b) => b.indexes),
      [[3], [1], [2, 0]],
    );
  });

  test('--threads 0 (and negative, fractional) is refused with E_USAGE', async () => {
    assert.throws(
      () => new HashPool({ threads: 0 }),
      (e: unknown) => (e as { code?: string }).code === 'E_USAGE' && /at least 1, got 0/.test(String((e as Error).message)),
    );
    assert.throws(() => new HashPool({ threads: -1 }), /at least 1/);
    assert.throws(() => new HashPool({ threads: 1.5 }), /at least 1/);
    assert.equal(threadCount(3), 3);
    assert.ok(threadCount(undefined) >= 1);
    await expectRejects(
      Promise.resolve().then(() => new HashPool({ threads: 0 })),
      'E_USAGE',
    );
  });
});
