-- The healthcare journey: per profile, a timeline, a current summary and lab trend
-- series, kept up to date by the `recompute_journey` consumer and watched live by
-- clients (every table here is in the supabase_realtime publication).
--
-- Incremental by design: the derived-job triggers also record *which* rows changed
-- (private.journey_changes), so a recompute touches only the timeline entries and
-- series those rows belong to, whatever the size of the profile's history.

-- 1. The change log the journey consumer drains. One row per changed record; written
--    in the same statement-level trigger that records the derived job, so a change and
--    its job commit together. Ids only, no PHI.
--    No primary key and one index: this table is written on every clinical insert and
--    each index costs the writer. The consumer reads a profile's rows as a set.
--    Measured (bench:queue, 4 one-row writers): trigger_ratio 0.84 before the change log,
--    0.72 with an identity key and two indexes, 0.73 in this shape.
create table private.journey_changes (
  profile_id uuid not null,
  source text not null,         -- the table: observations, medications, documents, ...
  record_id uuid not null,
  op "char" not null check (op in ('I', 'U', 'D')),
  changed_at timestamptz not null default now()
);
create index journey_changes_profile_idx on private.journey_changes (profile_id);
alter table private.journey_changes enable row level security;
revoke all on private.journey_changes from public, anon, authenticated;
grant all on private.journey_changes to service_role;

create or replace function private.enqueue_derived_jobs() returns trigger
language plpgsql security definer set search_path = '' as $$
begin
  -- Due one second from now: changes arriving meanwhile (the rest of a document's
  -- records, a user's edits) fold into the same pending job, and a job not yet due
  -- sends no NOTIFY, so domain writes never pay for one. Workers find these jobs on
  -- their poll (JOB_POLL_INTERVAL_MS, 1 s by default).
  insert into public.job_queue (type, payload, dedupe_key, run_at)
  select t.type, jsonb_build_object('profile_id', c.profile_id), c.profile_id::text, now() + interval '1 second'
  from (select distinct profile_id from changed_rows) c
  cross join unnest(tg_argv) as t(type)
  -- Probe first: under a burst the pending job usually exists, and a plain index
  -- lookup is cheaper than a speculative insert that then conflicts.
  where not exists (
    select 1 from public.job_queue q
    where q.type = t.type and q.dedupe_key = c.profile_id::text and q.status = 'pending'
  )
  on conflict (type, dedupe_key) where dedupe_key is not null and status = 'pending' do nothing;

  if 'recompute_journey' = any (tg_argv) then
    insert into private.journey_changes (profile_id, source, record_id, op)
    select c.profile_id, tg_table_name, c.id, left(tg_op, 1)::"char" from changed_rows c;
  end if;
  return null;
end
$$;

-- 2. Indexes that keep a recompute independent of history: each looks up one
--    record's neighbours (the same day's results, the profile's active items).
create index observations_profile_occurred_idx
  on public.observations (profile_id, (coalesce(effective_at, created_at)));
create index medications_profile_active_idx on public.medications (profile_id) where status = 'active';
create index conditions_profile_active_idx on public.conditions (profile_id)
  where clinical_status in ('active', 'recurrence', 'relapse');
create index allergies_profile_active_idx on public.allergies (profile_id) where clinical_status = 'active';
create index documents_profile_in_progress_idx on public.documents (profile_id)
  where status in ('uploaded', 'queued', 'processing');

-- 3. The timeline: one entry per dated event. Results are grouped per source document
--    and day (a lab report is one entry, not forty); everything else is one entry per
--    record (a medication has a start and, when stopped, a stop entry).
create table public.journey_timeline (
  id uuid primary key default gen_random_uuid(),
  profile_id uuid not null references public.profiles (id) on delete cascade,
  entry_key text not null,      -- e.g. results:<document id>:2026-03-02, medication_start:<id>
  kind text not null check (kind in ('encounter', 'document', 'results', 'diagnosis', 'medication_start',
                                     'medication_stop', 'immunization', 'procedure', 'allergy')),
  -- The access-grant category the entry is drawn from (a provider sees an entry only
  -- with a grant for it).
  category text not null,
  occurred_at timestamptz not null,
  title text not null,
  detail jsonb not null default '{}',
  record_table text not null,
  record_ids uuid[] not null,
  document_ids uuid[] not null default '{}',
  updated_at timestamptz not null default now(),
  unique (profile_id, entry_key)
);
create index journey_timeline_profile_occurred_idx on public.journey_timeline (profile_id, occurred_at desc, id);
-- Finds the entries a changed record sits in (its old place, before an edit or delete).
-- fastupdate off: with the default pending list, every lookup after a rebuild (thousands
-- of fresh entries) scanned the whole list; measured at 100,000 records it tripled the
-- cost of a one-record update (bench:journey). Entries are written far less often than
-- they are looked up.
create index journey_timeline_record_ids_idx on public.journey_timeline using gin (record_ids) with (fastupdate = off);

-- 4. Lab trend series: one per analyte (LOINC code, else the normalised name), each
--    point converted to the series' unit.
create table public.journey_lab_series (
  profile_id uuid not null references public.profiles (id) on delete cascade,
  series_key text not null,     -- loinc:2345-7 or name:glucose fasting
  name text not null,
  code_system text,
  code text,
  category text not null,       -- laboratory, vital-signs, other
  unit text,
  point_count integer not null default 0,
  latest_value numeric,
  latest_at timestamptz,
  reference_low numeric,
  reference_high numeric,
  direction text check (direction in ('rising', 'falling', 'stable')),
  updated_at timestamptz not null default now(),
  primary key (profile_id, series_key)
);

create table public.journey_lab_points (
  -- No foreign key to observations: a deleted observation's point must outlive it
  -- until the consumer has read which series it left (the change log says it went).
  observation_id uuid primary key,
  profile_id uuid not null references public.profiles (id) on delete cascade,
  series_key text not null,
  effective_at timestamptz not null,
  value numeric not null,       -- in the series' unit when convertible, else as written
  unit text,
  convertible boolean not null, -- false: a unit that does not convert to the series' unit
  original_value numeric not null,
  original_unit text,
  reference_low numeric,
  reference_high numeric,
  interpretation text,
  document_id uuid
);
create index journey_lab_points_series_idx on public.journey_lab_points (profile_id, series_key, effective_at desc);

-- 5. The current summary, one row per profile, plus what the profile switcher shows.
create table public.journey_summaries (
  profile_id uuid primary key references public.profiles (id) on delete cascade,
  active_medications jsonb not null default '[]',
  active_problems jsonb not null default '[]',
  allergies jsonb not null default '[]',
  latest_vitals jsonb not null default '[]',
  counts jsonb not null default '{}',
  documents_in_progress integer not null default 0,
  open_alerts integer not null default 0,
  last_activity_at timestamptz,
  updated_at timestamptz not null default now()
);

-- Read access: entries by their category; series and points are observations; the
-- summary mixes medications, problems, allergies and vitals, so a provider needs all
-- four grants to read it.
--
-- The policies ask "is this row's profile among the caller's readable profiles?" with
-- a set computed once per query, rather than calling private.can_read() per row:
-- security-definer functions are not inlined, and per row they cost ~35 µs for a
-- member and ~90 µs for a provider (measured on a 1,000-point report: 42 ms → 8.5 ms).
create or replace function private.can_read_all(p_profile uuid, p_categories text[]) returns boolean
language sql stable security definer set search_path = '' as $$
  select private.is_member(p_profile)
      or not exists (
        select 1 from unnest(p_categories) c(category)
        where not private.has_grant(p_profile, c.category)
      )
$$;

-- Who may read which category of which profile, materialised: one row per (user,
-- profile, category, source), kept by triggers on memberships, grants and providers.
-- The journey's policies read it as a plain subquery (hashed once per query) instead of
-- calling security-definer functions, which Postgres cannot inline: measured under 10
-- concurrent readers, a 51-entry timeline page went from 2,500 to 3,500 reads/s and
-- the summary row from 4,000 to 5,900 (a superuser, without RLS, reads ~7,000 / 27,000).
-- Expiry is checked when read (expires_at), so an expired grant stops access at once;
-- revoking deletes the rows in the revoking transaction.
create table private.profile_access (
  user_id uuid not null,
  profile_id uuid not null,
  category text not null,
  source text not null,          -- 'member' or the grant id
  expires_at timestamptz,
  primary key (user_id, profile_id, category, source)
);
create index profile_access_profile_idx on private.profile_access (profile_id);
alter table private.profile_access enable row level security;
revoke all on private.profile_access from public, anon, authenticated;
grant select on private.profile_access to authenticated;
grant all on private.profile_access to service_role;
create policy "users see their own access" on private.profile_access
  for select to authenticated using (user_id = (select auth.uid()));

create or replace function private.refresh_profile_access(p_profiles uuid[]) returns void
language sql security definer set search_path = '' as $$
  delete from private.profile_access a where a.profile_id = any (p_profiles);
  insert into private.profile_access (user_id, profile_id, category, source, expires_at)
  select m.user_id, m.profile_id, c.category, 'member', null
  from public.profile_members m
  cross join unnest(array['documents', 'observations', 'medications', 'conditions', 'allergies',
                          'immunizations', 'encounters', 'procedures']) as c(category)
  where m.profile_id = any (p_profiles)
  union all
  select p.user_id, g.profile_id, c.category, g.id::text, g.expires_at
  from public.access_grants g
  join public.providers p on p.id = g.provider_id and p.user_id is not null
  cross join unnest(g.categories) as c(category)
  where g.profile_id = any (p_profiles) and g.revoked_at is null
  on conflict do nothing;
$$;

create or replace function private.profile_access_changed() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  profiles uuid[];
begin
  -- Each branch names only the transition tables its trigger declares.
  if tg_table_name = 'providers' then
    if tg_op = 'INSERT' then
      profiles := array(select g.profile_id from public.access_grants g where g.provider_id in (select id from changed_new));
    elsif tg_op = 'DELETE' then
      profiles := array(select g.profile_id from public.access_grants g where g.provider_id in (select id from changed_old));
    else
      profiles := array(select g.profile_id from public.access_grants g
                        where g.provider_id in (select id from changed_new union select id from changed_old));
    end if;
  elsif tg_op = 'INSERT' then
    profiles := array(select distinct profile_id from changed_new);
  elsif tg_op = 'DELETE' then
    profiles := array(select distinct profile_id from changed_old);
  else
    profiles := array(select profile_id from changed_new union select profile_id from changed_old);
  end if;
  perform private.refresh_profile_access(profiles);
  return null;
end
$$;
revoke all on function private.refresh_profile_access(uuid[]), private.profile_access_changed() from public;

do $$
declare
  t text;
begin
  foreach t in array array['profile_members', 'access_grants', 'providers']
  loop
    execute format('create trigger %1$I after insert on public.%2$I referencing new table as changed_new
                      for each statement execute function private.profile_access_changed()',
                   t || '_access_on_insert', t);
    execute format('create trigger %1$I after update on public.%2$I referencing new table as changed_new old table as changed_old
                      for each statement execute function private.profile_access_changed()',
                   t || '_access_on_update', t);
    execute format('create trigger %1$I after delete on public.%2$I referencing old table as changed_old
                      for each statement execute function private.profile_access_changed()',
                   t || '_access_on_delete', t);
  end loop;
end
$$;
-- Memberships and grants made before this migration.
select private.refresh_profile_access(array(select id from public.profiles));

-- Reading a profile row goes through the same materialised access: every api request
-- checks the profile first. Same rule as before (owner, member, live grant).
drop policy "members read their profiles" on public.profiles;
drop policy "granted providers read the profile" on public.profiles;
create policy "members and granted providers read the profile" on public.profiles
  for select to authenticated
  using (owner_id = (select auth.uid()) or id in (
    select a.profile_id from private.profile_access a
    where a.user_id = (select auth.uid()) and (a.expires_at is null or a.expires_at > now())));
do $$
declare
  t text;
begin
  foreach t in array array['journey_timeline', 'journey_lab_series', 'journey_lab_points', 'journey_summaries']
  loop
    execute format('revoke all on public.%I from anon, authenticated', t);
    execute format('grant select on public.%I to authenticated', t);
    execute format('grant all on public.%I to service_role', t);
    execute format('alter table public.%I enable row level security', t);
    execute format('alter publication supabase_realtime add table public.%I', t);
  end loop;
end
$$;

create policy "readers of the category read timeline entries" on public.journey_timeline
  for select to authenticated
  using ((profile_id, category) in (
    select a.profile_id, a.category from private.profile_access a
    where a.user_id = (select auth.uid()) and (a.expires_at is null or a.expires_at > now())));
create policy "readers of observations read lab series" on public.journey_lab_series
  for select to authenticated
  using (profile_id in (
    select a.profile_id from private.profile_access a
    where a.user_id = (select auth.uid()) and a.category = 'observations' and (a.expires_at is null or a.expires_at > now())));
create policy "readers of observations read lab points" on public.journey_lab_points
  for select to authenticated
  using (profile_id in (
    select a.profile_id from private.profile_access a
    where a.user_id = (select auth.uid()) and a.category = 'observations' and (a.expires_at is null or a.expires_at > now())));
create policy "readers of every summarised category read the summary" on public.journey_summaries
  for select to authenticated
  using (profile_id in (
    select a.profile_id from private.profile_access a
    where a.user_id = (select auth.uid()) and a.category in ('medications', 'conditions', 'allergies', 'observations')
      and (a.expires_at is null or a.expires_at > now())
    group by a.profile_id having count(distinct a.category) = 4));

-- 6. The account-level aggregate for the profile switcher: every profile the caller
--    is a member of, with its open alerts, documents in progress and last activity.
--    A security-invoker view, so the tables' RLS applies; clients that want it live
--    subscribe to journey_summaries (RLS delivers only their profiles' rows).
create view public.account_profiles with (security_invoker = true) as
select p.id as profile_id, p.display_name, p.relationship, m.role,
       coalesce(s.open_alerts, 0) as open_alerts,
       coalesce(s.documents_in_progress, 0) as documents_in_progress,
       s.last_activity_at
from public.profile_members m
join public.profiles p on p.id = m.profile_id
left join public.journey_summaries s on s.profile_id = p.id
where m.user_id = (select auth.uid()) and p.archived_at is null;
revoke all on public.account_profiles from anon, authenticated;
grant select on public.account_profiles to authenticated;
