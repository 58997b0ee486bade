/**
 * rescue: jobs whose lease expired belong to a worker that died (SIGKILL, OOM, lost
 * host). They are retried after their backoff, with the lost attempt counted, so a job
 * that kills its worker every time still ends in `failed` after max_retries instead of
 * looping forever. The policy lives in one SQL function, private.rescue_expired_leases
 * (supabase/migrations), which the database's pg_cron job `mark-stale-jobs` calls too.
 */
import type { Queryable } from './job.js';

/** A rescued job back in pending: no NOTIFY announces it, so a worker looks for it when it falls due. */
export interface RescuedJob {
  type: string;
  runAt: Date;
}

export interface RescueOutcome {
  retried: number;
  failed: number;
  /** The retried jobs, due after their backoff. */
  due: RescuedJob[];
}

export async function rescueExpiredLeases(db: Queryable, limit = 1000): Promise<RescueOutcome> {
  const { rows } = await db.query<{ type: string; status: 'pending' | 'failed'; run_at: Date }>(
    'select type, status, run_at from private.rescue_expired_leases($1::int)',
    [limit],
  );
  const due = rows.filter((r) => r.status === 'pending').map((r) => ({ type: r.type, runAt: r.run_at }));
  return { retried: due.length, failed: rows.length - due.length, due };
}
