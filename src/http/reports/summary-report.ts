/**
 * The multi-document health summary report (`GET /api/reports/:profile/summary`): one
 * profile's current summary, lab trends, recent timeline, live alerts and source
 * documents, read from the journey tables in a handful of bounded, index-backed queries.
 *
 * It runs on the caller's client, inside the caller's transaction, so RLS alone decides
 * what comes back: an invisible profile gives null, a section the caller may not read
 * comes back empty (or null for the summary). There are no permission checks here.
 */
import type pg from 'pg';
import { z } from 'zod';
import { isoDate, isoInstant } from '../api/common.js';

// Every bound below keeps the report's cost independent of the profile's history
// (a profile may hold 100,000 records).

/**
 * Points per series. 24 is two years of monthly results (or four of quarterly HbA1c),
 * enough to see a trend, and on the chart's 352 px plot width monthly points sit
 * ~15 px apart, so each stays distinguishable on paper (trend-chart.ts). It also caps the points read at
 * MAX_SERIES × 24 = 960 rows, each read through journey_lab_points_series_idx.
 */
export const POINTS_PER_SERIES = 24;
/** Series in the report, most recently measured first: 40 charts is ~7 printed pages. */
export const MAX_SERIES = 40;
export const TIMELINE_ENTRIES = 20;
/** Live alerts: more than 50 open at once is a data problem, not something to print. */
export const MAX_ALERTS = 50;
/** Source documents listed, newest first (the summary's counts give the total). */
export const MAX_DOCUMENTS = 50;
/**
 * Document ids looked up at most. The ids come from what the report shows (≤ 960
 * points, 20 entries, the active items), and a lab report feeds dozens of points, so
 * in practice they are a few dozen. The cap bounds the worst case: 500 primary-key
 * probes cost ~15 ms at a member's RLS check (~30 µs a row, measured), ~45 ms at a
 * provider's (~90 µs).
 */
const MAX_DOCUMENT_IDS = 500;

// Schema. JSON-Schema friendly (no transforms, no unions beyond nullable): the
// OpenAPI document is generated from it. Timestamps are ISO 8601 strings in UTC.
const timestamp = isoInstant;

const medicationSchema = z.object({
  id: z.string(),
  name: z.string(),
  dose: z.string().nullable(),
  start_date: isoDate.nullable(),
});
const problemSchema = z.object({
  id: z.string(),
  name: z.string(),
  onset_date: isoDate.nullable(),
  severity: z.string().nullable(),
});
const allergySchema = z.object({
  id: z.string(),
  substance: z.string(),
  criticality: z.string().nullable(),
  reaction: z.string().nullable(),
});
const vitalSchema = z.object({
  series_key: z.string(),
  name: z.string(),
  value: z.number(),
  unit: z.string().nullable(),
  at: timestamp.nullable(),
});

export const healthSummaryReportSchema = z.object({
  profile: z.object({
    id: z.uuid(),
    display_name: z.string(),
    birth_date: isoDate.nullable(),
    sex: z.enum(['female', 'male', 'other', 'unknown']),
  }),
  generated_at: timestamp,
  summary: z.object({
    active_medications: z.array(medicationSchema),
    active_problems: z.array(problemSchema),
    allergies: z.array(allergySchema),
    latest_vitals: z.array(vitalSchema),
    /** Records per table: documents, observations, medications, … (absent when 0). */
    counts: z.record(z.string(), z.number().int()),
  }).nullable().describe('null when the caller may not read every summarised category (or nothing is summarised yet)'),
  lab_series: z.array(z.object({
    series_key: z.string(),
    name: z.string(),
    unit: z.string().nullable(),
    direction: z.enum(['rising', 'falling', 'stable']).nullable(),
    reference_low: z.number().nullable(),
    reference_high: z.number().nullable(),
    latest_value: z.number().nullable(),
    latest_at: timestamp.nullable(),
    /** Oldest first; at most POINTS_PER_SERIES, the latest ones. */
    points: z.array(z.object({
      at: timestamp,
      value: z.number(),
      /** false: written in a unit that does not convert to the series' unit (value as written). */
      convertible: z.boolean(),
    })).max(POINTS_PER_SERIES),
  })).max(MAX_SERIES),
  timeline_highlights: z.array(z.object({
    occurred_at: timestamp,
    kind: z.string(),
    title: z.string(),
  })).max(TIMELINE_ENTRIES),
  alerts: z.array(z.object({
    severity: z.enum(['info', 'warning', 'critical']),
    summary: z.string(),
    status: z.enum(['open', 'acknowledged']),
    first_seen_at: timestamp,
  })).max(MAX_ALERTS),
  /** The processed documents the shown points, timeline entries and active items cite, newest first. */
  documents: z.array(z.object({
    id: z.uuid(),
    file_name: z.string(),
    status: z.string(),
    created_at: timestamp,
  })).max(MAX_DOCUMENTS),
});

export type HealthSummaryReport = z.infer<typeof healthSummaryReportSchema>;
export type ReportLabSeries = HealthSummaryReport['lab_series'][number];

type Queryable = Pick<pg.ClientBase, 'query'>;

// Queries. Each filters on profile_id first and is limited, so it reads through the
// index named beside it. numeric columns are cast to float8: pg returns numeric as a
// string, and a report of lab values has no need for more than 15 significant digits.

const PROFILE_SQL = `
  select id, display_name, birth_date::text as birth_date, sex, now() as generated_at
  from public.profiles where id = $1::uuid`;

const SUMMARY_SQL = `
  select active_medications, active_problems, allergies, latest_vitals, counts
  from public.journey_summaries where profile_id = $1::uuid`;

// The series first (limited), then each one's latest points through
// journey_lab_points_series_idx (profile_id, series_key, effective_at desc): one index
// range scan of ≤ 24 rows per series, whatever the series' length.
const SERIES_SQL = `
  select s.series_key, s.name, s.unit, s.direction,
         s.reference_low::float8 as reference_low, s.reference_high::float8 as reference_high,
         s.latest_value::float8 as latest_value, s.latest_at, pts.points
  from (select * from public.journey_lab_series
        where profile_id = $1::uuid
        order by latest_at desc nulls last, series_key
        limit $2::int) s
  cross join lateral (
    select coalesce(json_agg(json_build_array(p.effective_at, p.value::float8, p.convertible, p.document_id)
                             order by p.effective_at, p.observation_id), '[]') as points
    from (select effective_at, value, convertible, observation_id, document_id
          from public.journey_lab_points
          where profile_id = $1::uuid and series_key = s.series_key
          order by effective_at desc
          limit $3::int) p
  ) pts
  order by s.latest_at desc nulls last, s.series_key`;

// journey_timeline_profile_occurred_idx (profile_id, occurred_at desc, id).
const TIMELINE_SQL = `
  select occurred_at, kind, title, document_ids from public.journey_timeline
  where profile_id = $1::uuid
  order by occurred_at desc, id
  limit $2::int`;

// cds_alerts_profile_live_idx (partial: status in ('open', 'acknowledged')).
const ALERTS_SQL = `
  select severity, summary, status, first_seen_at from public.cds_alerts
  where profile_id = $1::uuid and status in ('open', 'acknowledged')
  order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end,
           status desc, first_seen_at desc, id
  limit $2::int`;

// The documents the report draws on: those its points, entries and active items cite,
// by primary key. Not "the profile's latest processed documents": under RLS, a caller
// without the documents grant would make that query test every document of the
// profile before returning none (measured: 380 ms for 4,500 documents); ids bound it.
const DOCUMENTS_SQL = `
  select id, file_name, status, created_at from public.documents
  where id = any ($2::uuid[]) and profile_id = $1::uuid and status = 'processed'
  order by created_at desc, id
  limit $3::int`;

/** The report for one profile as the caller sees it, or null when the profile is not visible. */
export async function loadSummaryReport(client: Queryable, profileId: string): Promise<HealthSummaryReport | null> {
  const profile = (await client.query<{
    id: string; display_name: string; birth_date: string | null; sex: HealthSummaryReport['profile']['sex']; generated_at: Date;
  }>(PROFILE_SQL, [profileId])).rows[0];
  if (!profile) return null;

  // Sequential on purpose: a pg client runs one query at a time anyway (queuing them
  // with Promise.all is deprecated in pg 8 and removed in pg 9).
  const summary = await client.query<SummaryRow>(SUMMARY_SQL, [profileId]);
  const series = await client.query<SeriesRow>(SERIES_SQL, [profileId, MAX_SERIES, POINTS_PER_SERIES]);
  const timeline = await client.query<{ occurred_at: Date; kind: string; title: string; document_ids: string[] }>(
    TIMELINE_SQL, [profileId, TIMELINE_ENTRIES]);
  const alerts = await client.query<{
    severity: 'info' | 'warning' | 'critical'; summary: string; status: 'open' | 'acknowledged'; first_seen_at: Date;
  }>(ALERTS_SQL, [profileId, MAX_ALERTS]);

  const cited = new Set<string>();
  const cite = (id: unknown) => {
    if (typeof id === 'string' && cited.size < MAX_DOCUMENT_IDS) cited.add(id);
  };
  for (const t of timeline.rows) t.document_ids.forEach(cite);
  for (const s of series.rows) for (const p of s.points) cite(p[3]);
  for (const item of [...(summary.rows[0]?.active_medications ?? []), ...(summary.rows[0]?.active_problems ?? [])]) cite(item.document_id);
  const documents = cited.size === 0 ? { rows: [] } : await client.query<{ id: string; file_name: string; status: string; created_at: Date }>(
    DOCUMENTS_SQL, [profileId, [...cited], MAX_DOCUMENTS]);

  return {
    profile: { id: profile.id, display_name: profile.display_name, birth_date: profile.birth_date, sex: profile.sex },
    generated_at: profile.generated_at.toISOString(),
    summary: summary.rows[0] ? toSummary(summary.rows[0]) : null,
    lab_series: series.rows.map(toSeries),
    timeline_highlights: timeline.rows.map((t) => ({ occurred_at: t.occurred_at.toISOString(), kind: t.kind, title: t.title })),
    alerts: alerts.rows.map((a) => ({ severity: a.severity, summary: a.summary, status: a.status, first_seen_at: a.first_seen_at.toISOString() })),
    documents: documents.rows.map((d) => ({ id: d.id, file_name: d.file_name, status: d.status, created_at: d.created_at.toISOString() })),
  };
}

// Row shapes and their mapping. The summary's jsonb is written by the journey
// consumer (src/consumers/journey/summary.ts), which strips null keys: absent → null.

interface SummaryRow {
  active_medications: Array<Record<string, unknown>>;
  active_problems: Array<Record<string, unknown>>;
  allergies: Array<Record<string, unknown>>;
  latest_vitals: Array<Record<string, unknown>>;
  counts: Record<string, unknown>;
}

interface SeriesRow {
  series_key: string;
  name: string;
  unit: string | null;
  direction: 'rising' | 'falling' | 'stable' | null;
  reference_low: number | null;
  reference_high: number | null;
  latest_value: number | null;
  latest_at: Date | null;
  /** [effective_at (json timestamp text), value, convertible, document_id] */
  points: Array<[string, number | null, boolean, string | null]>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
// numeric 'NaN' and '±Infinity' are valid Postgres values; JSON has no spelling for them.
const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const day = (v: unknown): string | null => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);
// json timestamps carry the session's offset ("…+01:00"); the report speaks UTC only.
const iso = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};

function toSummary(row: SummaryRow): NonNullable<HealthSummaryReport['summary']> {
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(row.counts ?? {})) {
    const n = finite(v);
    if (n !== null) counts[k] = Math.trunc(n);
  }
  return {
    active_medications: (row.active_medications ?? []).map((m) => ({
      id: String(m.id), name: String(m.name ?? ''), dose: str(m.dose), start_date: day(m.start_date),
    })),
    active_problems: (row.active_problems ?? []).map((c) => ({
      id: String(c.id), name: String(c.name ?? ''), onset_date: day(c.onset_date), severity: str(c.severity),
    })),
    allergies: (row.allergies ?? []).map((a) => ({
      id: String(a.id), substance: String(a.substance ?? ''), criticality: str(a.criticality), reaction: str(a.reaction),
    })),
    latest_vitals: (row.latest_vitals ?? []).flatMap((v) => {
      const value = finite(v.value);
      return value === null ? [] : [{ series_key: String(v.series_key), name: String(v.name ?? ''), value, unit: str(v.unit), at: iso(v.at) }];
    }),
    counts,
  };
}

function toSeries(row: SeriesRow): ReportLabSeries {
  const points: ReportLabSeries['points'] = [];
  for (const [at, value, convertible] of row.points) {
    const when = iso(at);
    const v = finite(value);
    if (when !== null && v !== null) points.push({ at: when, value: v, convertible });
  }
  return {
    series_key: row.series_key,
    name: row.name,
    unit: row.unit,
    direction: row.direction,
    reference_low: finite(row.reference_low),
    reference_high: finite(row.reference_high),
    latest_value: finite(row.latest_value),
    latest_at: row.latest_at ? row.latest_at.toISOString() : null,
    points,
  };
}
