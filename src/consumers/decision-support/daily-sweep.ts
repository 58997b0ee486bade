/**
 * The daily sweep for time-based rules: an immunisation falls due on a birthday, with
 * no data changing. Once per UTC day (whoever runs first: the cron job or a worker's
 * timer, see src/sweeps), every live profile with a birth date gets an
 * `evaluate_rules` job, deduplicated against one already pending.
 */
import type { Pool } from '../../db/pool.js';
import { inTransaction } from '../../db/transaction.js';
import { JOB_TYPES } from '../../events/job-types.js';

export const DAILY_SWEEP = 'cds_daily';

/** How many profiles were queued, or null when today's sweep had already run. */
export async function runDailySweep(pool: Pool, today: Date = new Date()): Promise<number | null> {
  return inTransaction(pool, async (client) => {
    const claimed = await client.query(
      `insert into private.sweep_runs (name, period) values ($1::text, $2::date) on conflict do nothing`,
      [DAILY_SWEEP, today.toISOString().slice(0, 10)],
    );
    if (claimed.rowCount === 0) return null;
    // Only when some enabled rule is time-based; otherwise nothing can have changed.
    const { rowCount } = await client.query(
      `insert into public.job_queue (type, payload, dedupe_key)
       select $1::text, jsonb_build_object('profile_id', p.id), p.id::text
       from public.profiles p
       where p.archived_at is null and p.birth_date is not null
         and exists (select 1 from public.cds_rules r where r.enabled and r.time_based)
       on conflict (type, dedupe_key) where dedupe_key is not null and status = 'pending' do nothing`,
      [JOB_TYPES.evaluateRules],
    );
    return rowCount ?? 0;
  });
}
