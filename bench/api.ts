/**
 * `npm run bench:api`: the api under load, on real Postgres (DATABASE_URL or the
 * embedded one, in a throwaway database), through a real port.
 *
 *   journey   GET /api/healthcare-journey for a profile with 10,000 records,
 *             50 connections for 20 s (autocannon). Goal: p99 ≤ 50 ms. Four variants, taking turns:
 *             the api as deployed (repeated reads answered from kept answers after a
 *             database check), with kept answers off (every read runs the whole
 *             statement), with kept answers the check always finds outdated (the check
 *             and the statement), and as deployed with the profile's journey versions
 *             left uncompacted (10,000 counted writes, what compaction folds away).
 *   layers    each layer of the read path against the same read without it
 *             (bench/journey-layers.ts): the version check over compacted and
 *             uncompacted versions; the statement with stored JSON and rendering per
 *             read; its JSON passed through as text and parsed then serialised again;
 *             a full rebuild of the profile with the stored JSON rendered and without.
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
 * Usage: npm run bench:api [-- <seconds> <connections> <rounds>]
 * Last line: {"rps", "p50_ms", "p99_ms", "uploads_accepted", "peak_rss_mb", …, "pooled_session_rps",
 * "pooled_session_p99_ms", "pooled_transaction_rps", "pooled_transaction_p99_ms", and the layers' figures
 * side by side: "journey_cache_on_rps"/"journey_cache_off_rps", "check_compacted_per_s"/"check_uncompacted_per_s",
 * "statement_stored_json_ms"/"statement_rendering_per_read_ms", "statement_text_passthrough_ms"/
 * "statement_parsed_serialised_ms", "rebuild_rendering_ms"/"rebuild_plain_ms", …}. Not part of `npm test`.
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
import { JourneyCache, type CachedJourney } from '../src/http/api/journey-cache.js';
import { CHECK_SQL, journeyStatement } from '../src/http/api/journey-statement.js';
import { compactJourneyWrites } from '../src/consumers/journey/journey-writes.js';
import { createTokenVerifier, mintToken } from '../src/auth/tokens.js';
import { listen } from '../src/http/server.js';
import { createLogger } from '../src/log.js';
import { LocalStorage } from '../src/providers/storage/local-storage.js';
import { sampleLabReport, toPdf } from '../test/fixtures/documents.js';
import { startPgBouncer } from '../test/helpers/pgbouncer.js';
import {
  leaveWritesUncompacted, median, medianMilliseconds, parsedInApi, readsPerSecond, rebuildWithAndWithoutRendering, renderingPerRead, serialiseParsed, takingTurns,
} from './journey-layers.js';
import { round, table, waitFor } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';

const SECONDS = Number(process.argv[2] ?? 20);
const CONNECTIONS = Number(process.argv[3] ?? 50);
/** Rounds of each variant compared, taking turns; figures are the median round's. */
const ROUNDS = Number(process.argv[4] ?? 3);
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
const journeyCache = new JourneyCache(deps.http.journeyCacheBytes);
const api = await listen({ ...deps, journeyCache }, 0);
const uncachedApi = await listen({ ...deps, http: { ...deps.http, journeyCacheBytes: 0 } }, 0);
/** Kept answers that the check always finds outdated: what the cache costs a read it cannot answer. */
class OutdatedAnswers extends JourneyCache {
  override set(key: string, entry: CachedJourney): void {
    super.set(key, { ...entry, version: 'outdated' });
  }
}
const outdatedApi = await listen({ ...deps, journeyCache: new OutdatedAnswers(deps.http.journeyCacheBytes) }, 0);
const token = await mintToken(auth, { userId: user, expiresInSeconds: 3600 });
const base = `http://127.0.0.1:${api.port}`;

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 25); // rss() alone: memoryUsage() also walks the heap

const journeyUrl = `${base}/api/healthcare-journey?profile=${profile}`;
const probe = await fetch(journeyUrl, { headers: { Authorization: `Bearer ${token}` } });
if (probe.status !== 200) throw new Error(`journey endpoint answered ${probe.status}: ${await probe.text()}`);
// autocannon in its own worker thread: in the server's event loop it would compete with the api.
const load = (url: string) => autocannon({ url, connections: CONNECTIONS, duration: SECONDS, workers: 1, headers: { Authorization: `Bearer ${token}` } });
// Compaction's counterpart: the writes a busy profile leaves when nothing folds them
// (one row per committed write), vacuumed so an index-only scan can read them; folded after.
const UNCOMPACTED_WRITES = 10_000;
const uncompactedVersions = {
  setUp: async () => {
    await leaveWritesUncompacted(pool, profile, UNCOMPACTED_WRITES);
    await pool.query('vacuum analyze private.journey_writes');
  },
  // Vacuumed again after folding: the dead rows would otherwise slow every version read that follows.
  tearDown: async () => {
    await compactJourneyWrites(pool);
    await pool.query('vacuum analyze private.journey_writes');
  },
};
await compactJourneyWrites(pool);
// As deployed, kept answers off, and as deployed over uncompacted versions, taking turns.
const [cachedRuns, uncachedRuns, outdatedRuns, uncompactedRuns] = await takingTurns<autocannon.Result>([
  { label: 'as deployed', measure: () => load(journeyUrl) },
  { label: 'kept answers off', measure: () => load(`http://127.0.0.1:${uncachedApi.port}/api/healthcare-journey?profile=${profile}`) },
  { label: 'kept answers always outdated', measure: () => load(`http://127.0.0.1:${outdatedApi.port}/api/healthcare-journey?profile=${profile}`) },
  { label: 'versions uncompacted', ...uncompactedVersions, measure: () => load(journeyUrl) },
], ROUNDS);
await uncachedApi.close();
await outdatedApi.close();
/** The round of median throughput. */
const medianRun = (runs: autocannon.Result[]) => [...runs].sort((a, b) => a.requests.average - b.requests.average)[Math.floor(runs.length / 2)]!;
const result = medianRun(cachedRuns!);
const uncached = medianRun(uncachedRuns!);
const uncompacted = medianRun(uncompactedRuns!);
const outdated = medianRun(outdatedRuns!);
const non2xx = [...cachedRuns!, ...uncachedRuns!, ...outdatedRuns!, ...uncompactedRuns!].reduce((n, r) => n + r.non2xx + r.errors, 0);
const answers = { kept: journeyCache.hits, stale: journeyCache.stale, built: journeyCache.built };

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

// The statement alone, through the caller pool as the api runs it (named, generic plan):
// what the database side can serve. Beside it the same read without each layer, read by
// read: rendering per read, and the JSON parsed in the api and serialised again; and the
// version check over compacted and uncompacted versions, taking turns as above.
const STATEMENT_SECONDS = 3;
const TIMED_READS = 400;
const STATEMENT_CONNECTIONS = 8;
const callers = new CallerPool(database.url, STATEMENT_CONNECTIONS);
const caller = asUser(user);
const statement = journeyStatement({ profile, limit: TIMELINE_DEFAULT_LIMIT });
const rendering = renderingPerRead(statement);
const sameAnswer = async (variant: typeof statement) => JSON.stringify((await callers.read(caller, variant.sql, variant.params)).rows[0]);
if (await sameAnswer(rendering) !== await sameAnswer(statement)) throw new Error('rendering per read answers differently from the stored JSON');
const check = { name: 'guardian_journey_check', sql: CHECK_SQL, params: [profile] };
const rate = (variant: typeof statement) => () => readsPerSecond(callers, caller, variant, STATEMENT_SECONDS, STATEMENT_CONNECTIONS);
const [storedRates, checkRates, uncompactedCheckRates] = await takingTurns<number>([
  { label: 'the statement', measure: rate(statement) },
  { label: 'check, compacted', measure: rate(check) },
  { label: 'check, uncompacted', ...uncompactedVersions, measure: rate(check) },
], ROUNDS);
const statementsPerSecond = round(median(storedRates!));
const checksCompacted = median(checkRates!);
const checksUncompacted = median(uncompactedCheckRates!);
const [storedMs, renderingMs, parsedMs] = (await medianMilliseconds(callers, caller, [
  { statement },
  { statement: rendering },
  { statement: parsedInApi(statement), then: (row: Parameters<typeof serialiseParsed>[1]) => serialiseParsed(profile, row) },
], TIMED_READS)).map((ms) => round(ms, 2));
await callers.end();
// Last: it takes the rendering triggers off this throwaway database.
const rebuild = await rebuildWithAndWithoutRendering(pool, profile, ROUNDS);

await pool.end();
await database.drop();
await rm(storageDir, { recursive: true, force: true });

table(['GET /api/healthcare-journey (10,000 records)', 'connections', 'seconds', 'req/s', 'p50 ms', 'p90 ms', 'p97.5 ms', 'p99 ms', 'non-2xx'], [
  ['Guardian (as deployed)', CONNECTIONS, SECONDS, round(result.requests.average), result.latency.p50, result.latency.p90, result.latency.p97_5, result.latency.p99, non2xx],
  ['Guardian, kept answers off', CONNECTIONS, SECONDS, round(uncached.requests.average), uncached.latency.p50, uncached.latency.p90, uncached.latency.p97_5, uncached.latency.p99, uncached.non2xx + uncached.errors],
  ['Guardian, kept answers always outdated', CONNECTIONS, SECONDS, round(outdated.requests.average), outdated.latency.p50, outdated.latency.p90, outdated.latency.p97_5, outdated.latency.p99, outdated.non2xx + outdated.errors],
  [`Guardian, versions uncompacted (${UNCOMPACTED_WRITES} writes)`, CONNECTIONS, SECONDS, round(uncompacted.requests.average), uncompacted.latency.p50, uncompacted.latency.p90, uncompacted.latency.p97_5, uncompacted.latency.p99, uncompacted.non2xx + uncompacted.errors],
  ...([['through PgBouncer, session mode', pooledSession], ['through PgBouncer, transaction mode', pooledTransaction]] as const).map(([label, r]) => [
    `Guardian (as deployed) ${label}`, CONNECTIONS, SECONDS, round(r.requests.average), r.latency.p50, r.latency.p90, r.latency.p97_5, r.latency.p99, r.non2xx + r.errors,
  ]),
]);
table(['p99 through a pooler', 'p99 ms', '× direct (goal ≤ 1.5)'], [
  ['direct', result.latency.p99, 1],
  ['PgBouncer session mode', pooledSession.latency.p99, round(pooledSession.latency.p99 / result.latency.p99, 2)],
  ['PgBouncer transaction mode', pooledTransaction.latency.p99, round(pooledTransaction.latency.p99 / result.latency.p99, 2)],
]);
table(['the statement alone, as the user', 'connections', 'seconds', 'statements/s'], [
  ['Postgres', STATEMENT_CONNECTIONS, STATEMENT_SECONDS, statementsPerSecond],
]);
table(['version check (compaction)', 'connections', 'seconds', 'compacted /s', 'uncompacted /s'], [
  [`${UNCOMPACTED_WRITES} writes`, STATEMENT_CONNECTIONS, STATEMENT_SECONDS, round(checksCompacted), round(checksUncompacted)],
]);
table(['statement, median of reads (one connection)', 'reads', 'with ms', 'without ms'], [
  ['stored JSON | rendering per read', TIMED_READS, storedMs!, renderingMs!],
  ['JSON text | parsed and serialised in the api', TIMED_READS, storedMs!, parsedMs!],
]);
table(['full rebuild of the profile', 'ms'], [
  ['rendering the stored JSON', round(rebuild.rendering_ms)],
  ['without it', round(rebuild.plain_ms)],
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
  journey_answers: answers,
  rounds: ROUNDS,
  journey_cache_on_rps: round(result.requests.average),
  journey_cache_on_p99_ms: result.latency.p99,
  journey_cache_off_rps: round(uncached.requests.average),
  journey_cache_off_p50_ms: uncached.latency.p50,
  journey_cache_off_p99_ms: uncached.latency.p99,
  journey_cache_outdated_rps: round(outdated.requests.average),
  journey_cache_outdated_p99_ms: outdated.latency.p99,
  journey_cache_on_uncompacted_rps: round(uncompacted.requests.average),
  journey_cache_on_uncompacted_p99_ms: uncompacted.latency.p99,
  check_compacted_per_s: round(checksCompacted),
  check_uncompacted_per_s: round(checksUncompacted),
  statement_alone_per_s: statementsPerSecond,
  statement_stored_json_ms: storedMs,
  statement_rendering_per_read_ms: renderingMs,
  statement_text_passthrough_ms: storedMs,
  statement_parsed_serialised_ms: parsedMs,
  rebuild_rendering_ms: round(rebuild.rendering_ms),
  rebuild_plain_ms: round(rebuild.plain_ms),
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
