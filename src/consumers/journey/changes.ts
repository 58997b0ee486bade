/**
 * The journey's inbox: private.journey_changes, written by the derived-job triggers in
 * the same transaction as the change itself. A recompute drains a profile's rows in
 * its own transaction, so a crash puts them back and nothing is lost.
 */
import { RECORD_CATEGORIES, type RecordCategory } from '../../db/record-categories.js';
import type { Queryable } from '../../events/queue/job.js';

/** The tables a journey is derived from: every record category. */
export type JourneySource = RecordCategory;
export const JOURNEY_SOURCES: readonly JourneySource[] = RECORD_CATEGORIES;

export interface ChangeBatch {
  /** Record ids changed, per table (inserted, updated or deleted). */
  ids: Map<JourneySource, string[]>;
  /** Net change in the number of rows, per table (+1 per insert, -1 per delete). */
  countDelta: Map<JourneySource, number>;
  /** When the latest change was written (its transaction's start). */
  lastChangedAt: Date | null;
  size: number;
}

interface ChangeRow {
  source: JourneySource;
  record_id: string;
  op: 'I' | 'U' | 'D';
  changed_at: Date;
}

/** Removes and returns the profile's pending changes (call inside the recompute's transaction). */
export async function drainChanges(client: Queryable, profileId: string): Promise<ChangeBatch> {
  const { rows } = await client.query<ChangeRow>(
    `delete from private.journey_changes where profile_id = $1::uuid
     returning source, record_id, op, changed_at`,
    [profileId],
  );
  return summarise(rows);
}

/** Drops the changes a rebuild has already accounted for (those its snapshot saw). */
export async function discardChanges(client: Queryable, profileId: string): Promise<void> {
  await client.query(`delete from private.journey_changes where profile_id = $1::uuid`, [profileId]);
}

function summarise(rows: ChangeRow[]): ChangeBatch {
  const ids = new Map<JourneySource, Set<string>>();
  const countDelta = new Map<JourneySource, number>();
  let lastChangedAt: Date | null = null;
  for (const row of rows) {
    let set = ids.get(row.source);
    if (!set) ids.set(row.source, (set = new Set()));
    set.add(row.record_id);
    const delta = row.op === 'I' ? 1 : row.op === 'D' ? -1 : 0;
    countDelta.set(row.source, (countDelta.get(row.source) ?? 0) + delta);
    if (!lastChangedAt || row.changed_at > lastChangedAt) lastChangedAt = row.changed_at;
  }
  return {
    ids: new Map([...ids].map(([source, set]) => [source, [...set]])),
    countDelta,
    lastChangedAt,
    size: rows.length,
  };
}
