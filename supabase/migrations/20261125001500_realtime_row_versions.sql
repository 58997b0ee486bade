-- The change feed delivers each change's own version of the row (local gateway only).
--
-- Migration 1400 sent keys only and the gateway read the row when it delivered the
-- change, so a row changed twice in quick succession reached clients twice in its
-- later version: a document went 'queued' → 'processing' → 'processing' instead of
-- 'queued' → 'processing' → 'processed'-with-progress. Supabase Realtime sends the
-- version each change wrote (it reads the WAL) and checks visibility against the
-- table as the subscriber; this migration makes the local feed do the same.
--
-- For INSERT and UPDATE the trigger now also keeps the written rows in
-- `private.realtime_row_versions` and NOTIFYs their ids (numbers, still no PHI in a
-- payload). The gateway reads the versions by id, checks with one read per claims set
-- which of those rows the subscriber may see (RLS, as that caller), and delivers the
-- stored versions. DELETE is unchanged: keys only, as before and as Supabase does.
--
-- Cost: only while a gateway heartbeats (the same early return as before), one insert
-- into an unlogged table per changed row. Versions are kept five minutes after they were
-- written (the gateway deletes older ones at each 5 s heartbeat): a transaction that
-- stays open longer than that after writing a published row, or a gateway backlog that
-- old, loses those changes' versions, and the gateway logs it.
--
-- Rows are kept as to_jsonb() renders them with TimeZone UTC (the function sets it), so
-- a timestamp reads "…+00:00" whatever the writer's session time zone.
--
-- Payload for INSERT/UPDATE: {"s", "t", "op", "ts", "v": [version id, ...]}; ids are
-- bigints, ≤ 20 bytes each, so 300 a chunk stay far below NOTIFY's 8000 bytes.

create unlogged table private.realtime_row_versions (
  id bigint generated always as identity primary key,
  -- When the row was written, not when its transaction began (now()).
  written_at timestamptz not null default clock_timestamp(),
  -- Every published table is profile-scoped: who may see a version starts here.
  profile_id uuid,
  record jsonb not null
);
alter table private.realtime_row_versions enable row level security;
revoke all on private.realtime_row_versions from public, anon, authenticated;
grant all on private.realtime_row_versions to service_role;

create or replace function private.realtime_notify_changes() returns trigger
language plpgsql security definer set search_path = '' set timezone = 'UTC' as $$
declare
  key_exprs text[] := '{}';
  arg text;
  per_chunk integer;
  ts text;
  payload text;
begin
  -- The only work a write does when no gateway listens (the normal case).
  if not exists (
    select 1 from private.realtime_gateways g where g.seen_at > now() - interval '30 seconds'
  ) then
    return null;
  end if;
  ts := to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

  if tg_op <> 'DELETE' then
    for payload in
      with kept as (
        insert into private.realtime_row_versions (profile_id, record)
        select (to_jsonb(c) ->> 'profile_id')::uuid, to_jsonb(c) from changed_rows c
        returning id
      )
      select json_build_object('s', tg_table_schema, 't', tg_table_name, 'op', tg_op, 'ts', ts,
                               'v', json_agg(x.id order by x.id))::text
      from (select k.id, (row_number() over (order by k.id) - 1) / 300 as chunk from kept k) x
      group by x.chunk
      order by x.chunk
    loop
      perform pg_notify('guardian_realtime', payload);
    end loop;
    return null;
  end if;

  -- DELETE: keys only, as in migration 1400 (see there for the sizes).
  foreach arg in array tg_argv loop
    if right(arg, 2) = ':h' then
      key_exprs := key_exprs || format('md5(c.%I::text)', left(arg, -2));
    else
      key_exprs := key_exprs || format('c.%I::text', left(arg, -2));
    end if;
  end loop;
  per_chunk := greatest(1, 6000 / (array_length(tg_argv, 1) * 43 + 3));
  for payload in execute format(
    $q$select json_build_object('s', $1::text, 't', $2::text, 'op', $3::text, 'ts', $4::text, 'k', json_agg(x.k))::text
       from (select json_build_array(%s) as k, (row_number() over () - 1) / $5::integer as chunk
             from changed_rows c) x
       group by x.chunk
       order by x.chunk$q$,
    array_to_string(key_exprs, ', '))
    using tg_table_schema, tg_table_name, tg_op, ts, per_chunk
  loop
    perform pg_notify('guardian_realtime', payload);
  end loop;
  return null;
end
$$;
revoke all on function private.realtime_notify_changes() from public, anon, authenticated;
