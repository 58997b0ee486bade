/**
 * Lab trend series: one per analyte (see series-key.ts), one point per numeric
 * observation, every point converted to the series' unit.
 *
 * A series' unit is chosen when the series is created: the analyte's preferred
 * Australian reporting unit when there is one (glucose in mmol/L), else the unit of
 * its earliest-recorded observation. It then stays, so a new point never forces the
 * history to be converted again. A point whose unit does not convert is kept as
 * written and marked convertible = false (shown, but not used for the direction).
 *
 * Incremental: changed observations replace their own points; each touched series
 * header is recomputed from its latest points only (DIRECTION_WINDOW) and its count
 * moves by the net change, so the cost does not grow with the series' length.
 */
import type { Queryable } from '../../events/queue/job.js';
import { convertValue, preferredUnit } from './convert.js';
import { seriesKey } from './series-key.js';

/** Points that decide a series' direction: the latest five (about a year of quarterly tests). */
export const DIRECTION_WINDOW = 5;
/** Relative change across the window below which a series is "stable": 5 %, roughly a lab's analytical variation. */
export const STABLE_WITHIN = 0.05;

interface ObservationRow {
  id: string;
  name: string;
  code_system: string | null;
  code: string | null;
  value_numeric: string;
  unit: string | null;
  reference_low: string | null;
  reference_high: string | null;
  interpretation: string | null;
  effective_at: Date;
  source_document_id: string | null;
}

interface PointRow {
  series_key: string;
  observation_id: string;
  effective_at: Date;
  value: string;
  convertible: boolean;
  reference_low: string | null;
  reference_high: string | null;
}

export type Direction = 'rising' | 'falling' | 'stable';

/** rising / falling / stable over the points (oldest first), or null with fewer than two. */
export function directionOf(values: number[]): Direction | null {
  if (values.length < 2) return null;
  const first = values[0]!;
  const last = values[values.length - 1]!;
  const change = first === 0 ? last - first : (last - first) / Math.abs(first);
  if (change > STABLE_WITHIN) return 'rising';
  if (change < -STABLE_WITHIN) return 'falling';
  return 'stable';
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

/** Brings the points and series of the changed observations up to date. */
export async function refreshSeries(client: Queryable, profileId: string, observationIds: string[]): Promise<void> {
  const delta = new Map<string, number>();
  const bump = (key: string, by: number) => delta.set(key, (delta.get(key) ?? 0) + by);

  const removed = await client.query<{ series_key: string }>(
    `delete from public.journey_lab_points where profile_id = $1::uuid and observation_id = any ($2::uuid[])
     returning series_key`,
    [profileId, observationIds],
  );
  for (const row of removed.rows) bump(row.series_key, -1);

  // Oldest recorded first, so a new series takes the unit of its earliest observation.
  const { rows } = await client.query<ObservationRow>(
    `select id, name, code_system, code, value_numeric, unit, reference_low, reference_high, interpretation,
            coalesce(effective_at, created_at) as effective_at, source_document_id
     from public.observations
     where profile_id = $1::uuid and id = any ($2::uuid[])
       and value_numeric is not null and status not in ('entered-in-error', 'cancelled')
     order by created_at, id`,
    [profileId, observationIds],
  );
  if (rows.length > 0) await addPoints(client, profileId, rows, bump);
  if (delta.size > 0) await refreshHeaders(client, profileId, delta);
}

async function addPoints(client: Queryable, profileId: string, rows: ObservationRow[], bump: (key: string, by: number) => void) {
  const keyed = rows.map((row) => ({ row, key: seriesKey(row) }));
  const keys = [...new Set(keyed.map((k) => k.key))];
  const existing = await client.query<{ series_key: string; unit: string | null }>(
    `select series_key, unit from public.journey_lab_series where profile_id = $1::uuid and series_key = any ($2::text[])`,
    [profileId, keys],
  );
  const units = new Map<string, string | null>(existing.rows.map((r) => [r.series_key, r.unit]));
  const newSeries: { key: string; unit: string | null }[] = [];
  for (const { row, key } of keyed) {
    if (units.has(key)) continue;
    const unit = preferredUnit({ series_key: key, name: row.name }) ?? row.unit;
    units.set(key, unit);
    newSeries.push({ key, unit });
  }
  // New headers are created now so their unit is fixed; refreshHeaders fills the rest.
  if (newSeries.length > 0) {
    await client.query(
      `insert into public.journey_lab_series (profile_id, series_key, name, category, unit)
       select $1::uuid, k, '', 'laboratory', u from unnest($2::text[], $3::text[]) as t(k, u)
       on conflict (profile_id, series_key) do nothing`,
      [profileId, newSeries.map((s) => s.key), newSeries.map((s) => s.unit)],
    );
  }

  const points = keyed.map(({ row, key }) => {
    const seriesUnit = units.get(key) ?? null;
    const analyte = { series_key: key, name: row.name };
    const original = Number(row.value_numeric);
    const value = convertValue(original, row.unit, seriesUnit, analyte);
    const convert = (v: string | null) => (v === null ? null : value === null ? Number(v) : convertValue(Number(v), row.unit, seriesUnit, analyte));
    bump(key, 1);
    return {
      id: row.id,
      key,
      at: row.effective_at,
      value: value ?? original,
      unit: value === null ? row.unit : seriesUnit,
      convertible: value !== null,
      original,
      originalUnit: row.unit,
      low: convert(row.reference_low),
      high: convert(row.reference_high),
      interpretation: row.interpretation,
      doc: row.source_document_id,
    };
  });
  await client.query(
    `insert into public.journey_lab_points (observation_id, profile_id, series_key, effective_at, value, unit, convertible,
                                            original_value, original_unit, reference_low, reference_high, interpretation, document_id)
     select id, $1::uuid, key, at, value, unit, convertible, original, original_unit, low, high, interpretation, doc
     from unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::numeric[], $6::text[], $7::boolean[], $8::numeric[],
                 $9::text[], $10::numeric[], $11::numeric[], $12::text[], $13::uuid[])
       as p(id, key, at, value, unit, convertible, original, original_unit, low, high, interpretation, doc)`,
    [
      profileId,
      points.map((p) => p.id),
      points.map((p) => p.key),
      points.map((p) => p.at),
      points.map((p) => p.value),
      points.map((p) => p.unit),
      points.map((p) => p.convertible),
      points.map((p) => p.original),
      points.map((p) => p.originalUnit),
      points.map((p) => p.low),
      points.map((p) => p.high),
      points.map((p) => p.interpretation),
      points.map((p) => p.doc),
    ],
  );
}

async function refreshHeaders(client: Queryable, profileId: string, delta: Map<string, number>) {
  const keys = [...delta.keys()];
  // The latest points of each touched series (index journey_lab_points_series_idx).
  const { rows } = await client.query<PointRow>(
    `select k.series_key, p.observation_id, p.effective_at, p.value, p.convertible, p.reference_low, p.reference_high
     from unnest($2::text[]) as k(series_key)
     cross join lateral (
       select observation_id, effective_at, value, convertible, reference_low, reference_high
       from public.journey_lab_points p
       where p.profile_id = $1::uuid and p.series_key = k.series_key
       order by p.effective_at desc, p.observation_id desc
       limit ${DIRECTION_WINDOW}
     ) p`,
    [profileId, keys],
  );
  const latest = new Map<string, PointRow[]>();
  for (const row of rows) {
    const list = latest.get(row.series_key) ?? [];
    list.push(row);
    latest.set(row.series_key, list);
  }
  const headers = keys.map((key) => {
    const points = latest.get(key) ?? [];
    const usable = points.filter((p) => p.convertible).reverse(); // oldest first
    const last = usable[usable.length - 1];
    return {
      key,
      delta: delta.get(key) ?? 0,
      latestObservation: points[0]?.observation_id ?? null,
      latestValue: last ? num(last.value) : null,
      latestAt: last?.effective_at ?? null,
      low: last ? num(last.reference_low) : null,
      high: last ? num(last.reference_high) : null,
      direction: directionOf(usable.map((p) => Number(p.value))),
    };
  });
  await client.query(
    `with h as (
       select * from unnest($2::text[], $3::int[], $4::uuid[], $5::numeric[], $6::timestamptz[], $7::numeric[], $8::numeric[], $9::text[])
         as h(key, delta, obs, latest_value, latest_at, low, high, direction)
     )
     update public.journey_lab_series s
     set point_count = s.point_count + h.delta,
         name = coalesce(o.name, s.name), code_system = o.code_system, code = o.code,
         category = coalesce(o.category, s.category),
         latest_value = h.latest_value, latest_at = h.latest_at, reference_low = h.low, reference_high = h.high,
         direction = h.direction, updated_at = now()
     from h left join public.observations o on o.id = h.obs
     where s.profile_id = $1::uuid and s.series_key = h.key`,
    [
      profileId,
      headers.map((h) => h.key),
      headers.map((h) => h.delta),
      headers.map((h) => h.latestObservation),
      headers.map((h) => h.latestValue),
      headers.map((h) => h.latestAt),
      headers.map((h) => h.low),
      headers.map((h) => h.high),
      headers.map((h) => h.direction),
    ],
  );
  // A series whose last point went goes with it (a separate statement: one statement
  // may not update and delete the same row).
  await client.query(
    `delete from public.journey_lab_series where profile_id = $1::uuid and series_key = any ($2::text[]) and point_count <= 0`,
    [profileId, keys],
  );
}
