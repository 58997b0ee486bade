/**
 * cancel (operator): stop a job that has not started (pending) or will not be
 * retried (failed). It ends `failed` with error "cancelled by operator" and result
 * {"cancelled": true}: the guide's status set has no separate "cancelled", and a
 * cancelled job is, for every reader, one that will not run. A running job cannot be
 * cancelled mid-flight; wait for it or let its worker shut down.
 */
import { JobQueueError, type Queryable } from './job.js';

export async function cancelJob(db: Queryable, id: string): Promise<void> {
  const { rows } = await db.query<{ status: string; updated: boolean }>(
    `with target as (select id, status from public.job_queue where id = $1::uuid),
     updated as (
       update public.job_queue j
          set status = 'failed', error = 'cancelled by operator', result = '{"cancelled": true}'::jsonb,
              completed_at = now(), updated_at = now()
         from target
        where j.id = target.id and target.status in ('pending', 'failed')
       returning j.id
     )
     select t.status, exists (select 1 from updated) as updated from target t`,
    [id],
  );
  const row = rows[0];
  if (!row) throw new JobQueueError('job_not_found', `no job ${id}`);
  if (!row.updated) throw new JobQueueError('job_wrong_state', `job ${id} is ${row.status}; only pending or failed jobs can be cancelled`);
}
