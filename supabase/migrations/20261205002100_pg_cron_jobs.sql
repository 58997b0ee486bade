-- The database's own maintenance schedule, with pg_cron where the server offers it
-- (Supabase does: "Supabase Cron"). Two jobs, scheduled by name, so running this again
-- or rescheduling in a later migration replaces them instead of adding copies:
--   cleanup-old-sessions  daily at 03:00 UTC: auth sessions idle for 30 days
--   mark-stale-jobs       every 5 minutes: expired job leases back to pending after
--                         their backoff, or failed once out of attempts (the same
--                         function the worker's and the Render cron's sweep call)
-- The Render cron leaves a sweep to the database while its job here is active
-- (src/sweeps/database-cron.ts). Where pg_cron is not offered (a plain PostgreSQL, the
-- embedded one) nothing is scheduled, a notice says why, and the Render cron and the
-- workers do the work as before.

-- A session is old when nobody has used it for 30 days: its last refresh, else its
-- last update, else its creation. A session refreshed yesterday is a signed-in device,
-- however long ago it signed in. Deleting a session deletes its refresh tokens with it
-- (Supabase's foreign keys cascade), which is what signs that device out.
create or replace function private.delete_old_auth_sessions(p_idle interval default interval '30 days')
returns integer
language sql volatile security definer
set search_path = ''
as $$
  with old as (
    delete from auth.sessions s
     where greatest(s.refreshed_at at time zone 'UTC', s.updated_at, s.created_at) < now() - p_idle
    returning 1
  )
  select count(*)::integer from old
$$;

revoke all on function private.delete_old_auth_sessions(interval) from public, anon, authenticated;

-- Enables pg_cron and schedules the jobs, or says why not. A function rather than a
-- one-off block so an operator who enables pg_cron later (preloads it and restarts) can
-- schedule them without a new migration: `select private.schedule_pg_cron_jobs();`.
-- Returns whether the jobs are scheduled.
create or replace function private.schedule_pg_cron_jobs() returns boolean
language plpgsql volatile
set search_path = ''
as $$
declare
  -- Null where the role may not read the setting (not a superuser, as on Supabase):
  -- then the extension is created and the server's own checks decide.
  preload text := (select setting from pg_catalog.pg_settings where name = 'shared_preload_libraries');
  cron_database text := (select setting from pg_catalog.pg_settings where name = 'cron.database_name');
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    if not exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron') then
      raise notice 'pg_cron skipped: the extension is not installed on this server; the Render cron and the workers run the maintenance sweeps';
      return false;
    end if;
    if preload is not null and preload !~ '(^|[\s,"])pg_cron($|[\s,"])' then
      raise notice 'pg_cron skipped: installed but not in shared_preload_libraries; the Render cron and the workers run the maintenance sweeps';
      return false;
    end if;
    if cron_database is not null and cron_database <> pg_catalog.current_database() then
      raise notice 'pg_cron skipped: it runs jobs in database %, not in %; the Render cron and the workers run the maintenance sweeps',
        cron_database, pg_catalog.current_database();
      return false;
    end if;
    -- As Supabase documents it.
    create extension if not exists pg_cron with schema pg_catalog;
  end if;
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'postgres') then
    grant usage on schema cron to postgres;
    grant all privileges on all tables in schema cron to postgres;
  end if;
  perform cron.schedule('cleanup-old-sessions', '0 3 * * *', 'select private.delete_old_auth_sessions()');
  perform cron.schedule('mark-stale-jobs', '*/5 * * * *', 'select count(*) from private.rescue_expired_leases(1000)');
  return true;
end
$$;

revoke all on function private.schedule_pg_cron_jobs() from public, anon, authenticated;

select private.schedule_pg_cron_jobs();
