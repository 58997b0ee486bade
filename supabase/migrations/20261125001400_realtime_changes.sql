-- Change feed for the local Realtime gateway (src/realtime/change-feed.ts).
--
-- On real Supabase, Supabase's own Realtime reads the WAL of the `supabase_realtime`
-- publication and this gateway never runs. Locally there is no such server, so the
-- published tables get statement-level triggers that NOTIFY channel
-- `guardian_realtime` with KEYS ONLY; the gateway reads the rows back as each
-- subscriber (so RLS decides), which also keeps every payload small whatever the row.
--
-- Cost rule: a NOTIFY in a writing transaction takes a database-wide lock across the
-- commit's WAL flush and loses group commit (DESIGN.md: one-row inserts fall to ~45%
-- of their rate). The journey consumer writes these tables constantly, and in
-- production nobody listens. So the trigger first checks `private.realtime_gateways`,
-- which a running gateway heartbeats every 5 s, and does nothing unless a row is
-- younger than 30 s (six missed beats: a gateway that died stops costing anything
-- within half a minute). Writes without a gateway pay one lookup in a tiny table.
--
-- Payload (JSON text, always far below NOTIFY's 8000-byte limit):
--   {"s": schema, "t": table, "op": "INSERT"|"UPDATE"|"DELETE", "ts": statement time,
--    "k": [[pk value, ...], ...]}
-- One key per changed row, primary-key columns in index order, as text. uuid and
-- integer columns are sent as they are; any other column (e.g. journey_lab_series'
-- series_key, an analyte name or LOINC code: health information) is sent as md5 of
-- its text, so no PHI ever travels in a payload. Keys are bounded (≤ 40 characters a
-- column), so a chunk of n keys has a known maximum size; see `per_chunk` below.

-- Gateways that are listening now, one row each. Unlogged: soft state that must be
-- cheap to write (a heartbeat every 5 s); lost on a crash, rewritten at the next beat.
create unlogged table private.realtime_gateways (
  gateway_id text primary key,
  seen_at timestamptz not null default now()
);
alter table private.realtime_gateways enable row level security;
revoke all on private.realtime_gateways from public, anon, authenticated;
grant all on private.realtime_gateways to service_role;

-- tg_argv: the primary-key columns as 'name:r' (raw: uuid or integer) or 'name:h'
-- (hashed). Every trigger of this function names its transition table `changed_rows`
-- (new rows for INSERT and UPDATE, old rows for DELETE).
create or replace function private.realtime_notify_changes() returns trigger
language plpgsql security definer set search_path = '' as $$
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

  foreach arg in array tg_argv loop
    if right(arg, 2) = ':h' then
      key_exprs := key_exprs || format('md5(c.%I::text)', left(arg, -2));
    else
      key_exprs := key_exprs || format('c.%I::text', left(arg, -2));
    end if;
  end loop;
  -- A key costs at most 43 bytes a column (36-character uuid, 32-character md5 or a
  -- 20-digit bigint, plus quotes and a comma) plus 3 for its brackets; the envelope
  -- is under 200 bytes (names ≤ 63 bytes each). 6,000 bytes of keys leaves > 1,800
  -- bytes of headroom under 8,000: 139 one-column keys or 69 two-column keys a chunk.
  per_chunk := greatest(1, 6000 / (array_length(tg_argv, 1) * 43 + 3));
  ts := to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

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

-- One trigger per event (a trigger with transition tables may have only one event),
-- on every table published to supabase_realtime at this point that has a primary key.
do $$
declare
  r record;
  pk_args text;
begin
  for r in
    select pt.schemaname, pt.tablename, c.oid as relid
    from pg_publication_tables pt
    join pg_namespace n on n.nspname = pt.schemaname
    join pg_class c on c.relnamespace = n.oid and c.relname = pt.tablename
    where pt.pubname = 'supabase_realtime'
    order by 1, 2
  loop
    select string_agg(
             quote_literal(a.attname || case when a.atttypid in ('uuid'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype)
                                             then ':r' else ':h' end),
             ', ' order by k.ord)
      into pk_args
    from pg_index i
    cross join unnest(i.indkey) with ordinality as k(attnum, ord)
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
    where i.indrelid = r.relid and i.indisprimary;
    if pk_args is null then
      raise notice 'realtime: %.% has no primary key; no change feed for it', r.schemaname, r.tablename;
      continue;
    end if;
    execute format('create trigger realtime_notify_insert after insert on %I.%I referencing new table as changed_rows '
                   'for each statement execute function private.realtime_notify_changes(%s)', r.schemaname, r.tablename, pk_args);
    execute format('create trigger realtime_notify_update after update on %I.%I referencing new table as changed_rows '
                   'for each statement execute function private.realtime_notify_changes(%s)', r.schemaname, r.tablename, pk_args);
    execute format('create trigger realtime_notify_delete after delete on %I.%I referencing old table as changed_rows '
                   'for each statement execute function private.realtime_notify_changes(%s)', r.schemaname, r.tablename, pk_args);
  end loop;
end
$$;
