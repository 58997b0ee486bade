/**
 * `npm run bench:queue`: Guardian's job queue side by side with graphile-worker
 * (0.17.3, set up as in DESIGN.md: localQueue 500, batch delays 0, 24 concurrent,
 * pool 25), on the same Postgres, in one run.
 *
 *   throughput  100,000 trivial jobs enqueued in bulk, then drained (jobs/s)
 *   latency     1,000 jobs enqueued one at a time, idle worker: send → handler start
 *   triggers    one-row inserts into a domain table (observations), 4 writers,
 *               with and without Guardian's triggers, a worker consuming the
 *               derived jobs as in production
 *
 * Uses DATABASE_URL (or the embedded Postgres) and a throwaway database on it.
 * Last line: one JSON object with the figures. Not part of `npm test`.
 */
import { run as runGraphile, runMigrations as graphileMigrations } from 'graphile-worker';
import { loadConfig, type JobSettings } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { defineConsumer } from '../src/events/consumer.js';
import { enqueue } from '../src/events/queue/enqueue.js';
import { Worker } from '../src/events/worker.js';
import { createLogger } from '../src/log.js';
import { percentile, round, table, waitFor } from './stats.js';
import { throwawayDatabase } from './throwaway-database.js';

const JOBS = Number(process.argv[2] ?? 100_000);
const LATENCY_JOBS = 1000;
const WRITERS = 4;
const WRITE_SECONDS = 5;

const config = loadConfig();
// Errors only: dropping the throwaway database at the end ends its connections on purpose.
const log = createLogger('error', 'bench');
const database = await throwawayDatabase(config, log);
const { url } = database;

const settings: JobSettings = {
  ...config.jobs,
  completedRetentionHours: 0, // the production default
  claimBatchSize: 500,
  defaultConcurrency: 24,
  pollIntervalMs: 1000,
};
const pool = createPool(url, 25, log);

// Printed last, after clean-up, so nothing can follow it.
let summary: string | undefined;
try {
  await graphileMigrations({ connectionString: url, logger: silentGraphileLogger() });
  const { rows } = await pool.query<{ server_version: string }>('show server_version');
  console.log(`bench:queue on PostgreSQL ${rows[0]!.server_version}, ${JOBS.toLocaleString('en')} jobs, database ${database.name}`);

  const guardianThroughput = await guardianDrain(JOBS);
  const graphileThroughput = await graphileDrain(JOBS);
  // The same drain keeping completed rows for a day (JOB_COMPLETED_RETENTION_HOURS=24).
  const guardianKeeping = await guardianDrain(JOBS, { completedRetentionHours: 24 });
  const guardianLatency = await guardianLatencies();
  const graphileLatency = await graphileLatencies();
  const triggers = await triggerCost();

  table(
    ['', 'Guardian', 'graphile-worker', 'ratio'],
    [
      ['bulk enqueue, jobs/s', round(guardianThroughput.enqueuePerSecond), round(graphileThroughput.enqueuePerSecond), round(guardianThroughput.enqueuePerSecond / graphileThroughput.enqueuePerSecond, 2)],
      ['drain, jobs/s', round(guardianThroughput.perSecond), round(graphileThroughput.perSecond), round(guardianThroughput.perSecond / graphileThroughput.perSecond, 2)],
      ['drain keeping completed 24 h, jobs/s', round(guardianKeeping.perSecond), '', round(guardianKeeping.perSecond / graphileThroughput.perSecond, 2)],
      ['latency p50, ms', round(guardianLatency.p50, 2), round(graphileLatency.p50, 2), ''],
      ['latency p95, ms', round(guardianLatency.p95, 2), round(graphileLatency.p95, 2), ''],
      ['latency p99, ms', round(guardianLatency.p99, 2), round(graphileLatency.p99, 2), ''],
    ],
  );
  table(
    ['observations inserts/s, 4 writers', 'without triggers', 'with triggers', 'ratio'],
    [
      ['one profile per writer', round(triggers.without), round(triggers.with), round(triggers.ratio, 3)],
      ['1,000 profiles round-robin', round(triggers.withoutSpread), round(triggers.withSpread), round(triggers.ratioSpread, 3)],
    ],
  );
  summary = JSON.stringify({
      throughput_jobs_s: round(guardianThroughput.perSecond),
      graphile_jobs_s: round(graphileThroughput.perSecond),
      throughput_ratio: round(guardianThroughput.perSecond / graphileThroughput.perSecond, 3),
      latency_p50_ms: round(guardianLatency.p50, 2),
      latency_p95_ms: round(guardianLatency.p95, 2),
      latency_p99_ms: round(guardianLatency.p99, 2),
      graphile_p50_ms: round(graphileLatency.p50, 2),
      graphile_p95_ms: round(graphileLatency.p95, 2),
      graphile_p99_ms: round(graphileLatency.p99, 2),
      trigger_ratio: round(triggers.ratio, 3),
      inserts_s_without_triggers: round(triggers.without),
      inserts_s_with_triggers: round(triggers.with),
      trigger_ratio_1000_profiles: round(triggers.ratioSpread, 3),
      throughput_keeping_completed_jobs_s: round(guardianKeeping.perSecond),
      guardian_enqueue_jobs_s: round(guardianThroughput.enqueuePerSecond),
      graphile_enqueue_jobs_s: round(graphileThroughput.enqueuePerSecond),
    });
} finally {
  await pool.end();
  await database.drop();
  if (summary) console.log(summary);
}

// ---- Guardian ------------------------------------------------------------------

function guardianWorker(types: string[], onJob: () => void, overrides: Partial<JobSettings> = {}): Worker {
  return new Worker({
    pool,
    databaseUrl: url,
    consumers: types.map((type) => defineConsumer({ type, concurrency: 24, handle: async () => void onJob() })),
    settings: { ...settings, ...overrides },
    log,
  });
}

async function guardianDrain(n: number, overrides: Partial<JobSettings> = {}) {
  const enqueueStarted = performance.now();
  await pool.query(`insert into public.job_queue (type, payload) select 'bench_noop', '{}'::jsonb from generate_series(1, $1::int)`, [n]);
  const enqueueMs = performance.now() - enqueueStarted;
  let done = 0;
  const worker = guardianWorker(['bench_noop'], () => done++, overrides);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await worker.start();
  await waitFor(() => done >= n, 5);
  await waitFor(async () => (await pool.query(`select 1 from public.job_queue where status <> 'completed' limit 1`)).rowCount === 0, 5);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`guardian drain (retention ${overrides.completedRetentionHours ?? settings.completedRetentionHours} h): ${Math.round(ms)} ms wall, node cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms`);
  await worker.stop(1000);
  await pool.query('truncate public.job_queue');
  return { perSecond: (n / ms) * 1000, enqueuePerSecond: (n / enqueueMs) * 1000 };
}

async function guardianLatencies() {
  let resolveStart: (() => void) | undefined;
  const worker = guardianWorker(['bench_latency'], () => resolveStart?.(), { defaultConcurrency: 1 });
  await worker.start();
  await waitFor(async () => (await pool.query(`select 1 from private.idle_workers`)).rowCount === 1, 5);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_JOBS; i++) {
    const started = new Promise<void>((resolve) => (resolveStart = resolve));
    const sent = performance.now();
    await enqueue(pool, 'bench_latency', {});
    await started;
    samples.push(performance.now() - sent);
    // Let the worker go idle again (ack written, idle mark set), as an idle worker would be.
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await worker.stop(1000);
  await pool.query('truncate public.job_queue');
  return stats(samples);
}

// ---- graphile-worker -------------------------------------------------------------

function silentGraphileLogger() {
  // graphile-worker's Logger takes a factory; warnings and errors only.
  return new (class {
    scope() {
      return this;
    }
    debug() {}
    info() {}
    warn(message: string) {
      console.warn(`graphile-worker: ${message}`);
    }
    error(message: string) {
      console.error(`graphile-worker: ${message}`);
    }
  })() as unknown as Parameters<typeof graphileMigrations>[0]['logger'];
}

async function startGraphile(onJob: () => void, concurrency = 24) {
  return runGraphile({
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    logger: silentGraphileLogger(),
    taskList: { bench_noop: async () => void onJob() },
    preset: {
      worker: { maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
    },
  });
}

async function graphileDrain(n: number) {
  const enqueueStarted = performance.now();
  await pool.query(
    `select graphile_worker.add_jobs(array(
       select json_populate_record(null::graphile_worker.job_spec, json_build_object('identifier', 'bench_noop', 'payload', '{}'::json))
       from generate_series(1, $1::int)))`,
    [n],
  );
  const enqueueMs = performance.now() - enqueueStarted;
  let done = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const runner = await startGraphile(() => done++);
  await waitFor(() => done >= n, 5);
  await waitFor(async () => (await pool.query('select 1 from graphile_worker.jobs limit 1')).rowCount === 0, 5);
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`graphile drain: ${Math.round(ms)} ms wall, node cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms`);
  await runner.stop();
  return { perSecond: (n / ms) * 1000, enqueuePerSecond: (n / enqueueMs) * 1000 };
}

async function graphileLatencies() {
  let resolveStart: (() => void) | undefined;
  const runner = await startGraphile(() => resolveStart?.(), 1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_JOBS; i++) {
    const started = new Promise<void>((resolve) => (resolveStart = resolve));
    const sent = performance.now();
    await pool.query(`select graphile_worker.add_job('bench_noop', '{}'::json)`);
    await started;
    samples.push(performance.now() - sent);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await runner.stop();
  return stats(samples);
}

// ---- trigger cost ----------------------------------------------------------------

async function triggerCost() {
  const owner = (await pool.query<{ id: string }>(
    `insert into auth.users (id, aud, role, email) values (gen_random_uuid(), 'authenticated', 'authenticated', 'bench@example.test') returning id`,
  )).rows[0]!.id;
  const profiles = (await pool.query<{ id: string }>(
    `insert into public.profiles (owner_id, display_name, relationship)
     select $1::uuid, 'Bench ' || i, 'other' from generate_series(1, 1000) i returning id`,
    [owner],
  )).rows.map((r) => r.id);
  let derived = 0;
  // Production shape: a worker consumes the derived jobs the triggers record.
  const worker = guardianWorker(['recompute_journey', 'evaluate_rules'], () => derived++);
  await worker.start();

  const measure = async (withTriggers: boolean, spread: boolean) => {
    await pool.query(`alter table public.observations ${withTriggers ? 'enable' : 'disable'} trigger user`);
    const writers = await Promise.all(Array.from({ length: WRITERS }, () => pool.connect()));
    let inserts = 0;
    const deadline = performance.now() + WRITE_SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      writers.map(async (client, w) => {
        let i = w;
        while (performance.now() < deadline) {
          // spread: round-robin over 1,000 profiles; else each writer is one document's
          // extraction, writing its profile's records one row at a time.
          const profile = spread ? profiles[(i * 7919) % profiles.length] : profiles[w];
          await client.query(
            `insert into public.observations (profile_id, name, value_numeric, unit) values ($1::uuid, 'Glucose', 5.4, 'mmol/L')`,
            [profile],
          );
          i += WRITERS;
          inserts++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    writers.forEach((c) => c.release());
    return inserts / seconds;
  };

  // Alternate to spread any drift (checkpoints, autovacuum) over both variants.
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const result = { without: 0, with: 0, withoutSpread: 0, withSpread: 0 };
  for (const spread of [false, true]) {
    const without: number[] = [];
    const withT: number[] = [];
    for (let round = 0; round < 2; round++) {
      without.push(await measure(false, spread));
      withT.push(await measure(true, spread));
    }
    if (spread) Object.assign(result, { withoutSpread: mean(without), withSpread: mean(withT) });
    else Object.assign(result, { without: mean(without), with: mean(withT) });
  }
  await pool.query('alter table public.observations enable trigger user');
  await worker.stop(1000);
  console.log(`derived jobs processed during the trigger runs: ${derived}`);
  return { ...result, ratio: result.with / result.without, ratioSpread: result.withSpread / result.withoutSpread };
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}
