/**
 * complete: mark a batch of this worker's jobs done in one statement. Only jobs
 * this worker still holds are touched: a job whose lease was lost (and that may be
 * running elsewhere) is left to its new holder.
 */
import type { Queryable } from './job.js';

export async function completeJobs(
  db: Queryable,
  workerId: string,
  done: { id: string; result: unknown }[],
): Promise<number> {
  if (done.length === 0) return 0;
  const { rowCount } = await db.query(
    `update public.job_queue j
        set status = 'completed', completed_at = now(), updated_at = now(),
            locked_by = null, locked_until = null, error = null, result = d.result
       from unnest($1::uuid[], $2::jsonb[]) as d(id, result)
      where j.id = d.id and j.locked_by = $3::text and j.status = 'processing'`,
    [done.map((d) => d.id), done.map((d) => (d.result === undefined ? null : JSON.stringify(d.result))), workerId],
  );
  return rowCount ?? 0;
}
