-- Timeline entries and lab-series headers are rendered as JSON by the read that returns
-- them (src/http/api/journey-statement.ts) instead of being stored rendered beside each
-- row by triggers.
--
-- Measured with npm run bench:api (a profile with 10,000 records, 2 cores): reading the
-- stored text made the journey statement about 8% faster (median 3.47 ms against 3.76 ms
-- a read), while rendering it on every write made a full rebuild of the profile about a
-- third slower (1,594 ms against 1,191 ms), and every journey row carried a second copy
-- of itself into the WAL and to Realtime subscribers. Repeated reads are answered from
-- the api's kept answers without running the statement at all, so the statement's small
-- saving did not pay for the cost on every write.
drop trigger render_api_json on public.journey_timeline;
drop trigger render_api_json on public.journey_lab_series;
drop function private.render_journey_timeline_entry();
drop function private.render_journey_lab_series_header();
alter table public.journey_timeline drop column api_json;
alter table public.journey_lab_series drop column api_json;
