/**
 * The profile's current summary (one row in journey_summaries): active medications,
 * active problems, allergies, latest vitals, record counts, documents in progress,
 * open alerts and last activity. Only the sections a change touches are recomputed;
 * each reads the profile's *current* items through a partial index (active
 * medications, live alerts …), never the history.
 */
import type { Queryable } from '../../events/queue/job.js';
import type { ChangeBatch, JourneySource } from './changes.js';

const SECTIONS: Partial<Record<JourneySource, { column: string; sql: string }[]>> = {
  medications: [{
    column: 'active_medications',
    sql: `select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
              'id', m.id, 'name', m.name, 'dose', m.dose_text, 'start_date', m.start_date, 'document_id', m.source_document_id))
            order by lower(m.name), m.id), '[]')
          from public.medications m where m.profile_id = $1::uuid and m.status = 'active'`,
  }],
  conditions: [{
    column: 'active_problems',
    sql: `select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
              'id', c.id, 'name', c.name, 'onset_date', c.onset_date, 'severity', c.severity, 'document_id', c.source_document_id))
            order by lower(c.name), c.id), '[]')
          from public.conditions c where c.profile_id = $1::uuid and c.clinical_status in ('active', 'recurrence', 'relapse')`,
  }],
  allergies: [{
    column: 'allergies',
    sql: `select coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
              'id', a.id, 'substance', a.substance, 'criticality', a.criticality, 'reaction', a.reaction))
            order by lower(a.substance), a.id), '[]')
          from public.allergies a where a.profile_id = $1::uuid and a.clinical_status = 'active'`,
  }],
  // Vitals come from the series (already converted), one per vital sign.
  observations: [{
    column: 'latest_vitals',
    sql: `select coalesce(jsonb_agg(jsonb_build_object(
              'series_key', s.series_key, 'name', s.name, 'value', s.latest_value, 'unit', s.unit, 'at', s.latest_at)
            order by s.series_key), '[]')
          from public.journey_lab_series s
          where s.profile_id = $1::uuid and s.category = 'vital-signs' and s.latest_value is not null`,
  }],
  documents: [{
    column: 'documents_in_progress',
    sql: `select count(*)::int from public.documents d
          where d.profile_id = $1::uuid and d.status in ('uploaded', 'queued', 'processing')`,
  }],
};

const OPEN_ALERTS_SQL = `select count(*)::int from public.cds_alerts a where a.profile_id = $1::uuid and a.status = 'open'`;

/**
 * The summary's count of open alerts, recounted: the one writer of
 * journey_summaries.open_alerts. The rules engine calls it after changing a profile's
 * alerts, a rebuild after rewriting the row.
 */
export async function refreshOpenAlerts(client: Queryable, profileId: string): Promise<void> {
  await client.query(
    `insert into public.journey_summaries (profile_id, open_alerts) values ($1::uuid, (${OPEN_ALERTS_SQL}))
     on conflict (profile_id) do update set open_alerts = excluded.open_alerts, updated_at = now()
       where journey_summaries.open_alerts is distinct from excluded.open_alerts`,
    [profileId],
  );
}

/** Updates the summary sections that the batch's tables feed, and the counts by their net change. */
export async function refreshSummary(client: Queryable, profileId: string, batch: ChangeBatch): Promise<void> {
  const sections = [...batch.ids.keys()].flatMap((table) => SECTIONS[table] ?? []);
  const deltas = Object.fromEntries([...batch.countDelta].filter(([, n]) => n !== 0));
  await client.query(
    `insert into public.journey_summaries (profile_id, counts, last_activity_at)
     values ($1::uuid, $2::jsonb, $3::timestamptz)
     on conflict (profile_id) do update
       set counts = (select coalesce(jsonb_object_agg(k, v), '{}') from (
                       select k, sum(v)::int as v
                       from (select key as k, value::int as v from jsonb_each_text(journey_summaries.counts)
                             union all
                             select key, value::int from jsonb_each_text(excluded.counts)) both_counts
                       group by k having sum(v) <> 0) summed),
           last_activity_at = greatest(journey_summaries.last_activity_at, excluded.last_activity_at),
           updated_at = now()`,
    [profileId, JSON.stringify(deltas), batch.lastChangedAt],
  );
  if (sections.length > 0) await writeSections(client, profileId, sections);
}

/** Each section's update, composed once from the constants above (a change touches one or two). */
const SECTION_UPDATES = new Map(
  Object.values(SECTIONS).flat().map((s) => [s.column, `update public.journey_summaries set ${s.column} = (${s.sql}), updated_at = now() where profile_id = $1::uuid`]),
);

async function writeSections(client: Queryable, profileId: string, sections: { column: string }[]) {
  for (const { column } of sections) await client.query(SECTION_UPDATES.get(column)!, [profileId]);
}

/** Every section and exact counts, for a rebuild. */
export async function rebuildSummary(client: Queryable, profileId: string): Promise<void> {
  const counts = (await client.query<{ counts: Record<string, number> }>(
    `select jsonb_strip_nulls(jsonb_build_object(
       'documents', nullif((select count(*) from public.documents where profile_id = $1::uuid), 0),
       'observations', nullif((select count(*) from public.observations where profile_id = $1::uuid), 0),
       'medications', nullif((select count(*) from public.medications where profile_id = $1::uuid), 0),
       'conditions', nullif((select count(*) from public.conditions where profile_id = $1::uuid), 0),
       'allergies', nullif((select count(*) from public.allergies where profile_id = $1::uuid), 0),
       'immunizations', nullif((select count(*) from public.immunizations where profile_id = $1::uuid), 0),
       'encounters', nullif((select count(*) from public.encounters where profile_id = $1::uuid), 0),
       'procedures', nullif((select count(*) from public.procedures where profile_id = $1::uuid), 0))) as counts`,
    [profileId],
  )).rows[0]!.counts;
  await client.query(
    `insert into public.journey_summaries (profile_id, counts, last_activity_at)
     values ($1::uuid, $2::jsonb,
             (select max(updated_at) from (
                select max(updated_at) as updated_at from public.documents where profile_id = $1::uuid
                union all select max(updated_at) from public.observations where profile_id = $1::uuid
                union all select max(updated_at) from public.medications where profile_id = $1::uuid
                union all select max(updated_at) from public.conditions where profile_id = $1::uuid
                union all select max(updated_at) from public.allergies where profile_id = $1::uuid
                union all select max(updated_at) from public.immunizations where profile_id = $1::uuid
                union all select max(updated_at) from public.encounters where profile_id = $1::uuid
                union all select max(updated_at) from public.procedures where profile_id = $1::uuid) latest))
     on conflict (profile_id) do update
       set counts = excluded.counts, last_activity_at = excluded.last_activity_at, updated_at = now()`,
    [profileId, JSON.stringify(counts)],
  );
  await refreshOpenAlerts(client, profileId);
  await writeSections(client, profileId, Object.values(SECTIONS).flat());
}
