/**
 * retry (operator): give a failed job a fresh set of attempts, due now, and wake
 * the workers. Its last error stays until it succeeds.
 */
import { JOBS_CHANNEL, JobQueueError, type Queryable } from './job.js';

export async function retryJob(db: Queryable, id: string): Promise<void> {
  const { rows } = await db.query<{ type: string; status: string; updated: boolean }>(
    `with target as (select id, type, status from public.job_queue where id = $1::uuid),
     updated as (
       update public.job_queue j
          set status = 'pending', retry_count = 0, run_at = now(), completed_at = null,
              locked_by = null, locked_until = null, updated_at = now(),
              dedupe_key = case when exists (
                             select 1 from public.job_queue p
                             where p.type = j.type and p.dedupe_key = j.dedupe_key and p.status = 'pending')
                           then null else j.dedupe_key end
         from target
        where j.id = target.id and target.status = 'failed'
       returning j.id
     )
     select t.type, t.status, exists (select 1 from updated) as updated from target t`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new JobQueueError('job_not_found', `no job ${id}`);
  if (!row.updated) throw new JobQueueError('job_wrong_state', `job ${id} is ${row.status}; only failed jobs can be retried`);
  await db.query('select pg_notify($1::text, $2::text)', [JOBS_CHANNEL, JSON.stringify({ types: [row.type], count: 1 })]);
}
