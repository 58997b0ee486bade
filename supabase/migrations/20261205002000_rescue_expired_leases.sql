-- The lease rescue, in one place for both schedulers: the worker's and the Render
-- cron's `expired_leases` sweep (src/events/queue/rescue.ts) and the database's own
-- pg_cron job `mark-stale-jobs` (next migration) call the same function.
--
-- A job whose lease expired belongs to a worker that died (SIGKILL, OOM, a lost host).
-- It is retried with the lost attempt counted, so a job that kills its worker every
-- time still ends in `failed` after max_retries instead of looping forever, and it
-- waits its backoff first, as a job whose handler threw does: a job that crashed its
-- worker is the likeliest to crash the next one, and a fleet restarting after an outage
-- should not be handed every rescued job at the same instant.

-- The delay before the next attempt after p_retry_count earlier failures: the queue's
-- default policy (src/events/queue/backoff.ts DEFAULT_BACKOFF), exponential from 1 s,
-- capped at 1 hour, with equal jitter (half fixed, half random): 0.5-1 s, 1-2 s, 2-4 s ...
-- test/events/queue.test.ts holds the two to the same bounds.
create or replace function private.job_retry_delay(p_retry_count integer) returns interval
language sql volatile
set search_path = ''
as $$
  select make_interval(secs => round(ceiling_ms / 2 + random() * ceiling_ms / 2) / 1000.0)
    from (select least(3600000.0, 1000.0 * power(2.0, least(greatest(p_retry_count, 0), 30))) as ceiling_ms) policy
$$;

-- Rescues at most p_limit expired leases, oldest first; returns each rescued job with
-- where it went (pending, due at run_at after its backoff, or failed). Skip locked:
-- several workers, the Render cron and pg_cron may sweep at once without waiting on,
-- or counting, one another's rows. A job returning to pending while an identical one
-- (same de-duplication key) is pending gives up its key, as a failed attempt does.
create or replace function private.rescue_expired_leases(p_limit integer default 1000)
returns table (id uuid, type text, status text, run_at timestamptz)
language sql volatile security definer
set search_path = ''
as $$
  update public.job_queue j
     set retry_count = j.retry_count + 1,
         status = case when j.retry_count + 1 > j.max_retries then 'failed' else 'pending' end,
         completed_at = case when j.retry_count + 1 > j.max_retries then now() end,
         run_at = case when j.retry_count + 1 > j.max_retries then j.run_at
                       else now() + private.job_retry_delay(j.retry_count) end,
         dedupe_key = case when exists (
                        select 1 from public.job_queue p
                         where p.type = j.type and p.dedupe_key = j.dedupe_key and p.status = 'pending' and p.id <> j.id)
                      then null else j.dedupe_key end,
         error = 'lease expired: worker ' || coalesce(j.locked_by, '?') || ' stopped before finishing',
         locked_by = null, locked_until = null, updated_at = now()
   where j.id = any (array(
           select q.id from public.job_queue q
            where q.status = 'processing' and q.locked_until < now()
            order by q.locked_until
            limit p_limit
              for update skip locked))
  returning j.id, j.type, j.status, j.run_at
$$;

-- Queue maintenance is the service's, never a client's: the API roles reach the queue
-- through nothing (its table grants are revoked too); the service role may sweep, as it
-- may use the queue.
revoke all on function private.job_retry_delay(integer), private.rescue_expired_leases(integer)
  from public, anon, authenticated;
grant execute on function private.rescue_expired_leases(integer) to service_role;
