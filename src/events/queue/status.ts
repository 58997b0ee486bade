/** The operator's view of the queue: depth by type and status, age of the oldest due job, recent failures. */
import type { Queryable } from './job.js';

export interface QueueStatus {
  depth: { type: string; status: string; count: number }[];
  oldestPendingAgeSeconds: number | null;
  failures: { id: string; type: string; retryCount: number; failedAt: Date | null; error: string | null }[];
}

export async function queueStatus(db: Queryable, failureLimit = 20): Promise<QueueStatus> {
  const depth = await db.query<{ type: string; status: string; count: number }>(
    `select type, status, count(*)::int as count from public.job_queue group by type, status order by type, status`,
  );
  const oldest = await db.query<{ age: number | null }>(
    `select extract(epoch from now() - min(run_at))::float8 as age
     from public.job_queue where status = 'pending' and run_at <= now()`,
  );
  const failures = await db.query<{ id: string; type: string; retry_count: number; completed_at: Date | null; error: string | null }>(
    `select id, type, retry_count, completed_at, error from public.job_queue
     where status = 'failed' order by completed_at desc nulls last limit $1::int`,
    [failureLimit],
  );
  return {
    depth: depth.rows,
    oldestPendingAgeSeconds: oldest.rows[0]?.age ?? null,
    failures: failures.rows.map((f) => ({ id: f.id, type: f.type, retryCount: f.retry_count, failedAt: f.completed_at, error: f.error })),
  };
}
