import * as assert from 'uvu/assert';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import pg from 'pg';
import request from 'supertest';
import type { Pool } from '../../src/db/pool.js';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { Registry } from 'prom-client';
import { createJobMetrics } from '../../src/events/job-metrics.js';
import { publishJobMetrics } from '../../src/events/job-metrics-publisher.js';
import { Worker } from '../../src/events/worker.js';
import { createMetrics, type MetricsDeps } from '../../src/http/metrics.js';
import { readyRoutes } from '../../src/http/routes/ready.js';
import { createLogger } from '../../src/log.js';
import { migrationsDir } from '../helpers/database.js';
import { createRunTables, jobStatuses, recordingConsumer, testSettings } from '../helpers/jobs.js';
import { databaseSuite, until } from '../helpers/suite.js';

const test = databaseSuite('observability: /metrics and /readyz');
const log = createLogger('silent');
const PROFILE_ID = '7d2c1f8e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';

/** A minimal app as the api wires it: metrics middleware outermost, then routes, then /metrics. */
function buildApp(deps: MetricsDeps) {
  const metrics = createMetrics(deps);
  const app = new Koa();
  app.silent = true;
  app.use(metrics.middleware);
  const router = new Router();
  router.get('/api/profiles/:profileId', (ctx) => {
    ctx.body = { id: ctx.params.profileId };
  });
  // The lead's route layer names the pattern itself.
  router.get('/api/documents/:documentId', (ctx) => {
    ctx.state.route = '/api/documents/:documentId';
    ctx.body = {};
  });
  app.use(router.routes()).use(router.allowedMethods());
  app.use(metrics.handler);
  return { app, metrics };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(samples, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function scrape(app: Koa): Promise<Sample[]> {
  const res = await request(app.callback()).get('/metrics');
  assert.is(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
  return parse(res.text);
}

const deadPool = () => new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 500 });

test.before.each(async ({ db }) => {
  await db.pool.query('truncate public.job_queue');
});

test('request histogram and counter are labelled with the route pattern, never the raw path', async ({ db }) => {
  const { app } = buildApp({ pool: db.pool });
  const http = request(app.callback());
  for (let i = 0; i < 3; i++) assert.is((await http.get(`/api/profiles/${PROFILE_ID}`)).status, 200);
  assert.is((await http.get(`/api/documents/${PROFILE_ID}`)).status, 200);
  assert.is((await http.get(`/nothing/${PROFILE_ID}`)).status, 404);
  assert.is((await http.post(`/api/profiles/${PROFILE_ID}`)).status, 405);

  const res = await http.get('/metrics');
  assert.not.match(res.text, PROFILE_ID);
  const samples = parse(res.text);
  const profile = { method: 'GET', route: '/api/profiles/:profileId', status: '200' };
  assert.is(value(samples, 'guardian_http_request_duration_seconds_count', profile), 3);
  assert.is(value(samples, 'guardian_http_requests_total', profile), 3);
  // Every observation is in the +Inf bucket, and the 50 ms goal has a bucket of its own.
  assert.is(value(samples, 'guardian_http_request_duration_seconds_bucket', { ...profile, le: '+Inf' }), 3);
  assert.ok(value(samples, 'guardian_http_request_duration_seconds_bucket', { ...profile, le: '0.05' }) !== undefined);
  assert.is(value(samples, 'guardian_http_requests_total', { route: '/api/documents/:documentId', status: '200' }), 1);
  assert.is(value(samples, 'guardian_http_requests_total', { route: 'unmatched', status: '404' }), 1);
  // @koa/router's allowedMethods answers 405 without naming the route: still no raw path.
  assert.is(value(samples, 'guardian_http_requests_total', { method: 'POST', route: 'unmatched', status: '405' }), 1);
  // Default process metrics are there too.
  assert.ok(find(samples, 'process_cpu_user_seconds_total').length === 1);

  // The scrape itself was counted once it finished.
  const again = parse((await http.get('/metrics')).text);
  assert.is(value(again, 'guardian_http_requests_total', { route: '/metrics', status: '200' }), 1);
});

test('queue gauges read the job table at scrape time', async ({ db }) => {
  const { app } = buildApp({ pool: db.pool, jobTypes: ['idle_type'] });
  await db.pool.query(`insert into public.job_queue (type, payload) values ('demo', '{}'), ('demo', '{}')`);
  await db.pool.query(`insert into public.job_queue (type, payload, run_at) values ('demo', '{}', now() - interval '10 minutes')`);
  // A retry backing off into the future is pending but not waiting.
  await db.pool.query(`insert into public.job_queue (type, payload, run_at) values ('later', '{}', now() + interval '1 hour')`);
  await db.pool.query(
    `insert into public.job_queue (type, payload, status, completed_at, error, retry_count) values ('demo', '{}', 'failed', now(), 'boom', 4)`,
  );

  const samples = await scrape(app);
  assert.is(value(samples, 'guardian_jobs', { type: 'demo', status: 'pending' }), 3);
  assert.is(value(samples, 'guardian_jobs', { type: 'demo', status: 'failed' }), 1);
  assert.is(value(samples, 'guardian_jobs', { type: 'demo', status: 'processing' }), 0);
  assert.is(value(samples, 'guardian_jobs', { type: 'later', status: 'pending' }), 1);
  assert.is(value(samples, 'guardian_jobs', { type: 'idle_type', status: 'pending' }), 0);
  assert.is(value(samples, 'guardian_jobs_failed', { type: 'demo' }), 1);
  assert.is(value(samples, 'guardian_jobs_failed', { type: 'later' }), 0);
  const oldest = value(samples, 'guardian_job_oldest_pending_seconds', { type: 'demo' }) ?? -1;
  assert.ok(oldest >= 599 && oldest < 700, `oldest pending ${oldest}`);
  assert.is(value(samples, 'guardian_job_oldest_pending_seconds', { type: 'later' }), 0);
  assert.is(value(samples, 'guardian_metrics_scrape_errors_total'), 0);

  // Scrape time, not cached: a drained queue reads as such on the next scrape.
  await db.pool.query('truncate public.job_queue');
  const after = await scrape(app);
  assert.is(find(after, 'guardian_jobs', { type: 'demo' }).length, 0);
  assert.is(value(after, 'guardian_jobs', { type: 'idle_type', status: 'failed' }), 0);
});

test('the queue gauges are read with one query per scrape', async ({ db }) => {
  let queries = 0;
  const counting = { query: (...args: Parameters<Pool['query']>) => (queries++, db.pool.query(...args)) } as unknown as Pool;
  const { app } = buildApp({ pool: counting });
  await scrape(app);
  assert.is(queries, 1);
  await scrape(app);
  assert.is(queries, 2);
});

test('a scrape whose database is unreachable still answers, without the queue gauges', async () => {
  const dead = deadPool();
  try {
    const { app } = buildApp({ pool: dead });
    await request(app.callback()).get(`/api/profiles/${PROFILE_ID}`);
    const samples = await scrape(app);
    assert.is(value(samples, 'guardian_metrics_scrape_errors_total'), 1);
    assert.is(find(samples, 'guardian_jobs').length, 0);
    assert.is(find(samples, 'guardian_job_oldest_pending_seconds').length, 0);
    assert.is(find(samples, 'guardian_jobs_failed').length, 0);
    assert.is(value(samples, 'guardian_http_requests_total', { route: '/api/profiles/:profileId' }), 1);
  } finally {
    await dead.end();
  }
});

test('a hanging database does not hang the scrape', async () => {
  const hanging = { query: () => new Promise(() => {}) } as unknown as Pool;
  const { app } = buildApp({ pool: hanging, queueQueryTimeoutMs: 100 });
  const started = Date.now();
  const samples = await scrape(app);
  assert.ok(Date.now() - started < 2000);
  assert.is(value(samples, 'guardian_metrics_scrape_errors_total'), 1);
});

test('two apps in one process keep separate registries', async ({ db }) => {
  const one = buildApp({ pool: db.pool });
  const two = buildApp({ pool: db.pool });
  assert.is.not(one.metrics.registry, two.metrics.registry);
  await request(one.app.callback()).get(`/api/profiles/${PROFILE_ID}`);
  await request(one.app.callback()).get(`/api/profiles/${PROFILE_ID}`);
  const a = await scrape(one.app);
  const b = await scrape(two.app);
  assert.is(value(a, 'guardian_http_requests_total', { route: '/api/profiles/:profileId' }), 2);
  assert.is(find(b, 'guardian_http_requests_total', { route: '/api/profiles/:profileId' }).length, 0);
});

test('/metrics can require a bearer token', async ({ db }) => {
  const { app } = buildApp({ pool: db.pool, bearerToken: 'scrape-secret' });
  const http = request(app.callback());
  assert.is((await http.get('/metrics')).status, 401);
  assert.is((await http.get('/metrics').set('authorization', 'Bearer wrong-secret!')).status, 401);
  assert.is((await http.get('/metrics').set('authorization', 'Bearer scrape-secret')).status, 200);
});

test('the worker hook times completed, retried and failed jobs into the shared registry', async ({ db }) => {
  await createRunTables(db.pool);
  const { app, metrics } = buildApp({ pool: db.pool });
  const jobMetrics = createJobMetrics(metrics.registry);
  // A second worker in the same process reuses the metrics instead of clashing.
  createJobMetrics(metrics.registry);
  const worker = new Worker({
    pool: db.pool,
    consumers: [recordingConsumer(db.pool, { backoffBaseMs: 10 })],
    settings: testSettings({ pollIntervalMs: 50 }),
    log,
    onJobSettled: jobMetrics.onJobSettled,
  });
  await worker.start();
  try {
    await enqueue(db.pool, 'test_job', { kind: 'sleep', ms: 30 });
    await enqueue(db.pool, 'test_job', { kind: 'poison' }, { maxRetries: 1 });
    await until(async () => {
      const s = await jobStatuses(db.pool);
      return s.completed === 1 && s.failed === 1;
    });
    await until(() => worker.stats().failed === 1 && worker.stats().completed === 1);
  } finally {
    await worker.stop(0);
  }
  const samples = await scrape(app);
  const count = (outcome: string) => value(samples, 'guardian_job_duration_seconds_count', { type: 'test_job', outcome });
  assert.is(count('completed'), 1);
  assert.is(count('retried'), 1);
  assert.is(count('failed'), 1);
  const completedSeconds = value(samples, 'guardian_job_duration_seconds_sum', { type: 'test_job', outcome: 'completed' }) ?? 0;
  assert.ok(completedSeconds >= 0.025 && completedSeconds < 5, `completed job took ${completedSeconds} s`);
  assert.is(value(samples, 'guardian_job_failures_total', { type: 'test_job' }), 1);
});

test('job metrics a worker in its own process publishes reach /metrics, one series per worker beside this process\'s own', async ({ db }) => {
  await createRunTables(db.pool);
  const { app, metrics } = buildApp({ pool: db.pool });
  // "Elsewhere": a worker with a registry of its own, as `npm run worker` has on Render.
  const elsewhere = new Registry();
  const remote = new Worker({
    pool: db.pool,
    consumers: [recordingConsumer(db.pool)],
    settings: testSettings({ pollIntervalMs: 50 }),
    log,
    onJobSettled: createJobMetrics(elsewhere).onJobSettled,
  });
  await remote.start();
  const publisher = publishJobMetrics({ pool: db.pool, registry: elsewhere, workerId: remote.id, log, intervalMs: 50 });
  try {
    for (let i = 0; i < 3; i++) await enqueue(db.pool, 'test_job', {});
    await until(async () => (await jobStatuses(db.pool)).completed === 3);
    const remoteCompleted = { type: 'test_job', outcome: 'completed', worker: remote.id };
    await until(async () => value(await scrape(app), 'guardian_job_duration_seconds_count', remoteCompleted) === 3);
    // And one job by a worker in this process (npm start): one metric, a series each.
    createJobMetrics(metrics.registry).onJobSettled('test_job', 'completed', 0.01);
    const text = (await request(app.callback()).get('/metrics')).text;
    assert.is(text.split('\n').filter((line) => line.startsWith('# TYPE guardian_job_duration_seconds ')).length, 1);
    const samples = await scrape(app);
    assert.is(value(samples, 'guardian_job_duration_seconds_count', remoteCompleted), 3);
    const counts = find(samples, 'guardian_job_duration_seconds_count', { type: 'test_job', outcome: 'completed' });
    assert.equal(counts.map((c) => c.value).sort(), [1, 3]);
    // The api's own metrics are all still there.
    assert.match(text, /guardian_jobs\{type="test_job",status="completed"\}/);
  } finally {
    await publisher.stop();
    await remote.stop(0);
  }
  // A stopped worker's row is gone, its counts with it.
  assert.is((await db.pool.query('select count(*)::int as n from private.worker_metrics')).rows[0].n, 0);
  assert.is(value(await scrape(app), 'guardian_job_duration_seconds_count', { type: 'test_job', outcome: 'completed' }), 1);
});

test('a malformed published row is skipped and the scrape still answers', async ({ db }) => {
  const { app } = buildApp({ pool: db.pool });
  await db.pool.query(
    `insert into private.worker_metrics (worker_id, metrics) values
       ('broken', '[{"name": "guardian_job_failures_total"}, 42]'), ('odd', '[]'),
       ('fine', '[{"name": "guardian_job_failures_total", "help": "h", "type": "counter", "values": [{"value": 2, "labels": {"type": "t"}}]}]')`,
  );
  try {
    const samples = await scrape(app);
    assert.is(value(samples, 'guardian_job_failures_total', { type: 't', worker: 'fine' }), 2);
    assert.is(find(samples, 'guardian_job_failures_total').length, 1);
    assert.ok(samples.some((s) => s.name === 'process_cpu_user_seconds_total')); // the api's own are all there
    assert.is(value(samples, 'guardian_metrics_scrape_errors_total'), 0);
  } finally {
    await db.pool.query(`delete from private.worker_metrics`);
  }
});

function readyApp(deps: Parameters<typeof readyRoutes>[0]) {
  const app = new Koa();
  const router = readyRoutes(deps);
  app.use(router.routes());
  return request(app.callback());
}

test('/readyz: 200 with the database up, migrations applied and the queue summarised', async ({ db }) => {
  await db.pool.query(`insert into public.job_queue (type, payload) values ('demo', '{}')`);
  await db.pool.query(`insert into public.job_queue (type, payload, status, completed_at, error) values ('demo', '{"secret": 1}', 'failed', now(), 'boom')`);
  const res = await readyApp({ pool: db.pool, migrationsDir }).get('/readyz');
  assert.is(res.status, 200);
  assert.is(res.body.status, 'ready');
  assert.is(res.body.database.status, 'up');
  assert.type(res.body.database.latency_ms, 'number');
  assert.equal(res.body.migrations.pending, []);
  assert.is(res.body.migrations.applied, (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).length);
  assert.equal(res.body.queue, { pending: 1, oldest_pending_seconds: 0, failed: 1, backlog: false });
  assert.not.match(res.text, /boom|secret/);
});

test('/readyz: a queue backlog is reported but stays ready', async ({ db }) => {
  await db.pool.query(`insert into public.job_queue (type, payload, run_at) values ('demo', '{}', now() - interval '2 minutes')`);
  const res = await readyApp({ pool: db.pool, migrationsDir, backlogWarnSeconds: 60 }).get('/readyz');
  assert.is(res.status, 200);
  assert.is(res.body.queue.backlog, true);
  assert.ok(res.body.queue.oldest_pending_seconds >= 119);
});

test('/readyz: 503 with a migration pending', async ({ db }) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-readyz-'));
  try {
    for (const f of await readdir(migrationsDir)) if (f.endsWith('.sql')) await copyFile(path.join(migrationsDir, f), path.join(dir, f));
    await writeFile(path.join(dir, '29991231000000_not_yet_applied.sql'), 'select 1;\n');
    const res = await readyApp({ pool: db.pool, migrationsDir: dir }).get('/readyz');
    assert.is(res.status, 503);
    assert.is(res.body.status, 'not_ready');
    assert.equal(res.body.reasons, ['migrations_pending']);
    assert.equal(res.body.migrations.pending, ['29991231000000_not_yet_applied.sql']);
    assert.is(res.body.queue, undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('/readyz: 503 when the database is unreachable', async () => {
  const dead = deadPool();
  try {
    const res = await readyApp({ pool: dead, migrationsDir }).get('/readyz');
    assert.is(res.status, 503);
    assert.equal(res.body, { status: 'not_ready', reasons: ['database_unreachable'], database: { status: 'down' } });
  } finally {
    await dead.end();
  }
});

test('/readyz: 503 within its timeout when connecting hangs', async () => {
  const hanging = { connect: () => new Promise(() => {}) } as unknown as Pool;
  const started = Date.now();
  const res = await readyApp({ pool: hanging, migrationsDir, timeoutMs: 150 }).get('/readyz');
  assert.ok(Date.now() - started < 2000);
  assert.is(res.status, 503);
  assert.equal(res.body.reasons, ['database_timeout']);
});

test.run();
