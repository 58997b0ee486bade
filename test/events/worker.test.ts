import * as assert from 'uvu/assert';
import pg from 'pg';
import { enqueue, enqueueMany } from '../../src/events/queue/enqueue.js';
import { LISTENER_APPLICATION_NAME } from '../../src/events/listener.js';
import { Worker } from '../../src/events/worker.js';
import { createLogger } from '../../src/log.js';
import { createRunTables, jobStatuses, recordingConsumer, testSettings } from '../helpers/jobs.js';
import { databaseSuite, until } from '../helpers/suite.js';

const test = databaseSuite<{ workers: Worker[] }>('worker runtime');
const log = createLogger('silent');

test.before(async ({ db }) => {
  await createRunTables(db.pool);
});

test.before.each(async (ctx) => {
  ctx.workers = [];
  await ctx.db.pool.query('truncate public.job_queue, public.test_runs, public.test_effects, private.idle_workers');
});

test.after.each(async (ctx) => {
  await Promise.all(ctx.workers.map((w) => w.stop(0)));
});

function startWorker(
  ctx: { db: { pool: pg.Pool; url: string }; workers: Worker[] },
  options: Parameters<typeof recordingConsumer>[1] & { settings?: Parameters<typeof testSettings>[0]; listen?: boolean } = {},
): Promise<Worker> {
  const worker = new Worker({
    pool: ctx.db.pool,
    ...(options.listen === false ? {} : { databaseUrl: ctx.db.url }),
    consumers: [recordingConsumer(ctx.db.pool, options)],
    settings: testSettings(options.settings),
    log,
  });
  ctx.workers.push(worker);
  return worker.start().then(() => worker);
}

const count = async (pool: pg.Pool, sql: string, params: unknown[] = []) =>
  (await pool.query<{ n: number }>(sql, params)).rows[0]!.n;

test('jobs enqueued while no worker runs are processed when one starts, with no NOTIFY to wake it', async (ctx) => {
  await enqueueMany(ctx.db.pool, Array.from({ length: 25 }, () => ({ type: 'test_job', payload: {} })));
  assert.is(await count(ctx.db.pool, 'select count(*)::int as n from private.idle_workers'), 0); // nobody to notify
  await startWorker(ctx);
  await until(async () => (await jobStatuses(ctx.db.pool)).completed === 25);
  assert.is(await count(ctx.db.pool, 'select count(*)::int as n from public.test_effects'), 25);
});

test('with the default retention (0) a completed job leaves the table at once', async (ctx) => {
  await startWorker(ctx, { settings: { completedRetentionHours: 0 } });
  const { id } = await enqueue(ctx.db.pool, 'test_job', {});
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from public.test_effects where job_id = $1::uuid', [id])) === 1);
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from public.job_queue')) === 0);
});

test('an idle worker is woken by NOTIFY, long before its poll', async (ctx) => {
  await startWorker(ctx, { settings: { pollIntervalMs: 600_000 } });
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from private.idle_workers')) === 1);
  const started = Date.now();
  const { id } = await enqueue(ctx.db.pool, 'test_job', {});
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from public.test_effects where job_id = $1::uuid', [id])) === 1, 3000);
  assert.ok(Date.now() - started < 3000);
});

test('a poison job fails after max_retries with its error kept, backoff growing, while other jobs flow', async (ctx) => {
  // A base of 250 ms leaves 250 ms between the longest first wait (250) and the shortest
  // third (500): room for a loaded machine to delay a run without inverting the order.
  const base = 250;
  await startWorker(ctx, { backoffBaseMs: base, concurrency: 4 });
  const poison = await enqueue(ctx.db.pool, 'test_job', { kind: 'poison' }, { maxRetries: 3 });
  await enqueueMany(ctx.db.pool, Array.from({ length: 40 }, () => ({ type: 'test_job', payload: { kind: 'sleep', ms: 5 } })));
  await until(async () => (await jobStatuses(ctx.db.pool)).failed === 1, 10_000);
  await until(async () => (await jobStatuses(ctx.db.pool)).completed === 40);
  const { rows } = await ctx.db.pool.query(
    `select extract(epoch from started_at) * 1000 as at from public.test_runs where job_id = $1::uuid order by started_at`,
    [poison.id],
  );
  assert.is(rows.length, 4); // the first run and max_retries = 3 retries
  const gaps = rows.slice(1).map((r, i) => Number(r.at) - Number(rows[i]!.at));
  // Equal jitter: attempt n waits between base·2ⁿ/2 and base·2ⁿ.
  gaps.forEach((gap, n) => assert.ok(gap >= (base * 2 ** n) / 2 - 10, `gap ${n} was ${gap} ms`));
  assert.ok(gaps[2]! > gaps[0]!, `backoff should grow: ${gaps.map(Math.round).join(', ')}`);
  const row = (await ctx.db.pool.query('select status, retry_count, error from public.job_queue where id = $1::uuid', [poison.id])).rows[0];
  assert.equal(row, { status: 'failed', retry_count: 4, error: 'Error: poison pill: this job always fails' });
});

test('a thrown non-Error and an invalid payload fail their job only; the stream goes on', async (ctx) => {
  await startWorker(ctx);
  const odd = await enqueue(ctx.db.pool, 'test_job', { kind: 'throw_string' }, { maxRetries: 0 });
  const bad = await enqueue(ctx.db.pool, 'test_job', { kind: 'explode', ms: 'Jane Citizen' }, { maxRetries: 5 });
  const good = await enqueue(ctx.db.pool, 'test_job', {});
  await until(async () => (await jobStatuses(ctx.db.pool)).failed === 2 && (await jobStatuses(ctx.db.pool)).completed === 1);
  const error = async (id: string) => (await ctx.db.pool.query('select error, retry_count from public.job_queue where id = $1::uuid', [id])).rows[0];
  assert.equal(await error(odd.id), { error: 'not an Error object', retry_count: 1 });
  const invalid = await error(bad.id);
  assert.is(invalid.retry_count, 1); // permanent: no retries spent on it
  assert.match(invalid.error, /^invalid_payload: payload does not match test_job: kind: /);
  assert.match(invalid.error, /ms: /);
  assert.not.match(invalid.error, /Jane/);
  assert.is(await count(ctx.db.pool, 'select count(*)::int as n from public.test_effects where job_id = $1::uuid', [good.id]), 1);
});

test('concurrency is bounded: never more handlers at once than asked for', async (ctx) => {
  await enqueueMany(ctx.db.pool, Array.from({ length: 24 }, () => ({ type: 'test_job', payload: { kind: 'sleep', ms: 40 } })));
  await startWorker(ctx, { concurrency: 3 });
  await until(async () => (await jobStatuses(ctx.db.pool)).completed === 24);
  const peak = await count(
    ctx.db.pool,
    `select max(c)::int as n from (
       select (select count(*) from public.test_runs o where o.started_at <= r.started_at and o.finished_at > r.started_at) as c
       from public.test_runs r) x`,
  );
  assert.is(peak, 3);
});

test('per-key ordering: one key at a time, different keys in parallel', async (ctx) => {
  const jobs = Array.from({ length: 24 }, (_, i) => ({ type: 'test_job', payload: { kind: 'sleep', ms: 15, key: `profile-${i % 3}` } }));
  await enqueueMany(ctx.db.pool, jobs);
  await startWorker(ctx, { concurrency: 6, ordered: true });
  await until(async () => (await jobStatuses(ctx.db.pool)).completed === 24);
  const sameKeyOverlaps = await count(
    ctx.db.pool,
    `select count(*)::int as n from public.test_runs a join public.test_runs b
       on a.key = b.key and a.job_id <> b.job_id and a.started_at < b.finished_at and b.started_at < a.finished_at`,
  );
  assert.is(sameKeyOverlaps, 0);
  const crossKeyOverlaps = await count(
    ctx.db.pool,
    `select count(*)::int as n from public.test_runs a join public.test_runs b
       on a.key <> b.key and a.started_at < b.finished_at and b.started_at < a.finished_at`,
  );
  assert.ok(crossKeyOverlaps > 0, 'different keys should run in parallel');
  // Order within a key follows the queue order (created_at, then id as enqueued).
  const orderedWithinKey = await count(
    ctx.db.pool,
    `select count(*)::int as n from (
       select r.started_at, q.created_at, lag(q.created_at) over (partition by r.key order by r.started_at) as prev
       from public.test_runs r join public.job_queue q on q.id = r.job_id) x where prev > created_at`,
  );
  assert.is(orderedWithinKey, 0);
});

test('graceful stop: running jobs finish within the grace period, buffered ones return to pending', async (ctx) => {
  const worker = await startWorker(ctx, { concurrency: 2 });
  await enqueueMany(ctx.db.pool, Array.from({ length: 6 }, () => ({ type: 'test_job', payload: { kind: 'sleep', ms: 300 } })));
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from public.test_runs')) === 2);
  await worker.stop(5000);
  const statuses = await jobStatuses(ctx.db.pool);
  assert.equal(statuses, { completed: 2, pending: 4 });
  assert.is(await count(ctx.db.pool, `select count(*)::int as n from public.job_queue where retry_count > 0`), 0);
});

test('graceful stop past the grace period aborts and releases: nothing is left processing', async (ctx) => {
  const worker = await startWorker(ctx, { concurrency: 3, honourAbort: false });
  await enqueueMany(ctx.db.pool, Array.from({ length: 3 }, () => ({ type: 'test_job', payload: { kind: 'sleep', ms: 2000 } })));
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from public.test_runs')) === 3);
  await worker.stop(50);
  assert.equal(await jobStatuses(ctx.db.pool), { pending: 3 });
});

test('the listener survives pg_terminate_backend; jobs enqueued during the gap are all processed', async (ctx) => {
  await startWorker(ctx, { settings: { pollIntervalMs: 600_000 } });
  const listenerPid = async () =>
    (await ctx.db.pool.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and application_name = $1::text`,
      [LISTENER_APPLICATION_NAME],
    )).rows.map((r) => r.pid);
  const [before] = await until(listenerPid);
  await ctx.db.pool.query('select pg_terminate_backend($1::int)', [before]);
  await enqueueMany(ctx.db.pool, Array.from({ length: 50 }, () => ({ type: 'test_job', payload: {} })));
  const [after] = await until(async () => {
    const pids = await listenerPid();
    return pids.length === 1 && pids[0] !== before ? pids : undefined;
  });
  assert.ok(after !== before);
  // Up to pg-listen's paranoid check (15 s) when the terminated connection is not
  // reported at once (seen once in CI under load), plus the reconnect backoff.
  await until(async () => (await jobStatuses(ctx.db.pool)).completed === 50, 20_000);
  // And the new connection delivers notifications again.
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from private.idle_workers')) === 1);
  const { id } = await enqueue(ctx.db.pool, 'test_job', {});
  await until(async () => (await count(ctx.db.pool, 'select count(*)::int as n from public.test_effects where job_id = $1::uuid', [id])) === 1, 3000);
});

test('two workers on one queue never run the same job: 1,000 jobs, each run recorded once', async (ctx) => {
  await startWorker(ctx, { workerName: 'a', concurrency: 8, settings: { claimBatchSize: 20 } });
  await startWorker(ctx, { workerName: 'b', concurrency: 8, settings: { claimBatchSize: 20 } });
  await enqueueMany(ctx.db.pool, Array.from({ length: 1000 }, () => ({ type: 'test_job', payload: {} })));
  await until(async () => (await jobStatuses(ctx.db.pool)).completed === 1000, 30_000);
  const runs = (await ctx.db.pool.query(`select count(*)::int as runs, count(distinct job_id)::int as jobs, count(distinct worker)::int as workers from public.test_runs`)).rows[0];
  assert.equal(runs, { runs: 1000, jobs: 1000, workers: 2 });
});

test.run();
