-- The event backbone in the database: the table is the truth, NOTIFY is only a wake-up.
--
-- 1. Domain changes record their derived work durably, in the same transaction: a
--    statement on a clinical table or on documents enqueues one de-duplicated job per
--    affected profile and derived pipeline (journey, decision support), due a second
--    later (a debounce). Nothing is lost while no worker listens; a burst of 200
--    records is still one pending job.
-- 2. New due jobs wake workers with one small NOTIFY per statement on channel
--    `guardian_jobs`: {"types": [...], "count": n}; ids and counts only, never PHI,
--    a few hundred bytes at most.
-- 3. NOTIFY is skipped when no worker for those job types is idle. A transaction that
--    notifies takes a database-wide lock at commit and loses group commit (measured
--    here: one-row inserts drop to ~45% of their rate). A busy worker keeps claiming
--    until the queue is empty, then records itself idle and polls once more, so a
--    job is never stranded; the rare one whose insert raced that hand-over waits for
--    the worker's slow poll (JOB_POLL_INTERVAL_MS).

-- Workers waiting for work, one row per worker and job type it found drained.
-- Unlogged: this is soft state (lost on a crash, rebuilt at the next poll) and must
-- be cheap to write.
create unlogged table private.idle_workers (
  worker_id text not null,
  type text not null,
  seen_at timestamptz not null default now(),
  primary key (worker_id, type)
);
alter table private.idle_workers enable row level security;
revoke all on private.idle_workers from public, anon, authenticated;
grant all on private.idle_workers to service_role;

create or replace function private.notify_new_jobs() returns trigger
language plpgsql security definer set search_path = '' as $$
declare
  due_types text[];
  due_count bigint;
begin
  select array_agg(distinct j.type), count(*)
    into due_types, due_count
  from new_jobs j
  where j.run_at <= now() and j.status = 'pending';
  if due_count = 0 then
    return null;
  end if;
  -- Idle rows older than a minute belong to workers that died without saying so.
  if exists (
    select 1 from private.idle_workers w
    where w.type = any (due_types) and w.seen_at > now() - interval '1 minute'
  ) then
    perform pg_notify('guardian_jobs', json_build_object('types', due_types[1:20], 'count', due_count)::text);
  end if;
  return null;
end
$$;

create trigger job_queue_notify_new_jobs after insert on public.job_queue
  referencing new table as new_jobs
  for each statement execute function private.notify_new_jobs();

-- Derived work for changed profiles: the trigger's arguments name the job types.
-- One function for insert, update and delete: each trigger names its transition table
-- `changed_rows` (new rows, or old rows for a delete). A record never moves to another
-- profile (profile_id is not updatable by the API roles), so new rows suffice for an
-- update. Security definer: the caller (a user under RLS) may not touch job_queue.
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
  return null;
end
$$;
revoke all on function private.notify_new_jobs(), private.enqueue_derived_jobs() from public;

-- The tables whose changes feed the healthcare journey and decision support.
do $$
declare
  t text;
begin
  foreach t in array array['documents', 'observations', 'medications', 'conditions', 'allergies',
                           'immunizations', 'encounters', 'procedures']
  loop
    execute format($ddl$
      create trigger %2$I after insert on public.%1$I
        referencing new table as changed_rows
        for each statement execute function private.enqueue_derived_jobs('recompute_journey', 'evaluate_rules');
      create trigger %3$I after update on public.%1$I
        referencing new table as changed_rows
        for each statement execute function private.enqueue_derived_jobs('recompute_journey', 'evaluate_rules');
      create trigger %4$I after delete on public.%1$I
        referencing old table as changed_rows
        for each statement execute function private.enqueue_derived_jobs('recompute_journey', 'evaluate_rules');
    $ddl$, t, t || '_derived_jobs_on_insert', t || '_derived_jobs_on_update', t || '_derived_jobs_on_delete');
  end loop;
end
$$;

-- profile_id is fixed once written: moving a record between people is not an edit
-- (and the derived-work triggers above rely on it). Refused for every role, the
-- service role included; the API roles cannot even name the column in an UPDATE.
create or replace function private.refuse_profile_move() returns trigger
language plpgsql set search_path = '' as $$
begin
  if new.profile_id is distinct from old.profile_id then
    raise exception '%.profile_id cannot change (a record belongs to one profile)', tg_table_name
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;
revoke all on function private.refuse_profile_move() from public;

do $$
declare
  t text;
  cols text;
begin
  foreach t in array array['documents', 'observations', 'medications', 'conditions', 'allergies',
                           'immunizations', 'encounters', 'procedures']
  loop
    execute format('create trigger %I before update of profile_id on public.%I for each row execute function private.refuse_profile_move()',
                   t || '_refuse_profile_move', t);
    -- documents already grants its users update of file_name only.
    continue when t = 'documents';
    select string_agg(quote_ident(column_name), ', ' order by ordinal_position) into cols
    from information_schema.columns
    where table_schema = 'public' and table_name = t
      and column_name not in ('id', 'profile_id', 'created_at', 'updated_at', 'recorded_by');
    execute format('revoke update on public.%I from authenticated', t);
    execute format('grant update (%s) on public.%I to authenticated', cols, t);
  end loop;
end
$$;
