/**
 * `npm run bench:rls`: what row-level security costs on record reads, on real Postgres
 * (DATABASE_URL or the embedded one, in a throwaway database).
 *
 * A profile with 10,000 observations (the size of a few years of lab reports). Each
 * read runs as its caller through the CallerPool, exactly as the api runs it, next to
 * the same read by the superuser (no RLS: the floor):
 *   count     select count(*) of the profile's observations
 *   page      the newest 50, ordered by date (the record lists of the provider portal)
 * for the owner (a member) and for a provider with a live 'observations' grant.
 *
 * Last line: {"member_count_ms", "member_page_ms", "provider_count_ms", "provider_page_ms",
 * "superuser_count_ms", "superuser_page_ms", …} (medians). Not part of `npm test`.
 */
import { loadConfig } from '../src/config.js';
import type { Caller } from '../src/db/as-caller.js';
import { CallerPool } from '../src/db/caller-pool.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/log.js';
import { percentile, round, table } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';

const READS = Number(process.argv[2] ?? 50);
const RECORDS = 10_000;

const config = loadConfig();
const log = createLogger('error', 'bench');
const database = await throwawayDatabase(config, log);
const pool = createPool(database.url, 2, log);
const callers = new CallerPool(database.url, 2);

async function newUser(): Promise<string> {
  return (await pool.query<{ id: string }>(
    `insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated',
       'bench-' || gen_random_uuid() || '@example.test') returning id`,
  )).rows[0]!.id;
}

const owner = await newUser();
const profile = (await pool.query<{ id: string }>(
  `insert into public.profiles (owner_id, display_name, relationship) values ($1::uuid, 'Bench', 'self') returning id`,
  [owner],
)).rows[0]!.id;
const doctor = await newUser();
const provider = (await pool.query<{ id: string }>(
  `insert into public.providers (user_id, display_name, organization) values ($1::uuid, 'Dr Bench', 'Bench Clinic') returning id`,
  [doctor],
)).rows[0]!.id;
await pool.query(
  `insert into public.access_grants (profile_id, provider_id, granted_by, categories) values ($1::uuid, $2::uuid, $3::uuid, '{observations}')`,
  [profile, provider, owner],
);
await pool.query(
  `insert into public.observations (profile_id, category, name, value_numeric, unit, effective_at, recorded_by)
   select $1::uuid, 'laboratory', 'Analyte ' || (g % 40), g % 13, 'U/L', timestamptz '2026-01-01' - g * interval '2 hours', $2::uuid
   from generate_series(1, $3::int) g`,
  [profile, owner, RECORDS],
);
await pool.query('analyze');

const READS_SQL = {
  count: `select count(*)::int as n from public.observations where profile_id = $1::uuid`,
  page: `select id, name, value_numeric, unit, effective_at from public.observations
         where profile_id = $1::uuid order by effective_at desc limit 50`,
};

/** Median ms of READS runs after 3 warm-ups; also checks the caller saw every row. */
async function measure(who: Caller | 'superuser', sql: string, expectRows: number): Promise<number> {
  const run = () => (who === 'superuser' ? pool.query(sql, [profile]) : callers.read(who, sql, [profile]));
  const times: number[] = [];
  for (let i = 0; i < READS + 3; i++) {
    const started = performance.now();
    const { rows } = await run();
    if (i >= 3) times.push(performance.now() - started);
    const seen = sql.includes('count(*)') ? (rows[0] as { n: number }).n : rows.length;
    if (seen !== expectRows) throw new Error(`expected ${expectRows} rows, the read saw ${seen}`);
  }
  return round(percentile(times.sort((a, b) => a - b), 50), 2);
}

const asUser = (sub: string): Caller => ({ role: 'authenticated', claims: { sub, role: 'authenticated', aud: 'authenticated' } });
const results: Record<string, number> = {};
for (const [who, caller] of [['member', asUser(owner)], ['provider', asUser(doctor)], ['superuser', 'superuser']] as const) {
  results[`${who}_count_ms`] = await measure(caller, READS_SQL.count, RECORDS);
  results[`${who}_page_ms`] = await measure(caller, READS_SQL.page, 50);
}

await callers.end();
await pool.end();
await database.drop();

table(['observations read (10,000 on the profile)', 'count(*) p50 ms', 'newest 50 p50 ms'], [
  ['owner (member), under RLS', results.member_count_ms!, results.member_page_ms!],
  ['provider with a grant, under RLS', results.provider_count_ms!, results.provider_page_ms!],
  ['superuser, no RLS (the floor)', results.superuser_count_ms!, results.superuser_page_ms!],
]);
console.log(`\n${READS} reads each`);
console.log(JSON.stringify({ ...results, records: RECORDS, reads: READS }));
