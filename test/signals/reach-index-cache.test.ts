import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReachIndexCache } from '../../src/signals/reach-index-cache.js';
import type { ReachIndex } from '../../src/signals/reach-index.js';
import { indexOf } from '../helpers/reach-graphs.js';

/** A real index of `n` chained nodes (bytes grow with n). */
function chain(n: number): Promise<ReachIndex> {
  const ids = Array.from({ length: n }, (_, i) => `node-${String(i).padStart(4, '0')}`);
  return indexOf(
    ids.map((id, i) => (i === 0 ? `*${id}` : id)),
    ids.slice(1).map((id, i) => [ids[i]!, id] as const),
  );
}

test('concurrent gets of one key share one load; later gets are hits', async () => {
  const cache = new ReachIndexCache(1 << 30);
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const load = async (): Promise<ReachIndex> => {
    loads++;
    await gate;
    return chain(5);
  };
  const pending = [cache.get('g1', load), cache.get('g1', load), cache.get('g1', load)];
  release();
  const got = await Promise.all(pending);
  assert.equal(loads, 1);
  assert.ok(got[0] === got[1] && got[1] === got[2]);
  assert.equal(await cache.get('g1', load), got[0]);
  assert.equal(loads, 1);
  const s = cache.stats();
  assert.deepEqual(
    { entries: s.entries, hits: s.hits, misses: s.misses, evictions: s.evictions },
    { entries: 1, hits: 3, misses: 1, evictions: 0 },
  );
  assert.equal(s.bytes, got[0]!.bytes);
});

test('a failed load is not cached: its waiters all see the error, the next get loads again', async () => {
  const cache = new ReachIndexCache(1 << 30);
  let loads = 0;
  const failing = async (): Promise<ReachIndex> => {
    loads++;
    await Promise.resolve();
    throw new Error('blob missing');
  };
  const results = await Promise.allSettled([cache.get('g', failing), cache.get('g', failing)]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  assert.equal(loads, 1);
  assert.equal(cache.stats().entries, 0);
  // A load that throws synchronously is a rejection too, not an exception out of get().
  await assert.rejects(
    cache.get('g', () => {
      loads++;
      throw new Error('sync');
    }),
    /sync/,
  );
  const idx = await cache.get('g', () => chain(3));
  assert.equal(idx.nodeCount, 3);
  assert.equal(loads, 2);
  assert.equal(cache.stats().entries, 1);
});

test('least recently used indexes go first to stay within the byte bound', async () => {
  const a = await chain(10);
  const b = await chain(10);
  const c = await chain(10);
  const cache = new ReachIndexCache(a.bytes + b.bytes + Math.floor(c.bytes / 2));
  await cache.get('a', async () => a);
  await cache.get('b', async () => b);
  await cache.get('a', async () => assert.fail('a is cached')); // a is now the most recent
  await cache.get('c', async () => c); // evicts b
  const s = cache.stats();
  assert.equal(s.entries, 2);
  assert.equal(s.evictions, 1);
  assert.equal(s.bytes, a.bytes + c.bytes);
  let reloaded = false;
  await cache.get('b', async () => {
    reloaded = true;
    return b;
  });
  assert.equal(reloaded, true);
  await cache.get('c', async () => assert.fail('c is cached'));
});

test('an index larger than the whole bound is returned but not kept, and pushes nothing out', async () => {
  const small = await chain(2);
  const big = await chain(400);
  const cache = new ReachIndexCache(small.bytes * 3);
  assert.ok(big.bytes > small.bytes * 3);
  await cache.get('small', async () => small);
  assert.equal(await cache.get('big', async () => big), big);
  assert.deepEqual({ entries: cache.stats().entries, evictions: cache.stats().evictions }, { entries: 1, evictions: 0 });
  let loads = 0;
  await cache.get('big', async () => {
    loads++;
    return big;
  });
  assert.equal(loads, 1);
});

test('delete forgets a graph, also one still loading', async () => {
  const cache = new ReachIndexCache(1 << 30);
  await cache.get('g', () => chain(3));
  cache.delete('g');
  assert.deepEqual({ entries: cache.stats().entries, bytes: cache.stats().bytes }, { entries: 0, bytes: 0 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const loading = cache.get('h', async () => {
    await gate;
    return chain(3);
  });
  cache.delete('h');
  release();
  assert.equal((await loading).nodeCount, 3);
  assert.equal(cache.stats().entries, 0);
  assert.throws(() => new ReachIndexCache(-1), /not a non-negative/);
});
