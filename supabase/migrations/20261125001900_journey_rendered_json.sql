-- Timeline entries and lab-series headers rendered as the api's JSON when they are
-- written, not each time they are read.
--
-- GET /api/healthcare-journey (src/http/api/journey.ts) returns a page of 50 entries
-- and every series header of a profile; building that JSON with json_build_object on
-- each read was about half of the statement's database time (measured on a
-- 10,000-record profile, 8 clients, both cores busy: ~2,400 statements/s rendering
-- per read, ~4,200 reading the stored text). The journey is read far more often than
-- it is rewritten: a recompute touches a few entries, a page view reads 50.
--
-- A BEFORE trigger renders the column from the row itself, so every writer (the
-- journey consumer, a rebuild, a repair by hand) keeps it right; nothing else may set
-- it. Timestamps are written as the api has always written them: ISO 8601 in UTC with
-- milliseconds; numerics as float8.
alter table public.journey_timeline add column api_json text;
alter table public.journey_lab_series add column api_json text;

create or replace function private.render_journey_timeline_entry() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.api_json := json_build_object(
    'id', new.id, 'kind', new.kind, 'category', new.category,
    'occurred_at', to_char(new.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'title', new.title, 'detail', new.detail, 'record_table', new.record_table,
    'record_ids', new.record_ids, 'document_ids', new.document_ids)::text;
  return new;
end $$;

create or replace function private.render_journey_lab_series_header() returns trigger
language plpgsql set search_path = '' as $$
begin
  new.api_json := json_build_object(
    'series_key', new.series_key, 'name', new.name, 'code_system', new.code_system, 'code', new.code,
    'category', new.category, 'unit', new.unit, 'point_count', new.point_count,
    'latest_value', new.latest_value::float8,
    'latest_at', to_char(new.latest_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'reference_low', new.reference_low::float8, 'reference_high', new.reference_high::float8,
    'direction', new.direction)::text;
  return new;
end $$;

revoke all on function private.render_journey_timeline_entry() from public;
revoke all on function private.render_journey_lab_series_header() from public;

create trigger render_api_json before insert or update on public.journey_timeline
  for each row execute function private.render_journey_timeline_entry();
create trigger render_api_json before insert or update on public.journey_lab_series
  for each row execute function private.render_journey_lab_series_header();

-- Rows written before this migration, rendered by the triggers above. The local
-- Realtime gateway's triggers are off meanwhile: the rows' content does not change, so
-- there is nothing to tell its subscribers. (On Supabase, Realtime reads the WAL and
-- will pass these updates on once.)
alter table public.journey_timeline disable trigger realtime_notify_update;
alter table public.journey_lab_series disable trigger realtime_notify_update;
update public.journey_timeline set api_json = null;
update public.journey_lab_series set api_json = null;
alter table public.journey_timeline enable trigger realtime_notify_update;
alter table public.journey_lab_series enable trigger realtime_notify_update;
alter table public.journey_timeline alter column api_json set not null;
alter table public.journey_lab_series alter column api_json set not null;
