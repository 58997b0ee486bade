/**
 * `npm run bench:journey`: the derived pipelines' cost on real Postgres (DATABASE_URL
 * or the embedded one, in a throwaway database).
 *
 *   update   one new lab result on a profile with 100, 10,000 and 100,000 existing
 *            records, then the incremental journey recompute it triggers (timed);
 *            UPDATES times per size. Goal: the 100k case within 2× the 100 case,
 *            p50 ≤ 20 ms.
 *   rules    a full rule evaluation (every shipped rule) for a profile with 50 active
 *            medications and 2,000 lab results. Goal: p50 ≤ 50 ms.
 *
 * Last line: {"update_p50_ms_100", "update_p50_ms_10k", "update_p50_ms_100k", "rules_p50_ms", …}.
 * Not part of `npm test`.
 */
import { loadConfig } from '../src/config.js';
import { evaluateProfile } from '../src/consumers/decision-support/evaluate-profile.js';
import { rebuildJourney, recomputeJourney } from '../src/consumers/journey/recompute.js';
import { createPool } from '../src/db/pool.js';
import { createLogger } from '../src/log.js';
import { percentile, round, table } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';

const UPDATES = Number(process.argv[2] ?? 60);
const EVALUATIONS = Number(process.argv[3] ?? 40);
const SIZES = [100, 10_000, 100_000];

const config = loadConfig();
const log = createLogger('error', 'bench');
const database = await throwawayDatabase(config, log);
const pool = createPool(database.url, 4, log);

// 40 analytes, half with LOINC codes; the unit of a few alternates so conversion runs.
const ANALYTES = Array.from({ length: 40 }, (_, i) => i);

async function createProfile(birthDate = '1980-05-01'): Promise<string> {
  const user = (await pool.query<{ id: string }>(
    `insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated',
       'bench-' || gen_random_uuid() || '@example.test') returning id`,
  )).rows[0]!.id;
  return (await pool.query<{ id: string }>(
    `insert into public.profiles (owner_id, display_name, relationship, birth_date) values ($1::uuid, 'Bench', 'self', $2::date) returning id`,
    [user, birthDate],
  )).rows[0]!.id;
}

/** `count` records of history: 90 % results over the past years, 5 % medications, 5 % conditions. */
async function addHistory(profile: string, count: number): Promise<void> {
  const results = Math.round(count * 0.9);
  const medications = Math.round(count * 0.05);
  const conditions = count - results - medications;
  // Every 2 hours back from 2026-01-01: 100,000 results span ~23 years, a dozen a day.
  await pool.query(
    `insert into public.observations (profile_id, name, code_system, code, value_numeric, unit, reference_low, reference_high,
                                      effective_at, category)
     select $1::uuid, 'Analyte ' || (g % 40), case when g % 40 < 20 then 'http://loinc.org' end,
            case when g % 40 < 20 then (10000 + g % 40) || '-' || (g % 40 % 10) end,
            round((50 + 10 * sin(g / 7.0) + g % 13)::numeric, 1),
            case when g % 40 = 0 and g % 3 = 0 then 'mg/dL' when g % 40 = 0 then 'mmol/L' else 'U/L' end,
            40, 70, timestamptz '2026-01-01' - g * interval '2 hours',
            case when g % 40 = 39 then 'vital-signs' else 'laboratory' end
     from generate_series(1, $2::int) g`,
    [profile, results],
  );
  // A few stay active (about 1 in 100, as a real list stays short); the rest are history.
  await pool.query(
    `insert into public.medications (profile_id, name, start_date, end_date, status)
     select $1::uuid, 'Medicine ' || (g % 200), date '2026-01-01' - g, case when g % 100 <> 0 then date '2026-01-01' - g + 30 end,
            case when g % 100 = 0 then 'active' else 'completed' end
     from generate_series(1, $2::int) g`,
    [profile, medications],
  );
  await pool.query(
    `insert into public.conditions (profile_id, name, clinical_status, onset_date)
     select $1::uuid, 'Condition ' || (g % 300), case when g % 50 = 0 then 'active' else 'resolved' end, date '2026-01-01' - g
     from generate_series(1, $2::int) g`,
    [profile, conditions],
  );
}

async function timeUpdates(profile: string, count: number, offset = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = offset; i < offset + count; i++) {
    await pool.query(
      `insert into public.observations (profile_id, name, value_numeric, unit, reference_low, reference_high, effective_at)
       values ($1::uuid, 'Analyte ' || $2::int, $3::numeric, 'U/L', 40, 70, timestamptz '2026-02-01' + $4::int * interval '1 hour')`,
      [profile, ANALYTES[(i * 7) % ANALYTES.length], 45 + (i % 30), i],
    );
    const started = performance.now();
    const { changes } = await recomputeJourney(pool, profile);
    times.push(performance.now() - started);
    if (changes !== 1) throw new Error(`expected one change, drained ${changes}`);
  }
  return times.sort((a, b) => a - b);
}

const updateRows: (string | number)[][] = [];
const update: Record<number, { p50: number; p95: number }> = {};
for (const size of SIZES) {
  const profile = await createProfile();
  const seeded = performance.now();
  await addHistory(profile, size);
  const { records } = await rebuildJourney(pool, profile);
  const setupMs = performance.now() - seeded;
  await pool.query('analyze');
  // Three warm-up updates (plans, caches), not counted.
  await timeUpdates(profile, 3, 1000);
  const times = await timeUpdates(profile, UPDATES);
  update[size] = { p50: round(percentile(times, 50), 2), p95: round(percentile(times, 95), 2) };
  updateRows.push([size.toLocaleString('en'), records, update[size]!.p50, update[size]!.p95, round(setupMs / 1000, 1)]);
}

// Rules: 50 active medications (some interacting), 2,000 results over 40 analytes.
const rulesProfile = await createProfile('2024-01-15');
await pool.query(
  `insert into public.medications (profile_id, name, status, start_date)
   select $1::uuid, (array['Warfarin', 'Ibuprofen', 'Simvastatin', 'Clarithromycin', 'Sertraline', 'Fluoxetine', 'Omeprazole',
                           'Metformin', 'Ramipril', 'Spironolactone'])[1 + g % 10] || case when g >= 10 then ' ' || g else '' end,
          'active', date '2025-01-01' + g
   from generate_series(0, 49) g`,
  [rulesProfile],
);
await pool.query(
  `insert into public.observations (profile_id, name, code_system, code, value_numeric, unit, reference_low, reference_high, effective_at)
   select $1::uuid, case when g % 40 = 0 then 'Creatinine' when g % 40 = 1 then 'HbA1c' else 'Analyte ' || (g % 40) end,
          case when g % 40 = 1 then 'http://loinc.org' end, case when g % 40 = 1 then '4548-4' end,
          50 + g % 17 + g / 100.0, case when g % 40 = 0 then 'umol/L' when g % 40 = 1 then '%' else 'U/L' end, 40, 70,
          timestamptz '2026-01-01' - (2000 - g) * interval '4 hours'
   from generate_series(0, 1999) g`,
  [rulesProfile],
);
await pool.query(`insert into public.allergies (profile_id, substance, criticality) values ($1::uuid, 'Penicillin', 'high')`, [rulesProfile]);
const ruleTimes: number[] = [];
let lastResult: Awaited<ReturnType<typeof evaluateProfile>> = null;
for (let i = 0; i < EVALUATIONS + 3; i++) {
  const started = performance.now();
  lastResult = await evaluateProfile(pool, rulesProfile);
  if (i >= 3) ruleTimes.push(performance.now() - started); // three warm-ups
}
ruleTimes.sort((a, b) => a - b);
const rules = (await pool.query<{ n: number }>(`select count(*)::int as n from public.cds_rules where enabled`)).rows[0]!.n;

await pool.end();
await database.drop();

table(['existing records', 'rebuilt', 'update p50 ms', 'update p95 ms', 'setup s'], updateRows);
table(['rule evaluation (50 meds, 2,000 results)', 'rules', 'findings', 'p50 ms', 'p95 ms'], [
  ['all enabled rules', rules, lastResult?.findings ?? 0, round(percentile(ruleTimes, 50), 2), round(percentile(ruleTimes, 95), 2)],
]);
const ratio = round(update[100_000]!.p50 / update[100]!.p50, 2);
console.log(`\nupdate p50 at 100k / at 100: ${ratio} (goal ≤ 2); ${UPDATES} updates per size, ${EVALUATIONS} evaluations`);
console.log(JSON.stringify({
  update_p50_ms_100: update[100]!.p50,
  update_p50_ms_10k: update[10_000]!.p50,
  update_p50_ms_100k: update[100_000]!.p50,
  rules_p50_ms: round(percentile(ruleTimes, 50), 2),
  update_p95_ms_100: update[100]!.p95,
  update_p95_ms_10k: update[10_000]!.p95,
  update_p95_ms_100k: update[100_000]!.p95,
  update_ratio_100k_to_100: ratio,
  rules_p95_ms: round(percentile(ruleTimes, 95), 2),
  rules_findings: lastResult?.findings ?? 0,
  rules_enabled: rules,
}));
