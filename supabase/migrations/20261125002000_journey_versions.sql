-- A version for each profile's journey, so the api can tell whether an answer it gave
-- is still the answer (src/http/api/journey-cache.ts).
--
-- GET /api/healthcare-journey keeps the last answers it gave each user in memory and
-- serves one again only after checking, as that user and under RLS, that the
-- profile's journey version and the categories the user may read now are what they
-- were. The check reads a few index rows instead of running the whole statement
-- (measured at 8 clients: ~11,000 checks/s against ~3,000 journeys/s).
--
-- The version is the number of committed statements that wrote what the journey
-- returns (timeline entries, lab-series headers, the summary): each such statement
-- inserts one row here (weight 1) from a statement-level trigger, and the version is
-- the sum of the weights. Inserts only, never an update of a shared row: writers take
-- no row lock here, so the journey consumer and the rule evaluation (both write the
-- summary) cannot deadlock on it, and a repeatable-read rebuild cannot fail to
-- serialise on it. A write is counted when it commits, whatever order statements
-- started in, so the sum changes with every committed write.
--
-- compact_journey_writes() folds a profile's rows into one carrying their summed
-- weight (the sum, hence the version, is unchanged) and drops the rows of deleted
-- profiles; the api's maintenance timer and the cron run it (as the database owner
-- or service_role).
--
-- The version also names the server's start time: a restore or a failover to a
-- replica that was behind restarts Postgres, so a sum that comes round again there
-- cannot match an answer kept before. TRUNCATE of a journey table (statement
-- triggers do not see its rows) counts a write for every profile.
create table private.journey_writes (
  id bigint generated always as identity primary key,
  profile_id uuid not null,
  weight bigint not null default 1 check (weight > 0)
);
create index journey_writes_profile_idx on private.journey_writes (profile_id) include (weight);
-- Written only by the triggers and compact_journey_writes() (security definer); read
-- only through journey_version(). No policy: no role but the owner touches the rows,
-- and a count that can only grow is what keeps a kept answer honest.
alter table private.journey_writes enable row level security;
revoke all on private.journey_writes from public, anon, authenticated, service_role;
grant select on private.journey_writes to service_role;

-- The profile's journey version for the caller, or null when the caller may not read
-- the profile (members and live grants, as the profile's own policy says). It says
-- only that the journey changed, never what.
-- PL/pgSQL, not SQL: a SQL function that cannot be inlined (security definer) is
-- planned again at every call, a PL/pgSQL one once per session (measured at 8 clients:
-- ~6,700 against ~10,500 checks/s).
create or replace function private.journey_version(p_profile uuid) returns text
language plpgsql stable security definer set search_path = '' as $$
begin
  return (select case when exists (select 1 from private.profile_access a
                                   where a.user_id = (select auth.uid()) and a.profile_id = p_profile
                                     and (a.expires_at is null or a.expires_at > now()))
                 then (select coalesce(sum(w.weight), 0) from private.journey_writes w where w.profile_id = p_profile)::text
                      || '@' || extract(epoch from pg_postmaster_start_time())::text
                 end);
end $$;
revoke all on function private.journey_version(uuid) from public;
grant execute on function private.journey_version(uuid) to authenticated, service_role;

-- Each branch names only the transition tables its trigger declares. An update counts
-- the profiles of the old rows as well as the new (a row moved between profiles
-- changes both).
create or replace function private.count_journey_write() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  if tg_op = 'TRUNCATE' then
    insert into private.journey_writes (profile_id) select p.id from public.profiles p;
  elsif tg_op = 'UPDATE' then
    insert into private.journey_writes (profile_id)
    select profile_id from changed_rows union select profile_id from changed_old;
  else
    insert into private.journey_writes (profile_id) select distinct c.profile_id from changed_rows c;
  end if;
  return null;
end $$;
revoke all on function private.count_journey_write() from public;

do $$
declare
  t text;
begin
  foreach t in array array['journey_timeline', 'journey_lab_series', 'journey_summaries']
  loop
    execute format('create trigger count_journey_write_insert after insert on public.%I
                    referencing new table as changed_rows for each statement execute function private.count_journey_write()', t);
    execute format('create trigger count_journey_write_update after update on public.%I
                    referencing new table as changed_rows old table as changed_old for each statement execute function private.count_journey_write()', t);
    execute format('create trigger count_journey_write_delete after delete on public.%I
                    referencing old table as changed_rows for each statement execute function private.count_journey_write()', t);
    execute format('create trigger count_journey_write_truncate after truncate on public.%I
                    for each statement execute function private.count_journey_write()', t);
  end loop;
end $$;

-- Profiles with more than 20 rows get one row of their summed weight. Two compactions
-- at once are safe: the second skips the rows the first deleted.
create or replace function private.compact_journey_writes() returns integer
language sql security definer set search_path = '' as $$
  with orphans as (
    delete from private.journey_writes w
    where not exists (select 1 from public.profiles p where p.id = w.profile_id)
    returning 1
  ),
  busy as (
    select w.profile_id from private.journey_writes w
    where exists (select 1 from public.profiles p where p.id = w.profile_id)   -- not the orphans' rows again
    group by w.profile_id having count(*) > 20
  ),
  folded as (
    delete from private.journey_writes w where w.profile_id in (select profile_id from busy)
    returning w.profile_id, w.weight
  ),
  kept as (
    insert into private.journey_writes (profile_id, weight)
    select profile_id, sum(weight) from folded group by profile_id
    returning 1
  )
  select ((select count(*) from orphans) + (select count(*) from kept))::int
$$;
revoke all on function private.compact_journey_writes() from public;
grant execute on function private.compact_journey_writes() to service_role;
