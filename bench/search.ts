/**
 * `npm run bench:search`: quick search under load, on real Postgres (DATABASE_URL or the
 * embedded one, in a throwaway database), through the api as Render runs it (`src/api.ts`
 * in a process of its own, configured by the environment).
 *
 *   data   500 users with 2 profiles each; 10,000 documents (10 a profile, 2 pages of
 *          text each) and 100,000 records (100 a profile: results, medicines, problems,
 *          allergies, vaccines), words drawn from a clinical vocabulary so that every
 *          term matches in many families.
 *   load   GET /api/search, 50 connections for 20 s (autocannon); each request a
 *          random user searching their own profiles (half of them one profile by id)
 *          for a random term: a prefix of a word, or two words. Goal: p99 ≤ 50 ms.
 *   check  every answer's results belong to the asking user's profiles.
 *
 * Usage: npm run bench:search [-- <seconds> <connections>]
 * Last line: {"search_p50_ms", "search_p99_ms", "rps", "non2xx", "foreign_results"}. Not part of `npm test`.
 */
import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { mintToken } from '../src/auth/tokens.js';
import { createLogger } from '../src/log.js';
import { startService } from '../test/helpers/service-process.js';
import { round, table, waitFor } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';

const SECONDS = Number(process.argv[2] ?? 20);
const CONNECTIONS = Number(process.argv[3] ?? 50);
const USERS = 500;

const ANALYTES = ['Haemoglobin', 'Ferritin', 'Total cholesterol', 'LDL cholesterol', 'HDL cholesterol', 'Triglycerides', 'Creatinine', 'eGFR',
  'Sodium', 'Potassium', 'Chloride', 'Bicarbonate', 'Urea', 'Glucose', 'HbA1c', 'TSH', 'Free T4', 'Vitamin D', 'Vitamin B12', 'Folate',
  'ALT', 'AST', 'GGT', 'Bilirubin', 'Albumin', 'Calcium', 'Phosphate', 'Magnesium', 'CRP', 'ESR', 'Platelets', 'White cell count',
  'Neutrophils', 'Lymphocytes', 'Iron', 'Transferrin', 'Uric acid', 'PSA', 'Troponin', 'INR'];
const MEDICINES = ['Atorvastatin', 'Rosuvastatin', 'Metformin', 'Amoxicillin', 'Paracetamol', 'Ibuprofen', 'Salbutamol', 'Fluticasone',
  'Levothyroxine', 'Perindopril', 'Amlodipine', 'Omeprazole', 'Pantoprazole', 'Sertraline', 'Cholecalciferol', 'Ferrous sulfate',
  'Cephalexin', 'Prednisolone', 'Montelukast', 'Cetirizine'];
const CONDITIONS = ['Asthma', 'Hypertension', 'Type 2 diabetes', 'Iron deficiency', 'Hypothyroidism', 'Eczema', 'Migraine', 'Anxiety',
  'Gastro-oesophageal reflux', 'Osteoarthritis'];
const ALLERGENS = ['Penicillin', 'Peanut', 'Latex', 'Sulfonamides', 'Bee venom'];
const VACCINES = ['Influenza', 'MMR', 'DTPa', 'Hepatitis B', 'Pneumococcal'];
const PROSE = ['patient', 'reviewed', 'results', 'within', 'normal', 'limits', 'repeat', 'fasting', 'sample', 'recommend', 'follow',
  'clinic', 'pathology', 'report', 'collected', 'requested', 'doctor', 'history', 'stable', 'advised', 'months', 'weeks'];
const DOCUMENT_NAMES = ['Pathology report', 'Discharge summary', 'Vaccination record', 'Specialist letter', 'Medication review'];

/** What people type: word prefixes (3 to 6 letters) and pairs of whole words. */
const TERMS = [
  ...[...ANALYTES, ...MEDICINES, ...CONDITIONS, ...ALLERGENS, ...VACCINES].flatMap((name) => {
    const word = name.split(' ')[0]!.toLowerCase();
    return word.length > 3 ? [word.slice(0, 3 + (word.length % 4)), name.toLowerCase()] : [word];
  }),
  'fasting glucose', 'repeat ferritin', 'pathology report', 'vitamin d',
];

const config = loadConfig();
const log = createLogger('error', 'bench');
const database = await throwawayDatabase(config, log);
const pool = createPool(database.url, 4, log);

const started = performance.now();
await pool.query(
  `insert into auth.users (id, aud, role, email)
   select gen_random_uuid(), 'authenticated', 'authenticated', 'bench-' || g || '@example.test' from generate_series(1, $1::int) g`,
  [USERS],
);
await pool.query(
  `insert into public.profiles (owner_id, display_name, relationship, birth_date)
   select u.id, case k when 1 then 'Parent' else 'Child' end, case k when 1 then 'self' else 'child' end, date '1980-01-01' + (k * 9000)
   from auth.users u cross join generate_series(1, 2) k`,
);
await pool.query(
  `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status, pages_done, pages_total)
   select x.id, x.profile_id, x.profile_id || '/' || x.id || '/report-' || x.n || '.pdf',
          ($1::text[])[1 + x.n % 5] || ' ' || x.n || '.pdf', 'application/pdf', 1000, encode(sha256(convert_to(x.id::text, 'UTF8')), 'hex'),
          'processed', 2, 2
   from (select gen_random_uuid() as id, p.id as profile_id, n from public.profiles p cross join generate_series(1, 10) n) x`,
  [DOCUMENT_NAMES],
);
// Two pages a document: 80 words each, prose with names of results and medicines mixed in.
await pool.query(
  `insert into public.document_pages (document_id, profile_id, page, body)
   select d.id, d.profile_id, pg,
          (select string_agg(case when random() < 0.25 then ($1::text[])[1 + floor(random() * array_length($1::text[], 1))::int]
                                  else ($2::text[])[1 + floor(random() * array_length($2::text[], 1))::int] end, ' ')
           from generate_series(1, 80) w where w > 0 * pg)
   from public.documents d cross join generate_series(1, 2) pg`,
  [[...ANALYTES, ...MEDICINES], PROSE],
);
const perProfile = async (table: string, columns: string, values: string, count: number, names: string[]) =>
  pool.query(
    `insert into public.${table} (profile_id, ${columns})
     select p.id, ${values}
     from public.profiles p cross join generate_series(1, ${count}) g`,
    [names],
  );
await perProfile('observations', 'name, value_numeric, unit, effective_at, source_text',
  `($1::text[])[1 + (g + (hashtext(p.id::text) & 1023)) % array_length($1::text[], 1)], 40 + g % 50, 'U/L', timestamptz '2026-01-01' - g * interval '9 days',
   ($1::text[])[1 + (g + (hashtext(p.id::text) & 1023)) % array_length($1::text[], 1)] || ' ' || (40 + g % 50) || ' U/L'`, 60, ANALYTES);
await perProfile('medications', 'name, status, start_date, source_text',
  `($1::text[])[1 + (g + (hashtext(p.id::text) & 1023)) % array_length($1::text[], 1)], case when g % 4 = 0 then 'active' else 'completed' end, date '2026-01-01' - g * 30,
   ($1::text[])[1 + (g + (hashtext(p.id::text) & 1023)) % array_length($1::text[], 1)] || ' 20 mg daily'`, 20, MEDICINES);
await perProfile('conditions', 'name, clinical_status', `($1::text[])[1 + (g + (hashtext(p.id::text) & 1023)) % array_length($1::text[], 1)], 'active'`, 10, CONDITIONS);
await perProfile('allergies', 'substance', `($1::text[])[1 + g % array_length($1::text[], 1)]`, 5, ALLERGENS);
await perProfile('immunizations', 'vaccine, occurrence_date', `($1::text[])[1 + g % array_length($1::text[], 1)], date '2025-01-01' - g * 200`, 5, VACCINES);
await pool.query('analyze');
const counts = (await pool.query<{ documents: number; pages: number; records: number }>(
  `select (select count(*)::int from public.documents) as documents, (select count(*)::int from public.document_pages) as pages,
          (select count(*)::int from public.observations) + (select count(*)::int from public.medications) + (select count(*)::int from public.conditions)
          + (select count(*)::int from public.allergies) + (select count(*)::int from public.immunizations) as records`,
)).rows[0]!;
const setupSeconds = (performance.now() - started) / 1000;

// Each user, their token and their profiles: what a request may ask and what it may find.
const secret = randomBytes(32).toString('hex');
const auth = loadConfig({ SUPABASE_JWT_SECRET: secret }).auth;
const people = await Promise.all(
  (await pool.query<{ user_id: string; profiles: string[] }>(
    `select m.user_id, array_agg(m.profile_id order by m.profile_id) as profiles from public.profile_members m group by m.user_id`,
  )).rows.map(async (row) => ({ ...row, token: await mintToken(auth, { userId: row.user_id, expiresInSeconds: 3600 }) })),
);

const storageDir = await mkdtemp(path.join(tmpdir(), 'guardian-bench-search-'));
// A free port chosen here: the api says which it took only in an info line, and info
// would also log every request.
const port = await new Promise<number>((resolve) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(free));
  });
});
const api = startService('api', {
  DATABASE_URL: database.url,
  PORT: String(port),
  SUPABASE_JWT_SECRET: secret,
  STORAGE_DIR: storageDir,
  LOG_LEVEL: 'error',
  // Limits out of the way: this measures the search, not the limiter's refusals.
  RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
  RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
});
// Stopped however the run ends: a child api left behind would hold the database.
let result: autocannon.Result;
let foreign = 0;
let asked = 0;
try {
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200, 100, 60_000);

  const owners = new Map<string, Set<string>>();
  for (const person of people) owners.set(person.token, new Set(person.profiles));
  const random = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
  const request = () => {
    const person = random(people);
    const query = new URLSearchParams({ q: random(TERMS) });
    if (Math.random() < 0.5) query.set('profile_id', random(person.profiles));
    return { method: 'GET' as const, path: `/api/search?${query}`, headers: { authorization: `Bearer ${person.token}` } };
  };
  // A warm-up round, checked: every result is one of the asker's profiles.
  for (let i = 0; i < 200; i++) {
    const r = request();
    const res = await fetch(base + r.path, { headers: r.headers });
    if (res.status !== 200) throw new Error(`search answered ${res.status}: ${await res.text()}`);
    const body = (await res.json()) as { results: { profile_id: string }[] };
    asked++;
    const mine = owners.get(r.headers.authorization.slice(7))!;
    foreign += body.results.filter((x) => !mine.has(x.profile_id)).length;
  }

  result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [{ setupRequest: (req) => ({ ...req, ...request() }) }],
  });
} finally {
  await api.stop();
}
await pool.end();
if (!process.env.BENCH_KEEP_DATABASE) await database.drop(); else console.log(`kept ${database.name}`);
await rm(storageDir, { recursive: true, force: true });

table(['data', 'users', 'profiles', 'documents', 'pages', 'records', 'setup s'], [
  ['synthetic', USERS, USERS * 2, counts.documents, counts.pages, counts.records, round(setupSeconds, 1)],
]);
const non2xx = result.non2xx + result.errors;
table(['GET /api/search (own profiles, random terms)', 'connections', 'seconds', 'req/s', 'p50 ms', 'p90 ms', 'p97.5 ms', 'p99 ms', 'non-2xx'], [
  ['Guardian (api process, Postgres FTS)', CONNECTIONS, SECONDS, round(result.requests.average), result.latency.p50, result.latency.p90, result.latency.p97_5, result.latency.p99, non2xx],
]);
console.log(`\nchecked ${asked} answers: ${foreign} results from another family's profiles`);
console.log(JSON.stringify({
  search_p50_ms: result.latency.p50,
  search_p99_ms: result.latency.p99,
  rps: round(result.requests.average),
  non2xx,
  foreign_results: foreign,
  documents: counts.documents,
  records: counts.records,
}));
