/**
 * Leases: a worker extends the lease of every job it holds on a timer (heartbeat),
 * and hands back, without counting an attempt, the jobs it will not finish (release,
 * on graceful shutdown).
 */
import type { Queryable } from './job.js';

/** Extends leases; returns the ids this worker still holds (others were rescued). */
export async function heartbeatJobs(db: Queryable, workerId: string, ids: string[], leaseMs: number): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `update public.job_queue
        set locked_until = now() + make_interval(secs => $3::float8 / 1000)
      where id = any ($1::uuid[]) and locked_by = $2::text and status = 'processing'
      returning id`,
    [ids, workerId, leaseMs],
  );
  return new Set(rows.map((r) => r.id));
}

/** Returns held jobs to pending, due now, with no attempt counted. */
export async function releaseJobs(db: Queryable, workerId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { rowCount } = await db.query(
    `update public.job_queue j
        set status = 'pending', started_at = null, locked_by = null, locked_until = null,
            run_at = now(), updated_at = now(),
            dedupe_key = case when exists (
                           select 1 from public.job_queue p
                           where p.type = j.type and p.dedupe_key = j.dedupe_key and p.status = 'pending' and p.id <> j.id)
                         then null else j.dedupe_key end
      where j.id = any ($1::uuid[]) and j.locked_by = $2::text and j.status = 'processing'`,
    [ids, workerId],
  );
  return rowCount ?? 0;
}
