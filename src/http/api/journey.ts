/**
 * The healthcare journey (`GET /api/healthcare-journey?profile=…`, the seed's name):
 * one profile's current summary, a page of its timeline and its lab series headers;
 * and one series' points, newest first.
 *
 * The app's busiest read, held to p99 ≤ 50 ms at 50 connections for a profile with
 * 10,000 records (npm run bench:api). Hence one statement (journey-statement.ts), each
 * of its parts bounded and read through an index whose leading column is profile_id,
 * whose JSON text is passed through; and a user's identical read answered from the
 * answer kept for them after a check in the database (journey-cache.ts). The response
 * schemas below are the shape of both: journey-response-shape.test.ts runs the real
 * statements and holds their keys and types to them. RLS alone decides what comes back:
 * a provider sees the entries of the categories they were granted, the series only
 * with an 'observations' grant, and the summary only with every summarised category
 * (else null).
 *
 * Paging is keyset, never offset: an offset page deep in a 10,000-entry history
 * would read and discard every earlier entry. The cursor is the last entry's
 * (occurred_at, id) as base64url JSON — opaque to clients, but only ever trusted
 * after it parses back into exactly that shape.
 */
import { z } from 'zod';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { isoDate, profileNotFound, timestamp } from './common.js';
import { cursorParam, encodeCursor, limitParam } from './cursor.js';
import { CHECK_SQL, ISO, journeyStatement, MAX_SERIES, US, type JourneyRow } from './journey-statement.js';
import { JourneyCache } from './journey-cache.js';

export const TIMELINE_KINDS = [
  'encounter', 'document', 'results', 'diagnosis', 'medication_start', 'medication_stop', 'immunization', 'procedure', 'allergy',
] as const;

/** Timeline entries per page: 50 fills a phone screen twice; 200 bounds a page's cost (~200 index rows, ~100 kB). */
export const TIMELINE_DEFAULT_LIMIT = 50;
export const TIMELINE_MAX_LIMIT = 200;
/** Points per page of one series: 100 is eight years of monthly results; 500 bounds a page as above. */
export const POINTS_DEFAULT_LIMIT = 100;
export const POINTS_MAX_LIMIT = 500;

/** `kind=results,diagnosis` or `kind=results&kind=diagnosis`. */
const kindParam = z.union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean))
  .pipe(z.array(z.enum(TIMELINE_KINDS)).min(1).max(TIMELINE_KINDS.length))
  .describe(`timeline kinds, comma-separated: ${TIMELINE_KINDS.join(', ')}`);

// --- Response schemas -----------------------------------------------------------------

export const timelineEntrySchema = z.object({
  id: z.uuid(),
  kind: z.enum(TIMELINE_KINDS),
  category: z.string().describe('the access-grant category the entry is drawn from'),
  occurred_at: timestamp,
  title: z.string(),
  detail: z.record(z.string(), z.unknown()).describe('kind-specific: e.g. results carry counts and names'),
  record_table: z.string(),
  record_ids: z.array(z.uuid()),
  document_ids: z.array(z.uuid()),
});

export const labSeriesHeaderSchema = z.object({
  series_key: z.string().describe('loinc:<code> or name:<normalised name>'),
  name: z.string(),
  code_system: z.string().nullable(),
  code: z.string().nullable(),
  category: z.string(),
  unit: z.string().nullable(),
  point_count: z.number().int(),
  latest_value: z.number().nullable(),
  latest_at: timestamp.nullable(),
  reference_low: z.number().nullable(),
  reference_high: z.number().nullable(),
  direction: z.enum(['rising', 'falling', 'stable']).nullable(),
});

// Summary items are written by the journey consumer with nulls stripped (summary.ts).
const summarySchema = z.object({
  active_medications: z.array(z.object({
    id: z.uuid(), name: z.string(), dose: z.string().optional(), start_date: z.string().optional(), document_id: z.uuid().optional(),
  })),
  active_problems: z.array(z.object({
    id: z.uuid(), name: z.string(), onset_date: z.string().optional(), severity: z.string().optional(), document_id: z.uuid().optional(),
  })),
  allergies: z.array(z.object({
    id: z.uuid(), substance: z.string(), criticality: z.string().optional(), reaction: z.string().optional(),
  })),
  latest_vitals: z.array(z.object({
    series_key: z.string(), name: z.string(), value: z.number(), unit: z.string().nullable(), at: timestamp.nullable(),
  })),
  counts: z.record(z.string(), z.number().int()).describe('records per table (absent when 0)'),
  documents_in_progress: z.number().int(),
  open_alerts: z.number().int(),
  last_activity_at: timestamp.nullable(),
  updated_at: timestamp,
});

export const journeySchema = z.object({
  profile_id: z.uuid(),
  summary: summarySchema.nullable()
    .describe('null when you may not read every summarised category (medications, conditions, allergies, observations) or nothing is summarised yet'),
  timeline: z.object({
    entries: z.array(timelineEntrySchema).describe('newest first'),
    next_cursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
  }),
  lab_series: z.array(labSeriesHeaderSchema).describe('headers only, most recently measured first; points via /api/healthcare-journey/series/{seriesKey}'),
  lab_series_truncated: z.boolean().describe(`true when the profile has more than ${MAX_SERIES} series`),
});

export const labPointSchema = z.object({
  observation_id: z.uuid(),
  effective_at: timestamp,
  value: z.number().describe("in the series' unit when convertible, else as written"),
  unit: z.string().nullable(),
  convertible: z.boolean(),
  original_value: z.number(),
  original_unit: z.string().nullable(),
  reference_low: z.number().nullable(),
  reference_high: z.number().nullable(),
  interpretation: z.string().nullable(),
  document_id: z.uuid().nullable(),
});

export const seriesPageSchema = z.object({
  profile_id: z.uuid(),
  series: labSeriesHeaderSchema,
  points: z.object({ entries: z.array(labPointSchema).describe('newest first'), next_cursor: z.string().nullable() }),
});

// --- SQL --------------------------------------------------------------------------------
const SERIES_COLUMNS = `series_key, name, code_system, code, category, unit, point_count, latest_value::float8 as latest_value,
  ${ISO('latest_at')} as latest_at, reference_low::float8 as reference_low, reference_high::float8 as reference_high, direction`;

const ONE_SERIES_SQL = `select ${SERIES_COLUMNS} from public.journey_lab_series where profile_id = $1::uuid and series_key = $2::text`;

// journey_lab_points_series_idx (profile_id, series_key, effective_at desc); observation_id breaks ties.
const POINTS_SQL = `
  select observation_id, ${ISO('effective_at')} as effective_at, ${US('effective_at')}::text as us,
         value::float8 as value, unit, convertible, original_value::float8 as original_value, original_unit,
         reference_low::float8 as reference_low, reference_high::float8 as reference_high, interpretation, document_id
  from public.journey_lab_points
  where profile_id = $1::uuid and series_key = $2::text
    and ($3::int8 is null or (effective_at <= (timestamptz 'epoch' + $3::int8 * interval '1 microsecond')
                              and (effective_at < (timestamptz 'epoch' + $3::int8 * interval '1 microsecond')
                                   or observation_id > $4::uuid)))
  order by journey_lab_points.effective_at desc, observation_id   -- the column, not the text alias
  limit $5::int`;

// --- Rows -------------------------------------------------------------------------------

type TimelineEntry = z.infer<typeof timelineEntrySchema>;
type SeriesHeader = z.infer<typeof labSeriesHeaderSchema>;
interface PointRow extends z.infer<typeof labPointSchema> { us: string }

/** Rows fetched with limit + 1: the extra row only says whether there is a next page. */
function page<R extends { us: string | number }>(rows: R[], limit: number, idOf: (row: R) => string): { rows: Omit<R, 'us'>[]; next: string | null } {
  const kept = rows.slice(0, limit);
  const last = kept[kept.length - 1];
  const next = rows.length > limit && last ? encodeCursor({ us: String(last.us), id: idOf(last) }) : null;
  return { rows: kept.map(({ us: _us, ...row }) => row), next };
}

const profileQuery = z.uuid().describe('the profile');

export function journeyRoutes(deps: { cache: JourneyCache }): AnyRoute[] {
  const { cache } = deps;
  return [
    defineRoute({
      method: 'get', path: '/api/healthcare-journey', operationId: 'getHealthcareJourney', tags: ['journey'], auth: 'user',
      summary: "A profile's healthcare journey: summary, a page of its timeline (filter by date and kind) and its lab series",
      query: z.object({
        profile: profileQuery,
        from: isoDate.optional().describe('first day included (UTC)'),
        to: isoDate.optional().describe('last day included (UTC)'),
        kind: kindParam.optional(),
        limit: limitParam(TIMELINE_DEFAULT_LIMIT, TIMELINE_MAX_LIMIT),
        cursor: cursorParam.optional(),
      }).refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from is after to', path: ['from'] }),
      responses: { 200: { description: 'the journey as you may see it', schema: journeySchema } },
      async handle(ctx) {
        const q = ctx.query;
        ctx.audit({ action: 'journey.read', profileId: q.profile, resourceType: 'journey', resourceId: q.profile });
        const send = (body: string) => {
          // JSON text from Postgres in the shape of journeySchema: journey-response-shape.test.ts
          // holds the statement's keys and types to the schema.
          ctx.koa.type = 'application/json';
          ctx.koa.body = body;
        };
        const key = cache.enabled ? JourneyCache.key({ ...q, userId: ctx.userId! }) : undefined;
        const kept = key ? cache.get(key) : undefined;
        if (key && kept) {
          const check = (await ctx.read<{ version: string | null; access: string }>(CHECK_SQL, [q.profile], 'guardian_journey_check')).rows[0];
          if (!check) {
            cache.delete(key);
            throw profileNotFound();
          }
          if (check.version === kept.version && check.access === kept.access) {
            cache.hits++;
            return send(kept.body);
          }
          cache.stale++;
        }
        const statement = journeyStatement(q);
        const row = (await ctx.read<JourneyRow>(statement.sql, statement.params, statement.name)).rows[0]!;
        if (row.summary === null) {
          if (key) cache.delete(key);
          throw profileNotFound();
        }
        cache.built++;
        const nextCursor = row.next_position === null ? null : Buffer.from(row.next_position).toString('base64url');
        const body = `{"profile_id":${JSON.stringify(q.profile)},"summary":${row.summary},` +
          `"timeline":{"entries":${row.entries},"next_cursor":${JSON.stringify(nextCursor)}},` +
          `"lab_series":${row.series},"lab_series_truncated":${row.series_truncated}}`;
        // No version (the caller holds no access rows, e.g. an owner's not yet refreshed): nothing to check against later.
        if (key && row.version !== null) cache.set(key, { version: row.version, access: row.access, body });
        else if (key) cache.delete(key);
        send(body);
      },
    }),
    defineRoute({
      method: 'get', path: '/api/healthcare-journey/series/:seriesKey', operationId: 'getLabSeries', tags: ['journey'], auth: 'user',
      summary: "One lab series' points, newest first (needs an 'observations' grant for providers)",
      params: z.object({ seriesKey: z.string().min(1).max(300).describe('series_key from the journey (URL-encoded)') }),
      query: z.object({
        profile: profileQuery,
        limit: limitParam(POINTS_DEFAULT_LIMIT, POINTS_MAX_LIMIT),
        cursor: cursorParam.optional(),
      }),
      responses: { 200: { description: 'the series and a page of its points', schema: seriesPageSchema } },
      async handle(ctx) {
        const { profile: profileId, limit, cursor } = ctx.query;
        ctx.audit({ action: 'journey.series.read', profileId, resourceType: 'lab_series', resourceId: profileId });
        const result = await ctx.db(async (c) => {
          const visible = await c.query(`select 1 from public.profiles where id = $1::uuid`, [profileId]);
          if (visible.rowCount !== 1) throw profileNotFound();
          const series = (await c.query<SeriesHeader>(ONE_SERIES_SQL, [profileId, ctx.params.seriesKey])).rows[0];
          // Also what a provider without an 'observations' grant gets: the series is invisible to them.
          if (!series) throw new HttpProblem(404, 'series_not_found', 'no such lab series for this profile (or it is not shared with you)');
          const points = await c.query<PointRow>(POINTS_SQL, [profileId, ctx.params.seriesKey, cursor?.us ?? null, cursor?.id ?? null, limit + 1]);
          return { series, points: points.rows };
        });
        const points = page(result.points, limit, (r) => r.observation_id);
        ctx.koa.body = {
          profile_id: profileId,
          series: result.series,
          points: { entries: points.rows, next_cursor: points.next },
        } satisfies z.infer<typeof seriesPageSchema>;
      },
    }),
  ];
}
