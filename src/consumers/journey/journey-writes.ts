/**
 * Keeps the journey versions' table (private.journey_writes) small: each profile's
 * counted writes folded into one row of the same total, so the check before a kept
 * journey answer is served reads one or a few index rows; rows of deleted profiles
 * dropped. Why: over 10,000 unfolded writes the check ran at a third to a half of its
 * rate, and the api served up to a third fewer journey reads a second (npm run
 * bench:api: check_uncompacted_per_s, journey_cache_on_uncompacted_rps). Run every few
 * minutes by the api and by the cron; safe to run concurrently.
 */
import type { Queryable } from '../../events/queue/job.js';

export async function compactJourneyWrites(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ changed: number }>(`select private.compact_journey_writes() as changed`);
  return rows[0]?.changed ?? 0;
}
