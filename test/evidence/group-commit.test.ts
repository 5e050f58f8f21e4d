import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommitter } from '../../src/evidence/group-commit.js';

test('concurrent submissions are committed together in one flush', async () => {
  const batches: number[][] = [];
  const c = new GroupCommitter<number, number>(async (items) => {
    batches.push(items);
    return items.map((i) => i * 2);
  });
  const results = await Promise.all([1, 2, 3, 4, 5].map((i) => c.submit(i)));
  assert.deepEqual(results, [2, 4, 6, 8, 10]);
  assert.deepEqual(batches, [[1, 2, 3, 4, 5]]);
  assert.equal(c.pending, 0);
});

test('items submitted while a flush runs go into the next one', async () => {
  const batches: number[][] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const c = new GroupCommitter<number, number>(async (items) => {
    batches.push(items);
    if (batches.length === 1) await gate;
    return items;
  });
  const first = c.submit(1);
  await new Promise((r) => setImmediate(r));
  const later = [c.submit(2), c.submit(3)];
  release();
  assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3]);
  assert.deepEqual(batches, [[1], [2, 3]]);
});

test('one bad item fails alone: its neighbours in the batch are retried and succeed', async () => {
  const c = new GroupCommitter<string, string>(async (items) => {
    if (items.includes('bad')) throw new Error('poisoned batch');
    return items.map((i) => i.toUpperCase());
  });
  const outcomes = await Promise.allSettled(['a', 'bad', 'b'].map((i) => c.submit(i)));
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal((outcomes[0] as PromiseFulfilledResult<string>).value, 'A');
  assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /poisoned batch/);
  await c.idle();
  assert.equal(c.pending, 0);
});

test('maxBatch bounds a flush', async () => {
  const sizes: number[] = [];
  const c = new GroupCommitter<number, number>(async (items) => {
    sizes.push(items.length);
    return items;
  }, 2);
  await Promise.all([1, 2, 3, 4, 5].map((i) => c.submit(i)));
  assert.deepEqual(sizes, [2, 2, 1]);
});
