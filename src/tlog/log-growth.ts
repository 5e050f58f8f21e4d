import type { Kysely } from 'kysely';
import type { Database } from '../store/db/schema.js';

/** One point of the log's growth: the tree had `size` entries from `at` (its checkpoint's signing time). */
export interface GrowthPoint {
  readonly size: number;
  readonly at: string;
}

/** At most this many points, however many checkpoints the log signed (one per append). */
export const MAX_GROWTH_POINTS = 200;

/**
 * The log's size over time from the checkpoints it signed (`tlog_checkpoints`,
 * one per append), sampled at `points` evenly spaced sizes: each sample is
 * one indexed lookup of the first checkpoint at or above that size, so the
 * cost does not grow with the log.
 */
export async function logGrowth(db: Kysely<Database>, points: number): Promise<GrowthPoint[]> {
  const n = Math.max(2, Math.min(MAX_GROWTH_POINTS, Math.floor(points)));
  const last = await db.selectFrom('tlog_checkpoints').select(['size', 'created_at']).orderBy('size', 'desc').limit(1).executeTakeFirst();
  if (last === undefined) return [];
  const max = Number(last.size);
  const out: GrowthPoint[] = [];
  let floor = -1;
  for (let i = 0; i < n - 1; i++) {
    const target = Math.floor((max * i) / (n - 1));
    if (target <= floor) continue;
    const row = await db
      .selectFrom('tlog_checkpoints')
      .select(['size', 'created_at'])
      .where('size', '>=', target)
      .orderBy('size', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined || Number(row.size) >= max) break;
    floor = Number(row.size);
    out.push({ size: floor, at: row.created_at });
  }
  out.push({ size: max, at: last.created_at });
  return out;
}
