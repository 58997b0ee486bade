/**
 * The timeline: dated entries, each linking to its source records and documents.
 *
 * Results are grouped per source document and UTC day (a forty-line lab report is one
 * entry); every other record is its own entry, and a medication may have two (start,
 * and stop once it ends). Records entered in error drop out.
 *
 * Incremental: for the changed records only, find the entries they sit in now (the
 * GIN index on record_ids) and the entries they belong in, rebuild exactly those, and
 * delete the ones left empty. The cost follows the size of the change, not the
 * history (bench:journey measures it).
 */
import type { Queryable } from '../../events/queue/job.js';
import type { JourneySource } from './changes.js';

// Timestamps of date-only fields are taken at midnight UTC, so an entry's position
// does not depend on the session's time zone.
const utc = (column: string) => `(${column}::timestamp at time zone 'UTC')`;

/**
 * Per table, the entries its records produce. $1 profile id, $2 the record ids.
 * Columns: entry_key, kind, category, occurred_at, title, detail, record_table,
 * record_ids, document_ids.
 */
const ENTRIES: Record<Exclude<JourneySource, 'observations'>, string> = {
  documents: `
    select 'document:' || d.id as entry_key, 'document' as kind, 'documents' as category, d.created_at as occurred_at,
           d.file_name as title,
           jsonb_build_object('status', d.status, 'media_type', d.media_type, 'error_code', d.error_code) as detail,
           'documents' as record_table, array[d.id] as record_ids, array[d.id] as document_ids
    from public.documents d where d.profile_id = $1::uuid and d.id = any ($2::uuid[])`,
  encounters: `
    select 'encounter:' || e.id, 'encounter', 'encounters', coalesce(e.start_at, e.created_at),
           coalesce(e.type, 'Visit'),
           jsonb_strip_nulls(jsonb_build_object('class', e.class, 'facility', e.facility, 'practitioner', e.practitioner,
                                                'reason', e.reason, 'end_at', e.end_at)),
           'encounters', array[e.id], array_remove(array[e.source_document_id], null)
    from public.encounters e where e.profile_id = $1::uuid and e.id = any ($2::uuid[])`,
  conditions: `
    select 'diagnosis:' || c.id, 'diagnosis', 'conditions', coalesce(${utc('c.onset_date')}, c.created_at),
           c.name,
           jsonb_strip_nulls(jsonb_build_object('clinical_status', c.clinical_status, 'severity', c.severity,
                                                'code', c.code, 'code_system', c.code_system)),
           'conditions', array[c.id], array_remove(array[c.source_document_id], null)
    from public.conditions c where c.profile_id = $1::uuid and c.id = any ($2::uuid[])`,
  medications: `
    select 'medication_start:' || m.id, 'medication_start', 'medications', coalesce(${utc('m.start_date')}, m.created_at),
           m.name,
           jsonb_strip_nulls(jsonb_build_object('status', m.status, 'dose', m.dose_text, 'reason', m.reason)),
           'medications', array[m.id], array_remove(array[m.source_document_id], null)
    from public.medications m
    where m.profile_id = $1::uuid and m.id = any ($2::uuid[]) and m.status <> 'entered-in-error'
    union all
    select 'medication_stop:' || m.id, 'medication_stop', 'medications', coalesce(${utc('m.end_date')}, m.updated_at),
           m.name,
           jsonb_strip_nulls(jsonb_build_object('status', m.status, 'dose', m.dose_text)),
           'medications', array[m.id], array_remove(array[m.source_document_id], null)
    from public.medications m
    where m.profile_id = $1::uuid and m.id = any ($2::uuid[])
      and (m.end_date is not null or m.status in ('stopped', 'completed'))`,
  immunizations: `
    select 'immunization:' || i.id, 'immunization', 'immunizations', coalesce(${utc('i.occurrence_date')}, i.created_at),
           i.vaccine,
           jsonb_strip_nulls(jsonb_build_object('dose_number', i.dose_number, 'code', i.code, 'code_system', i.code_system)),
           'immunizations', array[i.id], array_remove(array[i.source_document_id], null)
    from public.immunizations i where i.profile_id = $1::uuid and i.id = any ($2::uuid[]) and i.status = 'completed'`,
  procedures: `
    select 'procedure:' || p.id, 'procedure', 'procedures', coalesce(p.performed_at, p.created_at),
           p.name,
           jsonb_strip_nulls(jsonb_build_object('status', p.status, 'body_site', p.body_site, 'performer', p.performer)),
           'procedures', array[p.id], array_remove(array[p.source_document_id], null)
    from public.procedures p
    where p.profile_id = $1::uuid and p.id = any ($2::uuid[]) and p.status not in ('entered-in-error', 'not-done')`,
  allergies: `
    select 'allergy:' || a.id, 'allergy', 'allergies', coalesce(${utc('a.recorded_date')}, a.created_at),
           a.substance,
           jsonb_strip_nulls(jsonb_build_object('clinical_status', a.clinical_status, 'criticality', a.criticality,
                                                'reaction', a.reaction)),
           'allergies', array[a.id], array_remove(array[a.source_document_id], null)
    from public.allergies a where a.profile_id = $1::uuid and a.id = any ($2::uuid[])`,
};

const ENTRY_COLUMNS = 'entry_key, kind, category, occurred_at, title, detail, record_table, record_ids, document_ids';

/** Rebuilds the entries of one table's changed records (any table but observations). */
async function refreshRecordEntries(
  client: Queryable,
  profileId: string,
  table: Exclude<JourneySource, 'observations'>,
  ids: string[],
  fresh: boolean,
) {
  // Upsert what the records produce now, then drop their entries that no longer apply
  // (a medication no longer stopped, a record deleted or entered in error).
  const { rows } = await client.query<{ entry_key: string }>(
    `with wanted (${ENTRY_COLUMNS}) as (${ENTRIES[table]}),
     upserted as (
       insert into public.journey_timeline (profile_id, ${ENTRY_COLUMNS})
       select $1::uuid, ${ENTRY_COLUMNS} from wanted
       on conflict (profile_id, entry_key) do update
         set kind = excluded.kind, category = excluded.category, occurred_at = excluded.occurred_at,
             title = excluded.title, detail = excluded.detail, record_ids = excluded.record_ids,
             document_ids = excluded.document_ids, updated_at = now()
         where (journey_timeline.occurred_at, journey_timeline.title, journey_timeline.detail, journey_timeline.document_ids)
               is distinct from (excluded.occurred_at, excluded.title, excluded.detail, excluded.document_ids)
       returning entry_key
     )
     select entry_key from wanted`,
    [profileId, ids],
  );
  if (fresh) return; // a rebuild starts from an empty timeline: nothing stale to find
  await client.query(
    `delete from public.journey_timeline
     where profile_id = $1::uuid and record_table = $2::text and record_ids && $3::uuid[]
       and not (entry_key = any ($4::text[]))`,
    [profileId, table, ids, rows.map((r) => r.entry_key)],
  );
}

/** The observations' group (document, UTC day), as an entry key. */
const RESULT_GROUP = `'results:' || coalesce(o.source_document_id::text, 'manual') || ':' ||
                      to_char(coalesce(o.effective_at, o.created_at) at time zone 'UTC', 'YYYY-MM-DD')`;

/** A result group's entry columns, aggregated over its observations `o` (shared by both paths below). */
const RESULT_ENTRY = `'results' as kind, 'observations' as category,
              min(coalesce(o.effective_at, o.created_at)) as occurred_at,
              case when count(*) = 1 then min(o.name) else count(*) || ' results' end as title,
              jsonb_build_object(
                'count', count(*),
                'abnormal', count(*) filter (where o.interpretation in ('L', 'H', 'LL', 'HH', 'A', 'AA')
                                              or o.value_numeric < o.reference_low or o.value_numeric > o.reference_high),
                'names', (array_agg(o.name order by o.name, o.id))[1:12]) as detail,
              'observations' as record_table,
              array_agg(o.id order by o.id) as record_ids`;

/** Every result group of the profile in one pass (a rebuild). */
async function rebuildResultGroups(client: Queryable, profileId: string) {
  await client.query(
    `insert into public.journey_timeline (profile_id, ${ENTRY_COLUMNS})
     select $1::uuid, o.entry_key, ${RESULT_ENTRY}, array_remove(array[o.source_document_id], null)
     from (select o.*, ${RESULT_GROUP} as entry_key from public.observations o
           where o.profile_id = $1::uuid and o.status not in ('entered-in-error', 'cancelled')) o
     group by o.entry_key, o.source_document_id`,
    [profileId],
  );
}

/** Rebuilds the result groups that changed observations left or joined. */
async function refreshResultGroups(client: Queryable, profileId: string, ids: string[]) {
  const { rows: keys } = await client.query<{ entry_key: string }>(
    `select entry_key from public.journey_timeline
     where profile_id = $1::uuid and record_table = 'observations' and record_ids && $2::uuid[]
     union
     select ${RESULT_GROUP} from public.observations o
     where o.profile_id = $1::uuid and o.id = any ($2::uuid[]) and o.status not in ('entered-in-error', 'cancelled')`,
    [profileId, ids],
  );
  if (keys.length === 0) return;
  const groups = keys.map(({ entry_key }) => {
    const [, doc, day] = entry_key.split(':') as [string, string, string];
    return { key: entry_key, doc: doc === 'manual' ? null : doc, day };
  });
  // Each group is read through observations_profile_occurred_idx: one day of one
  // profile, however long the history.
  await client.query(
    `with keys as (
       select * from unnest($2::text[], $3::uuid[], $4::date[]) as k(entry_key, doc, day)
     ),
     wanted as (
       select k.entry_key, ${RESULT_ENTRY}, array_remove(array[k.doc], null) as document_ids
       from keys k
       join public.observations o
         on o.profile_id = $1::uuid
        and coalesce(o.effective_at, o.created_at) >= (k.day::timestamp at time zone 'UTC')
        and coalesce(o.effective_at, o.created_at) < ((k.day + 1)::timestamp at time zone 'UTC')
        and o.source_document_id is not distinct from k.doc
        and o.status not in ('entered-in-error', 'cancelled')
       group by k.entry_key, k.doc
     ),
     removed as (
       delete from public.journey_timeline t
       where t.profile_id = $1::uuid and t.entry_key in (select entry_key from keys)
         and t.entry_key not in (select entry_key from wanted)
     )
     insert into public.journey_timeline (profile_id, ${ENTRY_COLUMNS})
     select $1::uuid, ${ENTRY_COLUMNS} from wanted
     on conflict (profile_id, entry_key) do update
       set occurred_at = excluded.occurred_at, title = excluded.title, detail = excluded.detail,
           record_ids = excluded.record_ids, document_ids = excluded.document_ids, updated_at = now()`,
    [profileId, groups.map((g) => g.key), groups.map((g) => g.doc), groups.map((g) => g.day)],
  );
}

/** Brings the timeline up to date for one batch of changed records. */
export async function refreshTimeline(client: Queryable, profileId: string, ids: Map<JourneySource, string[]>): Promise<void> {
  for (const [table, tableIds] of ids) {
    if (tableIds.length === 0) continue;
    if (table === 'observations') await refreshResultGroups(client, profileId, tableIds);
    else await refreshRecordEntries(client, profileId, table, tableIds, false);
  }
}

/**
 * Adds a rebuild's entries to an emptied timeline: records of one table, chunk by
 * chunk, and every result group at once (grouping needs the whole day, not a chunk).
 */
export async function rebuildTimeline(client: Queryable, profileId: string, table: JourneySource, ids: string[] | 'all-results'): Promise<void> {
  if (ids === 'all-results') await rebuildResultGroups(client, profileId);
  else if (table !== 'observations') await refreshRecordEntries(client, profileId, table, ids, true);
}
