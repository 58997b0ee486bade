import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { config } from '../helpers/database.js';
import { createRunTables, jobStatuses } from '../helpers/jobs.js';
import { databaseSuite, until } from '../helpers/suite.js';

const test = databaseSuite<{ children: ChildProcess[] }>('worker processes');

test.before(async (ctx) => {
  ctx.children = [];
  await createRunTables(ctx.db.pool);
});

test.before.each(async ({ db }) => {
  await db.pool.query('truncate public.job_queue, public.test_runs, public.test_effects, private.idle_workers');
});

test.after.each(async ({ children }) => {
  const running = children.splice(0).filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(running.map(exited));
});

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve),
  );

/** Starts test/helpers/worker-process.ts and resolves once it reports ready. */
function spawnWorker(ctx: { db: { url: string }; children: ChildProcess[] }, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'test', 'helpers', 'worker-process.ts')], {
    cwd: config.projectRoot,
    // Completed jobs kept, so the test can read their final state.
    env: { ...process.env, DATABASE_URL: ctx.db.url, LOG_LEVEL: 'warn', JOB_COMPLETED_RETENTION_HOURS: '24', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ctx.children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"ready":true')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}


test('a worker killed with SIGKILL mid-job: the job runs again after its lease, its effect appears once', async (ctx) => {
  const first = await spawnWorker(ctx, { JOB_LEASE_SECONDS: '1' });
  const { id } = await enqueue(ctx.db.pool, 'test_job', { kind: 'sleep', ms: 3000 });
  await until(async () => (await ctx.db.pool.query('select 1 from public.test_runs where job_id = $1::uuid', [id])).rowCount === 1);
  first.kill('SIGKILL');
  await exited(first);
  assert.is((await ctx.db.pool.query('select status from public.job_queue where id = $1::uuid', [id])).rows[0].status, 'processing');

  await spawnWorker(ctx, { JOB_LEASE_SECONDS: '1' });
  await until(async () => (await jobStatuses(ctx.db.pool)).completed === 1, 15_000);
  const runs = await ctx.db.pool.query('select worker from public.test_runs where job_id = $1::uuid order by started_at', [id]);
  assert.is(runs.rowCount, 2);
  assert.is.not(runs.rows[0].worker, runs.rows[1].worker);
  assert.is((await ctx.db.pool.query('select count(*)::int as n from public.test_effects where job_id = $1::uuid', [id])).rows[0].n, 1);
  const job = (await ctx.db.pool.query('select retry_count, error from public.job_queue where id = $1::uuid', [id])).rows[0];
  assert.is(job.retry_count, 1);
  assert.is(job.error, null); // cleared by the successful run
});

test('SIGTERM with jobs in flight: short ones finish, long ones return to pending, none is left processing', async (ctx) => {
  const worker = await spawnWorker(ctx, { WORKER_SHUTDOWN_GRACE_MS: '1000' });
  const short = await Promise.all([1, 2, 3].map(() => enqueue(ctx.db.pool, 'test_job', { kind: 'sleep', ms: 200 })));
  const long = await Promise.all([1, 2, 3].map(() => enqueue(ctx.db.pool, 'test_job', { kind: 'sleep', ms: 20_000 })));
  await until(async () => (await ctx.db.pool.query('select 1 from public.test_runs')).rowCount === 6);
  worker.kill('SIGTERM');
  assert.is(await exited(worker), 0);
  const status = async (ids: { id: string }[]) =>
    (await ctx.db.pool.query('select status, retry_count from public.job_queue where id = any($1::uuid[])', [ids.map((j) => j.id)])).rows;
  assert.equal(await status(short), Array(3).fill({ status: 'completed', retry_count: 0 }));
  assert.equal(await status(long), Array(3).fill({ status: 'pending', retry_count: 0 }));
  assert.is((await jobStatuses(ctx.db.pool)).processing, undefined);
});

test.run();
