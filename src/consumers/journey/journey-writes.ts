/**
 * Keeps the journey versions' table small (migration 2000): each profile's counted
 * writes folded into one row of the same total, so a version check reads one or a
 * few index rows; rows of deleted profiles dropped. Run every few minutes by the api
 * and by the cron; safe to run concurrently.
 */
import type { Queryable } from '../../events/queue/job.js';

export async function compactJourneyWrites(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ changed: number }>(`select private.compact_journey_writes() as changed`);
  return rows[0]?.changed ?? 0;
}
