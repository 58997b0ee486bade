/**
 * rescue: jobs whose lease expired belong to a worker that died (SIGKILL, OOM, lost
 * host). The guide's pg_cron job marks them failed after an hour; instead they are
 * retried, with the lost attempt counted, so a job that kills its worker every time
 * still ends in `failed` after max_retries instead of looping forever.
 */
import type { Queryable } from './job.js';

export async function rescueExpiredLeases(db: Queryable, limit = 1000): Promise<{ retried: number; failed: number }> {
  const { rows } = await db.query<{ status: string; n: number }>(
    `with rescued as (
       update public.job_queue j
          set retry_count = j.retry_count + 1,
              status = case when j.retry_count + 1 > j.max_retries then 'failed' else 'pending' end,
              completed_at = case when j.retry_count + 1 > j.max_retries then now() end,
              run_at = now(),
              dedupe_key = case when exists (
                             select 1 from public.job_queue p
                             where p.type = j.type and p.dedupe_key = j.dedupe_key and p.status = 'pending' and p.id <> j.id)
                           then null else j.dedupe_key end,
              error = 'lease expired: worker ' || coalesce(j.locked_by, '?') || ' stopped before finishing',
              locked_by = null, locked_until = null, updated_at = now()
        where j.id = any (array(
          select id from public.job_queue
          where status = 'processing' and locked_until < now()
          order by locked_until
          limit $1::int
          for update skip locked))
       returning j.status
     )
     select status, count(*)::int as n from rescued group by status`,
    [limit],
  );
  const count = (status: string) => rows.find((r) => r.status === status)?.n ?? 0;
  return { retried: count('pending'), failed: count('failed') };
}
