/**
 * prune: keeps the live table small. Completed jobs go after their retention (the
 * result has been read by then); failed jobs, the dead letters, are kept longer
 * for the operator. Deletes in slices so a large backlog never holds long locks.
 */
import type { Queryable } from './job.js';

export async function pruneJobs(
  db: Queryable,
  retention: { completedHours: number; failedDays: number },
  sliceSize = 5000,
): Promise<{ completed: number; failed: number }> {
  const prune = async (status: 'completed' | 'failed', olderThanSeconds: number): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rowCount } = await db.query(
        `delete from public.job_queue where id in (
           select id from public.job_queue
           where status = $1::text and completed_at < now() - make_interval(secs => $2::float8)
           limit $3::int
         )`,
        [status, olderThanSeconds, sliceSize],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < sliceSize) return total;
    }
  };
  return {
    completed: await prune('completed', retention.completedHours * 3600),
    failed: await prune('failed', retention.failedDays * 86400),
  };
}
