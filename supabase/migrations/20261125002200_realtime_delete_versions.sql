-- A DELETE reaches only subscribers who could read the deleted row (local gateway only;
-- issue 12, defect 4).
--
-- Until now a DELETE NOTIFYed the row's primary key (migration 1400) and the gateway sent
-- that key to every subscriber of the table, unchecked, as Supabase Realtime does: for
-- journey_summaries and journey_lab_series the key is the profile id, so a stranger
-- subscribed to those tables learnt other families' profile ids and when their journeys
-- changed. The row is gone when the gateway handles the change, so there is nothing left
-- to read as the subscriber.
--
-- Now a DELETE keeps the deleted rows (the statement's old transition table) in
-- private.realtime_row_versions exactly as INSERT and UPDATE keep the rows they wrote,
-- with their profile_id, and NOTIFYs their version ids. The gateway evaluates the
-- table's own select policies (read from pg_policy, not restated anywhere) against each
-- stored old row, as each subscriber, and delivers the DELETE only to those for whom
-- they hold (src/realtime/deleted-row-access.ts).
--
-- Every trigger of this function declares its transition table as `changed_rows`: the
-- new rows for INSERT and UPDATE, the old rows for DELETE (migration 1400), so one
-- statement serves all three operations. The trigger arguments (the key columns)
-- are no longer needed; the triggers still pass them, and they are ignored.
--
-- Payload, for every operation: {"s", "t", "op", "ts", "v": [version id, ...]}; no key
-- and no row data, so nothing of a row (not even the md5 of a lab series' analyte)
-- travels in a NOTIFY. Ids are bigints (≤ 20 bytes each): 300 a chunk stay far below
-- NOTIFY's 8000 bytes.
--
-- Cost: as before, nothing unless a gateway heartbeats; while one does, a DELETE now
-- also inserts its rows into the unlogged version table (kept five minutes), as
-- INSERT and UPDATE already did.

create or replace function private.realtime_notify_changes() returns trigger
language plpgsql security definer set search_path = '' set timezone = 'UTC' as $$
declare
  ts text;
  payload text;
begin
  -- The only work a write does when no gateway listens (the normal case).
  if not exists (
    select 1 from private.realtime_gateways g where g.seen_at > now() - interval '30 seconds'
  ) then
    return null;
  end if;
  -- One statement time for all of its chunks.
  ts := to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

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
end
$$;
revoke all on function private.realtime_notify_changes() from public, anon, authenticated;
