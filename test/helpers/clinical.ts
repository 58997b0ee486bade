/**
 * Clinical records for tests, written as the superuser (like the worker would),
 * so they fire the same triggers as any write. Column names come from the test's
 * own object keys (escaped); values are always parameters.
 */
import pg from 'pg';

export type { ClinicalTable } from '../../src/db/record-categories.js';
import type { ClinicalTable } from '../../src/db/record-categories.js';

export async function insertRecord(
  db: Pick<pg.ClientBase, 'query'>,
  table: ClinicalTable,
  profileId: string,
  fields: Record<string, unknown>,
): Promise<string> {
  const columns = ['profile_id', ...Object.keys(fields)];
  const values = [profileId, ...Object.values(fields)];
  const { rows } = await db.query<{ id: string }>(
    `insert into public.${pg.escapeIdentifier(table)} (${columns.map((c) => pg.escapeIdentifier(c)).join(', ')})
     values (${values.map((_, i) => `$${i + 1}`).join(', ')}) returning id`,
    values,
  );
  return rows[0]!.id;
}

export async function updateRecord(
  db: Pick<pg.ClientBase, 'query'>,
  table: ClinicalTable,
  id: string,
  fields: Record<string, unknown>,
): Promise<void> {
  const keys = Object.keys(fields);
  await db.query(
    `update public.${pg.escapeIdentifier(table)} set ${keys.map((k, i) => `${pg.escapeIdentifier(k)} = $${i + 2}`).join(', ')}
     where id = $1::uuid`,
    [id, ...Object.values(fields)],
  );
}

export async function deleteRecord(db: Pick<pg.ClientBase, 'query'>, table: ClinicalTable, id: string): Promise<void> {
  await db.query(`delete from public.${pg.escapeIdentifier(table)} where id = $1::uuid`, [id]);
}

/** A lab result with sensible defaults. */
export function lab(name: string, value: number, unit: string, at: string, extra: Record<string, unknown> = {}) {
  return { name, value_numeric: value, unit, effective_at: at, category: 'laboratory', ...extra };
}

/** The profile's journey as comparable plain data (no ids or timestamps of our own making). */
export async function journeySnapshot(db: Pick<pg.ClientBase, 'query'>, profileId: string) {
  const q = async (sql: string) => (await db.query(sql, [profileId])).rows;
  return {
    timeline: await q(`select entry_key, kind, category, occurred_at, title, detail, record_table,
                              (select array_agg(x order by x) from unnest(record_ids) x) as record_ids, document_ids
                       from public.journey_timeline where profile_id = $1::uuid order by entry_key`),
    series: await q(`select series_key, name, code_system, code, category, unit, point_count, latest_value, latest_at,
                            reference_low, reference_high, direction
                     from public.journey_lab_series where profile_id = $1::uuid order by series_key`),
    points: await q(`select observation_id, series_key, effective_at, value, unit, convertible, original_value, original_unit,
                            reference_low, reference_high, interpretation, document_id
                     from public.journey_lab_points where profile_id = $1::uuid order by observation_id`),
    summary: await q(`select active_medications, active_problems, allergies, latest_vitals, counts, documents_in_progress, open_alerts
                      from public.journey_summaries where profile_id = $1::uuid`),
  };
}
