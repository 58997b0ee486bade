/**
 * Recomputing a profile's journey: incrementally from its pending changes (the
 * `recompute_journey` job), or from scratch (`npm run journey -- rebuild`, for
 * repairs). Both go through the same per-record refreshes; a rebuild simply treats
 * every record as changed, then recounts exactly. test/consumers/journey asserts
 * that the two give equal results.
 */
import type { Pool, PoolClient } from '../../db/pool.js';
import { inTransaction } from '../../db/transaction.js';
import type { Queryable } from '../../events/queue/job.js';
import { drainChanges, discardChanges, JOURNEY_SOURCES, type JourneySource } from './changes.js';
import { refreshSeries } from './series.js';
import { rebuildSummary, refreshSummary } from './summary.js';
import { rebuildTimeline, refreshTimeline } from './timeline.js';
import { transactionOn } from '../../db/transaction.js';

/** What a rebuild clears first. */
const CLEAR_JOURNEY = [
  `delete from public.journey_timeline where profile_id = $1::uuid`,
  `delete from public.journey_lab_points where profile_id = $1::uuid`,
  `delete from public.journey_lab_series where profile_id = $1::uuid`,
  `delete from public.journey_summaries where profile_id = $1::uuid`,
];

/** Records per refresh during a rebuild: bounded statements and memory whatever the history. */
const REBUILD_CHUNK = 5_000;

// One recompute per profile at a time across every worker process: a second job for
// the same profile (queued while the first ran) waits here instead of interleaving
// its counts with the first's. The key space is shared with nothing else.
const LOCK = {
  transaction: `select pg_advisory_xact_lock(hashtextextended('guardian.journey:' || $1::text, 0))`,
  session: `select pg_advisory_lock(hashtextextended('guardian.journey:' || $1::text, 0))`,
  release: `select pg_advisory_unlock(hashtextextended('guardian.journey:' || $1::text, 0))`,
};

async function profileExists(client: Queryable, profileId: string): Promise<boolean> {
  const { rowCount } = await client.query(`select 1 from public.profiles where id = $1::uuid`, [profileId]);
  return rowCount === 1;
}

export interface RecomputeResult {
  changes: number;
}

/** Applies the profile's pending changes to its journey, in one transaction. */
export async function recomputeJourney(pool: Pool, profileId: string): Promise<RecomputeResult> {
  return inTransaction(pool, async (client) => {
    await client.query(LOCK.transaction, [profileId]);
    const batch = await drainChanges(client, profileId);
    // A deleted profile took its journey with it (cascade); its changes are moot.
    if (batch.size === 0 || !(await profileExists(client, profileId))) return { changes: batch.size };
    await refreshTimeline(client, profileId, batch.ids);
    const observations = batch.ids.get('observations');
    if (observations?.length) await refreshSeries(client, profileId, observations);
    await refreshSummary(client, profileId, batch);
    return { changes: batch.size };
  });
}

export interface RebuildResult {
  records: number;
}

/**
 * Recomputes the profile's journey from its records. Runs in one repeatable-read
 * transaction: it sees one snapshot, and drops only the pending changes that snapshot
 * already reflects; changes committed meanwhile stay queued for the next recompute.
 * The lock is a session lock, so `pool` must keep sessions (direct or a session
 * pooler: `createPool(target, n, log, { session: true })`); through a transaction
 * pooler the lock, the transaction and the unlock could each land on another server
 * connection, and a lock left behind would block that profile's recomputes.
 */
export async function rebuildJourney(pool: Pool, profileId: string): Promise<RebuildResult> {
  const client = await pool.connect();
  try {
    // A session lock taken before the snapshot: a recompute that commits while we wait
    // is then inside our snapshot, not racing it.
    await client.query(LOCK.session, [profileId]);
    try {
      return await repeatableRead(client, async () => {
        for (const sql of CLEAR_JOURNEY) await client.query(sql, [profileId]);
        await discardChanges(client, profileId);
        if (!(await profileExists(client, profileId))) return { records: 0 };
        let records = 0;
        for (const table of JOURNEY_SOURCES) {
          if (table === 'observations') await rebuildTimeline(client, profileId, table, 'all-results');
          for await (const ids of recordIds(client, table, profileId)) {
            records += ids.length;
            if (table === 'observations') await refreshSeries(client, profileId, ids);
            else await rebuildTimeline(client, profileId, table, ids);
          }
        }
        await rebuildSummary(client, profileId);
        return { records };
      });
    } finally {
      await client.query(LOCK.release, [profileId]);
    }
  } finally {
    client.release();
  }
}

/** The table's record ids for the profile, oldest recorded first, in chunks (keyset paging). */
async function* recordIds(client: Queryable, table: JourneySource, profileId: string): AsyncGenerator<string[]> {
  // created_at travels as text: a JS Date would drop its microseconds and the cursor
  // would never pass the row it stands on.
  type Cursor = { created_at: string; id: string };
  let after: Cursor | null = null as Cursor | null;
  for (;;) {
    const { rows }: { rows: Cursor[] } = await client.query(
      `select id, created_at::text as created_at from public.${table}
       where profile_id = $1::uuid and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
       order by created_at, id limit ${REBUILD_CHUNK}`,
      [profileId, after?.created_at ?? null, after?.id ?? null],
    );
    if (rows.length === 0) return;
    yield rows.map((r) => r.id);
    after = rows[rows.length - 1]!;
  }
}

/** Every profile with any journey input, for `rebuild --all`. */
export async function allProfileIds(pool: Pool): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(`select id from public.profiles order by id`);
  return rows.map((r) => r.id);
}

/** The rebuild's transaction on a client it already holds (its session lock spans the transaction). */
function repeatableRead<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  return transactionOn(client, fn, 'begin isolation level repeatable read');
}
