/**
 * The log's growth for the console (issue 18), on SQLite and the real
 * PostgreSQL: sampled from tlog_checkpoints at evenly spaced sizes, never
 * more points than asked, always ending at the newest checkpoint, and
 * nothing for a log that has signed none.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logGrowth, MAX_GROWTH_POINTS } from '../../src/tlog/log-growth.js';
import { backends } from '../helpers/databases.js';

for (const backend of await backends()) {
  describe(`log growth on ${backend.name}`, { skip: backend.skip }, () => {
    test('samples evenly, ends at the newest checkpoint, and is empty before the first', async () => {
      const fresh = await backend.fresh();
      const index = await fresh.open();
      try {
        await index.migrate();
        assert.deepEqual(await logGrowth(index.db, 10), []);
        const t0 = Date.parse('2026-01-01T00:00:00Z');
        const rows = Array.from({ length: 500 }, (_, i) => ({
          size: i * 3,
          note: `n${i}`,
          created_at: new Date(t0 + i * 1000).toISOString(),
        }));
        await index.db
          .insertInto('tlog_checkpoints')
          .values(rows)
          .onConflict((oc) => oc.column('size').doNothing())
          .execute();
        const points = await logGrowth(index.db, 10);
        assert.equal(points.length, 10);
        assert.deepEqual(points[0], { size: 0, at: rows[0]!.created_at });
        assert.deepEqual(points.at(-1), { size: 1497, at: rows[499]!.created_at });
        for (let i = 1; i < points.length; i++) assert.ok(points[i]!.size > points[i - 1]!.size);
        // Evenly spaced: each sample is the first checkpoint at or above its target size.
        assert.equal(points[1]!.size, 168, 'target 1497/9 = 166 → the checkpoint of 168');
        assert.equal((await logGrowth(index.db, 100_000)).length, MAX_GROWTH_POINTS);
        assert.equal((await logGrowth(index.db, 0)).length, 2, 'at least the first and the last');
      } finally {
        await index.close();
        await fresh.cleanup();
      }
    });
  });
}
