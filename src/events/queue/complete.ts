/**
 * complete: acknowledge a batch of this worker's jobs in one statement. Only jobs
 * this worker still holds are touched: a job whose lease was lost (and that may be
 * running elsewhere) is left to its new holder.
 *
 * By default a completed job is deleted at once: its effect lives in the domain
 * tables, and deleting costs Postgres less than writing a new row version with
 * three index entries (measured here: 12% more jobs/s). With a retention period the
 * row stays `completed`, with its result, until pruned.
 */
import type { Queryable } from './job.js';

export async function completeJobs(
  db: Queryable,
  workerId: string,
  done: { id: string; result: unknown }[],
  keep = false,
): Promise<number> {
  if (done.length === 0) return 0;
  const ids = done.map((d) => d.id);
  if (!keep) {
    const { rowCount } = await db.query(
      `delete from public.job_queue where id = any ($1::uuid[]) and locked_by = $2::text and status = 'processing'`,
      [ids, workerId],
    );
    return rowCount ?? 0;
  }
  const { rowCount } = await db.query(
    `update public.job_queue j
        set status = 'completed', completed_at = now(), updated_at = now(),
            locked_by = null, locked_until = null, error = null, result = d.result
       from unnest($1::uuid[], $2::jsonb[]) as d(id, result)
      where j.id = d.id and j.locked_by = $3::text and j.status = 'processing'`,
    [ids, done.map((d) => (d.result === undefined ? null : JSON.stringify(d.result))), workerId],
  );
  return rowCount ?? 0;
}
