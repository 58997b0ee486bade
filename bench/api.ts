/**
 * `npm run bench:api`: the api under load, on real Postgres (DATABASE_URL or the
 * embedded one, in a throwaway database), through a real port.
 *
 *   journey   GET /api/healthcare-journey for a profile with 10,000 records,
 *             50 connections for 20 s (autocannon). Goal: p99 ≤ 50 ms. Run twice: the api
 *             as deployed (repeated reads answered from kept answers after a database
 *             check), then with kept answers off (every read runs the whole statement).
 *   pooled    the same load on the api as deployed, its database reached through
 *             PgBouncer (Debian's 1.18, as Supavisor on Render) in session mode, then in
 *             transaction mode (role and claims per transaction, no prepared statements),
 *             each with as many server connections as the api has clients (20). Goal:
 *             p99 within 1.5× of direct.
 *   uploads   100 one-page PDFs uploaded at once: all accepted (202), peak RSS.
 *   statement the journey's SQL statement alone, as the same user, 8 connections for
 *             5 s: what the database side can serve on this machine, to tell whether
 *             the api or the database limits the endpoint.
 *
 * Usage: npm run bench:api [-- <seconds> <connections>]
 * Last line: {"rps", "p50_ms", "p99_ms", "uploads_accepted", "peak_rss_mb", …, "pooled_session_rps",
 * "pooled_session_p99_ms", "pooled_transaction_rps", "pooled_transaction_p99_ms"}. Not part of `npm test`.
 * Needs `pgbouncer` (apt-get install pgbouncer).
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { evaluateProfile } from '../src/consumers/decision-support/evaluate-profile.js';
import { rebuildJourney } from '../src/consumers/journey/recompute.js';
import { createPool } from '../src/db/pool.js';
import { asUser } from '../src/db/as-caller.js';
import { CallerPool } from '../src/db/caller-pool.js';
import type { PoolMode } from '../src/db/pool-mode.js';
import { TIMELINE_DEFAULT_LIMIT } from '../src/http/api/journey.js';
import { journeyStatement } from '../src/http/api/journey-statement.js';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { listen } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { LocalStorage } from '../src/providers/storage/local-storage.js';
import { sampleLabReport, toPdf } from '../test/fixtures/documents.js';
import { startPgBouncer } from '../test/helpers/pgbouncer.js';
import { round, table, waitFor } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';

const SECONDS = Number(process.argv[2] ?? 20);
const CONNECTIONS = Number(process.argv[3] ?? 50);
const RECORDS = 10_000;
const UPLOADS = 100;

const config = loadConfig();
const log = createLogger('error', 'bench');
const database = await throwawayDatabase(config, log);
const pool = createPool(database.url, config.databasePoolMax, log);
const storageDir = await mkdtemp(path.join(tmpdir(), 'guardian-bench-api-'));
const auth = { ...config.auth, jwtSecret: `bench-${randomUUID()}-secret-0123456789` };

// A person with 10,000 records: results over ~4.5 years (9,000), medications (500), problems (500).
const user = randomUUID();
await pool.query(`insert into auth.users (id, aud, role, email) values ($1::uuid, 'authenticated', 'authenticated', 'bench@example.test')`, [user]);
const profile = (await pool.query<{ id: string }>(
  `insert into public.profiles (owner_id, display_name, relationship, birth_date) values ($1::uuid, 'Bench', 'self', '1970-01-01') returning id`, [user],
)).rows[0]!.id;
await pool.query(
  `insert into public.observations (profile_id, name, value_numeric, unit, reference_low, reference_high, effective_at)
   select $1::uuid, 'Analyte ' || (g % 40), 40 + g % 40, 'U/L', 40, 70, timestamptz '2026-01-01' - g * interval '4 hours'
   from generate_series(1, 9000) g`, [profile]);
await pool.query(
  `insert into public.medications (profile_id, name, status, start_date)
   select $1::uuid, 'Medicine ' || g, case when g % 50 = 0 then 'active' else 'completed' end, date '2026-01-01' - g
   from generate_series(1, 500) g`, [profile]);
await pool.query(
  `insert into public.conditions (profile_id, name, clinical_status) select $1::uuid, 'Condition ' || g, 'resolved' from generate_series(1, 500) g`, [profile]);
await rebuildJourney(pool, profile);
await evaluateProfile(pool, profile);
await pool.query('analyze');

const deps = {
  pool,
  log,
  migrationsDir: path.join(config.projectRoot, 'supabase', 'migrations'),
  verifier: await createTokenVerifier(auth),
  storage: new LocalStorage(storageDir),
  // Limits out of the way: this measures the endpoint, not the limiter's refusals.
  http: { ...config.http, rateLimitPerUser: 10_000_000, rateLimitPerIp: 10_000_000, uploadRateLimitPerUser: 10_000 },
  documents: config.documents,
};
// The api as deployed: a repeated read is answered from the kept answer after a check
// as the user (src/http/api/journey-cache.ts). And the same api without it, where every
// request runs the whole statement (JOURNEY_CACHE_MB=0).
const api = await listen(deps, 0);
const uncachedApi = await listen({ ...deps, http: { ...deps.http, journeyCacheBytes: 0 } }, 0);
const token = await mintToken(auth, { userId: user, expiresInSeconds: 3600 });
const base = `http://127.0.0.1:${api.port}`;

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 25); // rss() alone: memoryUsage() also walks the heap

const journeyUrl = `${base}/api/healthcare-journey?profile=${profile}`;
const probe = await fetch(journeyUrl, { headers: { Authorization: `Bearer ${token}` } });
if (probe.status !== 200) throw new Error(`journey endpoint answered ${probe.status}: ${await probe.text()}`);
// autocannon in its own worker thread: in the server's event loop it would compete with the api.
const load = (url: string) => autocannon({ url, connections: CONNECTIONS, duration: SECONDS, workers: 1, headers: { Authorization: `Bearer ${token}` } });
const result = await load(journeyUrl);
const non2xx = result.non2xx + result.errors;

/**
 * The same load on the same api, its database through PgBouncer in `mode`: the api's
 * pools (20 clients) on the pooler, 20 server connections behind it, the session URL
 * direct (nothing here listens).
 */
async function throughPooler(mode: Exclude<PoolMode, 'direct'>) {
  const bouncer = await startPgBouncer({ serverUrl: database.url, mode, poolSize: 20 });
  const target = { url: bouncer.url(database.name), poolMode: mode, sessionUrl: database.url };
  const pooledPool = createPool(target, config.databasePoolMax, log);
  const callerPool = new CallerPool(target, config.databasePoolMax);
  const pooledApi = await listen({ ...deps, pool: pooledPool, callerPool }, 0);
  try {
    const url = `http://127.0.0.1:${pooledApi.port}/api/healthcare-journey?profile=${profile}`;
    const check = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    if (check.status !== 200) throw new Error(`journey endpoint through the ${mode} pooler answered ${check.status}: ${await check.text()}`);
    return await load(url);
  } finally {
    await pooledApi.close();
    // Requests autocannon left behind still finish (and their audit rows are written)
    // before the pools go: twice idle in a row.
    const idle = (p: typeof pooledPool) => p.totalCount === p.idleCount && p.waitingCount === 0;
    let quiet = 0;
    await waitFor(() => (quiet = idle(pooledPool) && idle(callerPool.pool) ? quiet + 1 : 0) >= 2, 50);
    await callerPool.end();
    await pooledPool.end();
    await bouncer.stop();
  }
}
const pooledSession = await throughPooler('session');
const pooledTransaction = await throughPooler('transaction');
const uncached = await load(`http://127.0.0.1:${uncachedApi.port}/api/healthcare-journey?profile=${profile}`);
await uncachedApi.close();

// 100 uploads at once, each the one-page PDF lab report (the worker, not running here,
// would mark repeats as duplicates; acceptance is what is measured).
const pdf = await toPdf(sampleLabReport());
const pdfs = Array.from({ length: UPLOADS }, () => pdf);
const rssBefore = process.memoryUsage.rss();
const started = performance.now();
const statuses = await Promise.all(pdfs.map(async (bytes, i) => {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), `report-${i}.pdf`);
  const res = await fetch(`${base}/api/profiles/${profile}/documents`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}));
const uploadSeconds = (performance.now() - started) / 1000;
clearInterval(sampler);
const accepted = statuses.filter((s) => s === 202).length;

await api.close();

// The statement alone, through the caller pool as the api runs it (named, generic plan).
const STATEMENT_SECONDS = 5;
const STATEMENT_CONNECTIONS = 8;
const callers = new CallerPool(database.url, STATEMENT_CONNECTIONS);
const statement = journeyStatement({ profile, limit: TIMELINE_DEFAULT_LIMIT });
let statements = 0;
const until = performance.now() + STATEMENT_SECONDS * 1000;
await Promise.all(Array.from({ length: STATEMENT_CONNECTIONS }, async () => {
  while (performance.now() < until) {
    await callers.read(asUser(user), statement.sql, statement.params, statement.name);
    statements++;
  }
}));
await callers.end();
const statementsPerSecond = round(statements / STATEMENT_SECONDS);

await pool.end();
await database.drop();
await rm(storageDir, { recursive: true, force: true });

table(['GET /api/healthcare-journey (10,000 records)', 'connections', 'seconds', 'req/s', 'p50 ms', 'p90 ms', 'p97.5 ms', 'p99 ms', 'non-2xx'], [
  ['Guardian (as deployed)', CONNECTIONS, SECONDS, round(result.requests.average), result.latency.p50, result.latency.p90, result.latency.p97_5, result.latency.p99, non2xx],
  ['Guardian, kept answers off', CONNECTIONS, SECONDS, round(uncached.requests.average), uncached.latency.p50, uncached.latency.p90, uncached.latency.p97_5, uncached.latency.p99, uncached.non2xx + uncached.errors],
  ...([['through PgBouncer, session mode', pooledSession], ['through PgBouncer, transaction mode', pooledTransaction]] as const).map(([label, r]) => [
    `Guardian (as deployed) ${label}`, CONNECTIONS, SECONDS, round(r.requests.average), r.latency.p50, r.latency.p90, r.latency.p97_5, r.latency.p99, r.non2xx + r.errors,
  ]),
]);
table(['p99 through a pooler', 'p99 ms', '× direct (goal ≤ 1.5)'], [
  ['direct', result.latency.p99, 1],
  ['PgBouncer session mode', pooledSession.latency.p99, round(pooledSession.latency.p99 / result.latency.p99, 2)],
  ['PgBouncer transaction mode', pooledTransaction.latency.p99, round(pooledTransaction.latency.p99 / result.latency.p99, 2)],
]);
table(['the journey statement alone', 'connections', 'seconds', 'statements/s'], [
  ['Postgres, as the user', STATEMENT_CONNECTIONS, STATEMENT_SECONDS, statementsPerSecond],
]);
table(['uploads (one-page PDFs, at once)', 'sent', 'accepted 202', 'seconds', 'rss before MB', 'peak rss MB'], [
  ['Guardian', UPLOADS, accepted, round(uploadSeconds, 1), round(rssBefore / 1048576), round(peakRss / 1048576)],
]);
console.log(JSON.stringify({
  rps: round(result.requests.average),
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  uploads_accepted: accepted,
  peak_rss_mb: round(peakRss / 1048576),
  non2xx,
  p90_ms: result.latency.p90,
  p97_5_ms: result.latency.p97_5,
  uncached_rps: round(uncached.requests.average),
  uncached_p50_ms: uncached.latency.p50,
  uncached_p99_ms: uncached.latency.p99,
  statement_alone_per_s: statementsPerSecond,
  connections: CONNECTIONS,
  seconds: SECONDS,
  records: RECORDS,
  upload_seconds: round(uploadSeconds, 1),
  pooled_session_rps: round(pooledSession.requests.average),
  pooled_session_p99_ms: pooledSession.latency.p99,
  pooled_transaction_rps: round(pooledTransaction.requests.average),
  pooled_transaction_p99_ms: pooledTransaction.latency.p99,
  pooled_non2xx: pooledSession.non2xx + pooledSession.errors + pooledTransaction.non2xx + pooledTransaction.errors,
}));
