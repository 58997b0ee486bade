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
create or replace function private.can_read_all(p_profile uuid, p_categories text[]) returns boolean
language sql stable security definer set search_path = '' as $$
  select private.is_member(p_profile)
      or not exists (
        select 1 from unnest(p_categories) c(category)
        where not private.has_grant(p_profile, c.category)
      )
$$;
revoke all on function private.can_read_all(uuid, text[]) from public;
grant execute on function private.can_read_all(uuid, text[]) to anon, authenticated, service_role;

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
  for select to authenticated using (private.can_read(profile_id, category));
create policy "readers of observations read lab series" on public.journey_lab_series
  for select to authenticated using (private.can_read(profile_id, 'observations'));
create policy "readers of observations read lab points" on public.journey_lab_points
  for select to authenticated using (private.can_read(profile_id, 'observations'));
create policy "readers of every summarised category read the summary" on public.journey_summaries
  for select to authenticated
  using (private.can_read_all(profile_id, array['medications', 'conditions', 'allergies', 'observations']));

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
