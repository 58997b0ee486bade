/**
 * The journey read path's layers, each measured against the same read without it
 * (used by bench/api.ts, which prints the figures side by side):
 *
 *   stored JSON     timeline entries and series headers rendered once, when written
 *                   (migration 1900's triggers), against rendering them in every read;
 *                   and what the rendering costs a full rebuild of the profile;
 *   JSON text       the statement's JSON passed through as text, against parsing it in
 *                   the api and serialising the answer again;
 *   compaction      the version check of a kept answer over one compacted row, against
 *                   the rows a profile's writes leave when nothing folds them.
 *
 * The answer cache itself is measured through the api (bench/api.ts, on and off).
 */
import type { Caller } from '../src/db/as-caller.js';
import type { CallerPool } from '../src/db/caller-pool.js';
import type { Pool } from '../src/db/pool.js';
import { rebuildJourney } from '../src/consumers/journey/recompute.js';
import { ISO } from '../src/http/api/journey-statement.js';

export interface Statement { name: string; sql: string; params: unknown[] }

// What migration 1900's triggers store, written into the read instead.
const RENDER_ENTRY = `json_build_object('id', id, 'kind', kind, 'category', category, 'occurred_at', ${ISO('occurred_at')},
  'title', title, 'detail', detail, 'record_table', record_table, 'record_ids', record_ids, 'document_ids', document_ids)::text`;
const RENDER_HEADER = `json_build_object('series_key', series_key, 'name', name, 'code_system', code_system, 'code', code,
  'category', category, 'unit', unit, 'point_count', point_count, 'latest_value', latest_value::float8, 'latest_at', ${ISO('latest_at')},
  'reference_low', reference_low::float8, 'reference_high', reference_high::float8, 'direction', direction)::text`;

function replaceOnce(sql: string, from: string, to: string): string {
  if (sql.split(from).length !== 2) throw new Error(`the journey statement changed: "${from}" is no longer there once`);
  return sql.replace(from, to);
}

/** The same statement, rendering the entries and headers it reads instead of reading them rendered. */
export function renderingPerRead(statement: Statement): Statement {
  let sql = replaceOnce(statement.sql, 'select id, occurred_at, api_json\n    from public.journey_timeline',
    `select id, occurred_at, ${RENDER_ENTRY} as api_json\n    from public.journey_timeline`);
  sql = replaceOnce(sql, 'select api_json, latest_at, series_key from public.journey_lab_series',
    `select ${RENDER_HEADER} as api_json, latest_at, series_key from public.journey_lab_series`);
  return { ...statement, name: `${statement.name}_rendering`, sql };
}

/** The same statement, its JSON handed to the api as values (node-postgres parses json columns). */
export function parsedInApi(statement: Statement): Statement {
  return {
    ...statement,
    name: `${statement.name}_parsed`,
    sql: `select summary::json as summary, entries::json as entries, next_position, series::json as series, series_truncated, version, access
          from (${statement.sql}) as journey`,
  };
}

interface JourneyValues { summary: unknown; entries: unknown; next_position: string | null; series: unknown; series_truncated: boolean }

/** The answer as the route would build it from parsed values, serialised as Koa would. */
export function serialiseParsed(profile: string, row: JourneyValues): string {
  return JSON.stringify({
    profile_id: profile,
    summary: row.summary,
    timeline: { entries: row.entries, next_cursor: row.next_position === null ? null : Buffer.from(row.next_position).toString('base64url') },
    lab_series: row.series,
    lab_series_truncated: row.series_truncated,
  });
}

/** Reads a second, as `connections` callers running `statement` back to back. */
export async function readsPerSecond(callers: CallerPool, caller: Caller, statement: Statement, seconds: number, connections: number): Promise<number> {
  let reads = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) {
      await callers.read(caller, statement.sql, statement.params, statement.name);
      reads++;
    }
  }));
  return reads / seconds;
}

/**
 * Median milliseconds of a full rebuild of the profile's journey with the stored JSON
 * rendered and without (its triggers off, its column left empty), taking turns. Leaves
 * the triggers off: run it last, on a throwaway database.
 */
export async function rebuildWithAndWithoutRendering(pool: Pool, profile: string, rounds: number): Promise<{ rendering_ms: number; plain_ms: number }> {
  const rendering = (on: boolean) => async () => {
    for (const table of ['journey_timeline', 'journey_lab_series']) {
      await pool.query(`alter table public.${table} ${on ? 'enable' : 'disable'} trigger render_api_json`);
    }
  };
  const timed = async () => {
    const started = performance.now();
    await rebuildJourney(pool, profile);
    return performance.now() - started;
  };
  await timed(); // warm: the first rebuild of the run reads cold pages
  for (const table of ['journey_timeline', 'journey_lab_series']) await pool.query(`alter table public.${table} alter column api_json drop not null`);
  const [withRendering, without] = await takingTurns<number>([
    { label: 'rendering', setUp: rendering(true), measure: timed },
    { label: 'plain', setUp: rendering(false), measure: timed },
  ], rounds);
  return { rendering_ms: median(withRendering!), plain_ms: median(without!) };
}

/** Adds `rows` counted writes to the profile's journey version, as that many unfolded writes would leave. */
export async function leaveWritesUncompacted(pool: Pool, profile: string, rows: number): Promise<void> {
  await pool.query(`insert into private.journey_writes (profile_id) select $1::uuid from generate_series(1, $2::int)`, [profile, rows]);
}

export interface Variant<R> {
  label: string;
  /** Before each of its rounds (e.g. leave the versions uncompacted). */
  setUp?: () => Promise<void>;
  tearDown?: () => Promise<void>;
  measure: () => Promise<R>;
}

/**
 * Each variant measured `rounds` times, taking turns (A B C A B C …), so that load
 * from elsewhere on the machine falls on every variant alike rather than on whichever
 * ran while it lasted. Returns each variant's rounds in its order.
 */
export async function takingTurns<R>(variants: Variant<R>[], rounds: number): Promise<R[][]> {
  const results: R[][] = variants.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, variant] of variants.entries()) {
      await variant.setUp?.();
      results[i]!.push(await variant.measure());
      await variant.tearDown?.();
    }
  }
  return results;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface TimedRead { statement: Statement; then?: (row: never) => unknown }

/**
 * Each read's median milliseconds, one connection, the variants alternating read by
 * read (their order turning each time): a burst of load from elsewhere falls on every
 * variant alike, and the median ignores the reads it slowed most.
 */
export async function medianMilliseconds(callers: CallerPool, caller: Caller, variants: TimedRead[], reads: number): Promise<number[]> {
  const times: number[][] = variants.map(() => []);
  for (let i = 0; i < reads + 1; i++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (i + k) % variants.length;
      const { statement, then } = variants[v]!;
      const started = performance.now();
      const { rows } = await callers.read(caller, statement.sql, statement.params, statement.name);
      then?.(rows[0] as never);
      if (i > 0) times[v]!.push(performance.now() - started); // the first round prepares each statement
    }
  }
  return times.map(median);
}
