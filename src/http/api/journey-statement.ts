/**
 * The statements behind GET /api/healthcare-journey: the journey itself (one prepared
 * statement, JSON text built by Postgres) and the check a kept answer must pass before
 * it is served again (journey-cache.ts). The route is in journey.ts.
 */
import { positionInstant, type Position } from './cursor.js';

/**
 * Series headers in the journey. A full metabolic panel is ~20 analytes, a lifetime
 * of ordinary care a few hundred at most; 500 only bounds a pathological profile
 * (and `lab_series_truncated` says so).
 */
export const MAX_SERIES = 500;

// numeric → float8: pg returns numeric as a string; lab values need no more than 15 digits.
// Timestamps leave Postgres already as JSON's ISO 8601 (UTC, milliseconds), so rows
// need no per-field conversion in JS.
export const ISO = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
export const US = (column: string) => `(extract(epoch from ${column}) * 1000000)::int8`;

/*
 * The whole journey in one statement, one round trip; Postgres hands back JSON text.
 * Each part reads through its own index:
 *  - head: the profile row decides visibility (RLS on profiles: members and live
 *    grants; null → 404), the summary rides along (primary key; null when the caller
 *    may not read every summarised category, or nothing is summarised yet);
 *  - timeline: journey_timeline_profile_occurred_idx (profile_id, occurred_at desc, id).
 *    The date range and the cursor's `occurred_at <=` are index conditions, so a page
 *    starts where the last one ended; the index orders id ascending within a timestamp,
 *    hence the mixed comparison rather than a row comparison. `kind` filters the
 *    scanned rows. One row more than the page says whether there is a next page;
 *  - series: the primary key (profile_id, series_key), ≤ MAX_SERIES + 1 rows sorted in memory.
 * Entries and headers are stored already rendered (`api_json`, written by a trigger on
 * each row, in the keys and order of journeySchema's entries and headers), so a read
 * only joins text. Why: rendering them in the read made the statement ~1.5× slower on
 * a 10,000-record profile (0.92 against 1.36 ms a read), while rendering on write
 * costs a full rebuild of the profile about 40% more (npm run bench:api: statement_stored_json_ms against
 * statement_rendering_per_read_ms, rebuild_rendering_ms against rebuild_plain_ms).
 * Reads are the latency-bound side; writes are the worker's.
 *
 * Parameters: $1 profile, $2 from, $3 to (inclusive: the day's last microsecond),
 * $4 kinds, $5 cursor instant, $6 cursor id, $7 page size + 1, $8 MAX_SERIES + 1. No
 * parameter is optional: an absent bound is ±infinity (and the nil uuid), so the
 * bounds stay plain comparisons with a parameter, which the planner can use as index
 * conditions in a generic plan. It runs as a prepared statement on each connection
 * ('guardian_journey') with its generic plan (the caller pool forces it): an
 * expression such as `$2 is null or …` made Postgres judge the generic plan dearer and
 * re-plan every call, which cost as much as executing (0.8 ms each, measured).
 */
/*
 * What an answer was built from (see journey-cache.ts): the profile's journey version
 * (committed writes to its timeline, series and summary, private.journey_writes) and
 * the categories the caller may read now. Both read through small indexes as the caller.
 */
const JOURNEY_VERSION = `private.journey_version($1::uuid)`;
const CALLER_ACCESS = `(select coalesce(string_agg(distinct a.category, ',' order by a.category), '') from private.profile_access a
      where a.user_id = (select auth.uid()) and a.profile_id = $1::uuid and (a.expires_at is null or a.expires_at > now()))`;

/**
 * The check before a kept answer is served again: no row when the caller may not see
 * the profile. The same version and access as JOURNEY_SQL's, read by a PL/pgSQL
 * function (private.journey_check) so that its plan is kept per server session even
 * through a transaction pooler, where the statement cannot be prepared.
 */
export const CHECK_SQL = `select version, access from private.journey_check($1::uuid)`;

const JOURNEY_SQL = `
  with page as (
    select id, occurred_at, api_json
    from public.journey_timeline
    where profile_id = $1::uuid
      and occurred_at >= $2::timestamptz and occurred_at <= $3::timestamptz and occurred_at <= $5::timestamptz
      and (occurred_at < $5::timestamptz or id > $6::uuid)
      and ($4::text[] is null or kind = any ($4::text[]))
    order by occurred_at desc, id
    limit $7::int
  ),
  kept as (select id, occurred_at, api_json from page order by occurred_at desc, id limit $7::int - 1),
  series as (
    select api_json, latest_at, series_key from public.journey_lab_series
    where profile_id = $1::uuid
    order by latest_at desc nulls last, series_key
    limit $8::int
  )
  select
    (select case when s.profile_id is null then 'null' else json_build_object(
              'active_medications', s.active_medications, 'active_problems', s.active_problems,
              'allergies', s.allergies, 'latest_vitals', s.latest_vitals, 'counts', s.counts,
              'documents_in_progress', s.documents_in_progress, 'open_alerts', s.open_alerts,
              'last_activity_at', ${ISO('s.last_activity_at')}, 'updated_at', ${ISO('s.updated_at')})::text end
     from public.profiles p left join public.journey_summaries s on s.profile_id = p.id
     where p.id = $1::uuid) as summary,
    (select '[' || coalesce(string_agg(api_json, ',' order by occurred_at desc, id), '') || ']' from kept) as entries,
    (select json_build_object('us', ${US('occurred_at')}::text, 'id', id)::text
     from (select occurred_at, id from kept order by occurred_at, id desc limit 1) as last_kept
     where (select count(*) from page) = $7::int) as next_position,
    (select '[' || coalesce(string_agg(api_json, ',' order by latest_at desc nulls last, series_key), '') || ']'
     from (select api_json, latest_at, series_key from series order by latest_at desc nulls last, series_key limit $8::int - 1) as shown) as series,
    (select count(*) >= $8::int from series) as series_truncated,
    ${JOURNEY_VERSION} as version,
    ${CALLER_ACCESS} as access`;

/**
 * The journey as JSON text, assembled by Postgres: the api passes it through instead
 * of parsing and serialising ~30 kB again per answer, which made a read about a third
 * slower (0.92 against 1.25 ms; npm run bench:api: statement_text_passthrough_ms against
 * statement_parsed_serialised_ms).
 * journey-response-shape.test.ts holds the text's keys and types to journeySchema.
 */
export interface JourneyRow {
  /** null: the profile is not visible; 'null': no summary the caller may read. */
  summary: string | null;
  entries: string;
  /** The position after the page's last entry, when there is a next page. */
  next_position: string | null;
  series: string;
  series_truncated: boolean;
  /** null when the caller holds no access rows for the profile. */
  version: string | null;
  access: string;
}

/** A day (YYYY-MM-DD) as the instant it starts in UTC. */
function dayStart(day: string): string {
  return `${day}T00:00:00.000000Z`;
}

/** A day's last instant in UTC (Postgres keeps microseconds): `to` is inclusive. */
function lastInstantOf(day: string): string {
  return `${day}T23:59:59.999999Z`;
}

/** The cursor id when there is no cursor: with the 'infinity' position it excludes nothing. */
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface JourneyQuery {
  profile: string;
  from?: string;
  to?: string;
  kind?: readonly string[];
  limit: number;
  cursor?: Position;
}

/** The journey statement for a query, as the route runs it (bench:api also runs it alone). */
export function journeyStatement(q: JourneyQuery): { name: string; sql: string; params: unknown[] } {
  return {
    name: 'guardian_journey',
    sql: JOURNEY_SQL,
    params: [
      q.profile,
      q.from ? dayStart(q.from) : '-infinity',
      q.to ? lastInstantOf(q.to) : 'infinity',
      q.kind ?? null,
      q.cursor ? positionInstant(q.cursor) : 'infinity',
      q.cursor?.id ?? NIL_UUID,
      q.limit + 1,
      MAX_SERIES + 1,
    ],
  };
}
