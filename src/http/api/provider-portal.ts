/**
 * The provider portal: a signed-in provider (providers.user_id = the caller) lists
 * the profiles that granted them live access and reads the granted categories.
 *
 * Access is RLS's decision: the records query runs as the caller against the table
 * of the category, whose policy is private.can_read(profile_id, '<table>'). The grant
 * lookup before it only picks the status code (404 no live grant, 403 category not
 * granted); were it wrong, the query would still return nothing. Nothing is cached:
 * every request re-reads the grant, so a revoke or an expiry takes effect at once.
 */
import { z } from 'zod';
import type { PoolClient } from '../../db/pool.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { profileNotFound, profileParams, timestamp, toIso } from './common.js';
import { grantCategory, sortCategories, type GrantCategory } from './grants.js';
import { cursorParam, encodeCursor } from './cursor.js';

async function requireProvider(client: PoolClient): Promise<string> {
  const { rows } = await client.query<{ id: string }>(`select id from public.providers where user_id = auth.uid()`);
  if (!rows[0]) throw new HttpProblem(403, 'not_a_provider', 'this endpoint is for providers; your account is not in the provider directory');
  return rows[0].id;
}

// --- Records, one fixed query per category ---------------------------------------------

/**
 * Newest first by created_at, id. The cursor is the last row's created_at in
 * microseconds since the epoch (a JS Date would round to milliseconds and skip or
 * repeat rows that share one) plus its id, the tie-breaker.
 */
const PAGE = `
  where profile_id = $1::uuid
    and ($2::bigint is null or (created_at, id) < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::uuid))
  order by created_at desc, id desc
  limit $4::int`;
const CURSOR_COLUMNS = `(extract(epoch from created_at) * 1000000)::bigint::text as cursor_us, created_at`;
const PROVENANCE = `source_document_id, source_page, confidence::float8 as confidence`;

// Table names are literals here, chosen by the validated category: nothing from the
// request is ever pasted into SQL. Numerics are cast to float8 so they arrive as numbers.
const RECORD_SQL: Record<GrantCategory, string> = {
  documents: `select id, file_name, media_type, size_bytes::float8 as size_bytes, status, processed_at, ${CURSOR_COLUMNS}
              from public.documents ${PAGE}`,
  observations: `select id, category, code_system, code, name, value_numeric::float8 as value_numeric, value_text, unit,
                        reference_low::float8 as reference_low, reference_high::float8 as reference_high, reference_text,
                        interpretation, effective_at, status, ${PROVENANCE}, ${CURSOR_COLUMNS}
                 from public.observations ${PAGE}`,
  medications: `select id, code_system, code, name, dose_text, dose_value::float8 as dose_value, dose_unit, route, frequency,
                       start_date::text as start_date, end_date::text as end_date, status, prescriber, reason,
                       ${PROVENANCE}, ${CURSOR_COLUMNS}
                from public.medications ${PAGE}`,
  conditions: `select id, code_system, code, name, clinical_status, severity, onset_date::text as onset_date,
                      abatement_date::text as abatement_date, ${PROVENANCE}, ${CURSOR_COLUMNS}
               from public.conditions ${PAGE}`,
  allergies: `select id, code_system, code, substance, category, criticality, reaction, severity, clinical_status,
                     recorded_date::text as recorded_date, ${PROVENANCE}, ${CURSOR_COLUMNS}
              from public.allergies ${PAGE}`,
  immunizations: `select id, code_system, code, vaccine, occurrence_date::text as occurrence_date, dose_number, lot_number, site,
                         performer, status, ${PROVENANCE}, ${CURSOR_COLUMNS}
                  from public.immunizations ${PAGE}`,
  encounters: `select id, class, type, reason, facility, practitioner, start_at, end_at, ${PROVENANCE}, ${CURSOR_COLUMNS}
               from public.encounters ${PAGE}`,
  procedures: `select id, code_system, code, name, performed_at, body_site, performer, status, ${PROVENANCE}, ${CURSOR_COLUMNS}
               from public.procedures ${PAGE}`,
};

const str = z.string().nullable();
const num = z.number().nullable();
const coded = { code_system: str, code: str };
const provenance = {
  source_document_id: z.uuid().nullable().describe('the document the record was read from'),
  source_page: z.number().int().nullable(),
  confidence: num.describe("the extractor's confidence, 0–1"),
};
const common = { id: z.uuid(), created_at: timestamp };

// One schema per category, so the OpenAPI document says what each category returns.
const recordSchemas = {
  documents: z.object({ ...common, file_name: z.string(), media_type: z.string(), size_bytes: z.number(), status: z.string(), processed_at: timestamp.nullable() }),
  observations: z.object({
    ...common, ...coded, ...provenance, category: z.string(), name: z.string(), value_numeric: num, value_text: str, unit: str,
    reference_low: num, reference_high: num, reference_text: str, interpretation: str, effective_at: timestamp.nullable(), status: z.string(),
  }),
  medications: z.object({
    ...common, ...coded, ...provenance, name: z.string(), dose_text: str, dose_value: num, dose_unit: str, route: str, frequency: str,
    start_date: str, end_date: str, status: z.string(), prescriber: str, reason: str,
  }),
  conditions: z.object({ ...common, ...coded, ...provenance, name: z.string(), clinical_status: z.string(), severity: str, onset_date: str, abatement_date: str }),
  allergies: z.object({
    ...common, ...coded, ...provenance, substance: z.string(), category: str, criticality: str, reaction: str, severity: str,
    clinical_status: z.string(), recorded_date: str,
  }),
  immunizations: z.object({
    ...common, ...coded, ...provenance, vaccine: z.string(), occurrence_date: str, dose_number: num, lot_number: str, site: str,
    performer: str, status: z.string(),
  }),
  encounters: z.object({
    ...common, ...provenance, class: z.string(), type: str, reason: str, facility: str, practitioner: str,
    start_at: timestamp.nullable(), end_at: timestamp.nullable(),
  }),
  procedures: z.object({ ...common, ...coded, ...provenance, name: z.string(), performed_at: timestamp.nullable(), body_site: str, performer: str, status: z.string() }),
} satisfies Record<GrantCategory, z.ZodType>;





type RecordRow = Record<string, unknown> & { id: string; cursor_us: string };

/** Timestamps as ISO 8601 (UTC); the cursor column stays out of the record. */
function toRecord(row: RecordRow): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key !== 'cursor_us') record[key] = value instanceof Date ? value.toISOString() : value;
  }
  return record;
}

// --- Patients ---------------------------------------------------------------------------

const patientSchema = z.object({
  profile_id: z.uuid(),
  display_name: z.string(),
  birth_date: z.string().nullable(),
  sex: z.string(),
  categories: z.array(grantCategory).describe('what you may read: the union of your live grants'),
  expires_at: timestamp.nullable().describe('when your access ends (the latest live grant); null: until revoked'),
  grant_ids: z.array(z.uuid()),
});

interface PatientRow {
  profile_id: string; display_name: string; birth_date: string | null; sex: string; categories: string[];
  expires_at: Date | null; grant_ids: string[];
}

// Live = not revoked and not expired at the transaction's start, as private.has_grant
// decides it; the profile row itself comes through RLS ("granted providers read the profile").
const LIVE_GRANTS = `
  select g.id, g.profile_id, g.categories, g.expires_at from public.access_grants g
  where g.provider_id = $1::uuid and g.revoked_at is null and (g.expires_at is null or g.expires_at > now())`;

export function providerPortalRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/provider/patients', operationId: 'listProviderPatients', tags: ['provider portal'], auth: 'user',
      summary: 'The profiles that granted me (a provider) live access, with the categories and expiry',
      responses: { 200: { description: 'patients, by name', schema: z.object({ patients: z.array(patientSchema) }) } },
      async handle(ctx) {
        ctx.audit({ action: 'provider.patients.list' });
        const rows = await ctx.db(async (c) => {
          const providerId = await requireProvider(c);
          return (await c.query<PatientRow>(
            `with live as (${LIVE_GRANTS})
             select p.id as profile_id, p.display_name, p.birth_date::text as birth_date, p.sex,
                    (select array_agg(distinct cat) from live l2, unnest(l2.categories) cat where l2.profile_id = p.id) as categories,
                    case when bool_or(l.expires_at is null) then null else max(l.expires_at) end as expires_at,
                    array_agg(l.id order by l.id) as grant_ids
             from live l join public.profiles p on p.id = l.profile_id
             group by p.id
             order by lower(p.display_name), p.id`,
            [providerId],
          )).rows;
        });
        // Seeing the patient list reveals names and birth dates: each owner's trail shows it.
        for (const row of rows) ctx.audit({ action: 'provider.patient.read', profileId: row.profile_id, resourceType: 'profile', resourceId: row.profile_id });
        ctx.koa.body = {
          patients: rows.map((row) => ({ ...row, categories: sortCategories(row.categories), expires_at: toIso(row.expires_at) })),
        };
      },
    }),
    defineRoute({
      method: 'get', path: '/api/provider/patients/:profileId/records', operationId: 'listProviderPatientRecords', tags: ['provider portal'], auth: 'user',
      summary: "One granted category of a patient's record, newest first, paged (read through RLS)",
      params: profileParams,
      query: z.object({
        category: grantCategory.describe('the category to read; it must be granted'),
        // A record row is well under 1 KB of JSON, so 200 bounds a page at ~200 KB.
        limit: z.coerce.number().int().min(1).max(200).default(50).describe('page size (1–200, default 50)'),
        cursor: cursorParam.optional(),
      }),
      responses: {
        200: {
          description: 'a page of records',
          schema: z.object({
            profile_id: z.uuid(),
            category: grantCategory,
            records: z.array(z.union([
              recordSchemas.documents, recordSchemas.observations, recordSchemas.medications, recordSchemas.conditions,
              recordSchemas.allergies, recordSchemas.immunizations, recordSchemas.encounters, recordSchemas.procedures,
            ])).describe('the shape of the category'),
            next_cursor: z.string().nullable().describe('pass as cursor for the next page; null on the last page'),
          }),
        },
      },
      async handle(ctx) {
        const { profileId } = ctx.params;
        const { category, limit, cursor } = ctx.query;
        ctx.audit({ action: 'provider.records.read', profileId, resourceType: category, details: { category } });
        const rows = await ctx.db(async (c) => {
          const providerId = await requireProvider(c);
          const { rows: grants } = await c.query<{ categories: string[] }>(`${LIVE_GRANTS} and g.profile_id = $2::uuid`, [providerId, profileId]);
          // No live grant: the same answer as for a profile that does not exist.
          if (grants.length === 0) throw profileNotFound();
          if (!grants.some((g) => g.categories.includes(category))) {
            throw new HttpProblem(403, 'category_not_granted', `you were not granted ${category} for this profile`);
          }
          // One more than a page tells whether there is a next one.
          return (await c.query<RecordRow>(RECORD_SQL[category], [profileId, cursor?.us ?? null, cursor?.id ?? null, limit + 1])).rows;
        });
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        ctx.koa.body = {
          profile_id: profileId,
          category,
          records: page.map(toRecord),
          next_cursor: rows.length > limit && last ? encodeCursor({ us: last.cursor_us, id: last.id }) : null,
        };
      },
    }),
  ];
}
