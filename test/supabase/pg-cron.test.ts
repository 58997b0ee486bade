/**
 * pg_cron, the database's own maintenance schedule (supabase/migrations
 * 20261205002100_pg_cron_jobs.sql): on a real pg_cron (a PostgreSQL 15 cluster of this
 * suite's own, preloaded as Supabase preloads it) both jobs are scheduled by name and
 * run and do their work, and the Render cron leaves their sweep to them; on the
 * machine's server, which does not preload pg_cron, the migration says it skipped
 * pg_cron and everything else is in place.
 */
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import { claimJobs } from '../../src/events/queue/claim.js';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { migrate } from '../../src/db/migrations.js';
import { createLogger } from '../../src/log.js';
import { cronShare } from '../../src/sweeps/database-cron.js';
import { periodicSweeps } from '../../src/sweeps/index.js';
import { config, createTestDatabase, migrationsDir, type TestDatabase } from '../helpers/database.js';
import { createUser } from '../helpers/fixtures.js';
import { testSettings } from '../helpers/jobs.js';
import { needingPgCron, pgCronInstalled, startPgCronCluster, type PgCronCluster } from '../helpers/pg-cron-cluster.js';
import { until } from '../helpers/suite.js';

const run = promisify(execFile);
const PG_CRON_MIGRATION = '20261205002100_pg_cron_jobs.sql';
const silent = createLogger('silent');

interface Context {
  cluster?: PgCronCluster;
  pool?: pg.Pool;
  notices: string[];
}

const test = suite<Context>('pg_cron jobs', { notices: [] });
const withPgCron = needingPgCron(test);

test.before(async (ctx) => {
  if (!pgCronInstalled) return;
  try {
    ctx.cluster = await startPgCronCluster();
    const client = new pg.Client({ connectionString: ctx.cluster.url });
    await client.connect();
    client.on('notice', (notice) => ctx.notices.push(notice.message ?? ''));
    try {
      await migrate(client, { dir: migrationsDir });
    } finally {
      await client.end();
    }
    ctx.pool = new pg.Pool({ connectionString: ctx.cluster.url, max: 3 });
  } catch (error) {
    // uvu drops a before hook's error and only shows the suite as not run: say why.
    console.error(`\n  pg_cron jobs: the cluster could not be prepared:\n  ${(error as Error).stack ?? String(error)}\n`);
    throw error;
  }
});

test.after(async (ctx) => {
  await ctx.pool?.end();
  await ctx.cluster?.stop();
});

interface CronJob {
  jobid: string;
  jobname: string;
  schedule: string;
  command: string;
  active: boolean;
}

const cronJobs = async (pool: pg.Pool) =>
  (await pool.query<CronJob>('select jobid::text, jobname, schedule, command, active from cron.job order by jobname')).rows;

withPgCron('the migration enables pg_cron as Supabase documents it and schedules both jobs by name', async ({ pool, notices }) => {
  const db = pool!;
  const { rows } = await db.query(`select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pg_cron'`);
  assert.equal(rows, [{ schema: 'pg_catalog' }]);
  assert.not.ok(notices.some((n) => /pg_cron skipped/.test(n)), notices.join('\n'));
  const jobs = await cronJobs(db);
  assert.equal(
    jobs.map(({ jobname, schedule, active }) => ({ jobname, schedule, active })),
    [
      { jobname: 'cleanup-old-sessions', schedule: '0 3 * * *', active: true },
      { jobname: 'mark-stale-jobs', schedule: '*/5 * * * *', active: true },
    ],
  );
});

withPgCron('running the migration or its scheduling function again replaces the jobs by name instead of adding copies', async ({ pool }) => {
  const db = pool!;
  const before = await cronJobs(db);
  const sql = await readFile(path.join(migrationsDir, PG_CRON_MIGRATION), 'utf8');
  await db.query(sql);
  await db.query(sql);
  assert.equal((await db.query('select private.schedule_pg_cron_jobs() as scheduled')).rows, [{ scheduled: true }]);
  assert.equal(await cronJobs(db), before);
});

withPgCron('the Render cron leaves expired_leases to mark-stale-jobs while it is active, and takes it back when it is not', async ({ pool }) => {
  const db = pool!;
  const sweeps = periodicSweeps({ pool: db, jobs: testSettings() });
  const inCron = sweeps.filter((s) => s.inCron).map((s) => s.name);
  const shared = await cronShare(sweeps, db, silent);
  assert.equal(shared.inDatabase, { expired_leases: 'mark-stale-jobs' });
  assert.equal(shared.run.map((s) => s.name), inCron.filter((name) => name !== 'expired_leases'));
  await db.query(`select cron.alter_job(jobid, active := false) from cron.job where jobname = 'mark-stale-jobs'`);
  try {
    const alone = await cronShare(sweeps, db, silent);
    assert.equal(alone.inDatabase, {});
    assert.equal(alone.run.map((s) => s.name), inCron);
  } finally {
    await db.query(`select cron.alter_job(jobid, active := true) from cron.job where jobname = 'mark-stale-jobs'`);
  }
});

withPgCron('npm run cron on that database does not sweep expired leases itself, and says pg_cron does', async ({ cluster }) => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', 'cron.ts')], {
    cwd: config.projectRoot,
    env: { ...process.env, DATABASE_URL: cluster!.url, LOG_LEVEL: 'info' },
  });
  const summary = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { sweeps?: Record<string, unknown>; in_pg_cron?: Record<string, string> })
    .find((line) => line.sweeps);
  assert.equal(summary?.in_pg_cron, { expired_leases: 'mark-stale-jobs' });
  assert.equal(Object.keys(summary?.sweeps ?? {}), ['old_jobs', 'daily_rules', 'stranded_uploads', 'rate_limit_windows', 'journey_versions']);
});

withPgCron('each job runs on pg_cron and does its work: idle sessions deleted, expired leases retried after backoff or failed', async ({ pool, cluster }) => {
  const db = pool!;
  const user = await createUser(db);
  const session = (age: string, refreshed: string | null) =>
    db.query<{ id: string }>(
      `insert into auth.sessions (id, user_id, created_at, updated_at, refreshed_at, aal)
       values (gen_random_uuid(), $1::uuid, now() - $2::interval, now() - $2::interval,
               (now() - $3::interval) at time zone 'UTC', 'aal1') returning id`,
      [user, age, refreshed],
    ).then((r) => r.rows[0]!.id);
  const idle = await session('40 days', '31 days');
  const stillUsed = await session('40 days', '1 day');
  const recent = await session('2 days', null);

  await db.query('delete from public.job_queue');
  const retried = await enqueue(db, 'test_job', {}, { maxRetries: 3 });
  const spent = await enqueue(db, 'test_job', {}, { maxRetries: 0 });
  await claimJobs(db, { type: 'test_job', limit: 2, workerId: 'dead-worker', leaseMs: 60_000 });
  await db.query(`update public.job_queue set locked_until = now() - interval '1 second'`);

  // pg_cron 1.4 schedules by the minute at best: both jobs every minute, so each runs
  // at the next minute boundary instead of at 03:00 or within five minutes.
  const since = (await db.query<{ now: Date }>('select now()')).rows[0]!.now;
  await db.query(`select cron.alter_job(jobid, schedule := '* * * * *') from cron.job`);
  const runs = await until(
    async () => {
      const { rows } = await db.query<{ jobname: string; status: string; return_message: string }>(
        `select j.jobname, d.status, d.return_message from cron.job_run_details d join cron.job j using (jobid)
          where d.start_time >= $1::timestamptz and d.status in ('succeeded', 'failed') order by j.jobname`,
        [since],
      );
      const names = new Set(rows.map((r) => r.jobname));
      return names.has('cleanup-old-sessions') && names.has('mark-stale-jobs') ? rows : undefined;
    },
    135_000,
    500,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${await cluster!.log()}`);
  });
  assert.ok(runs.every((r) => r.status === 'succeeded'), JSON.stringify(runs));

  const left = (await db.query<{ id: string }>('select id from auth.sessions where user_id = $1::uuid', [user])).rows.map((r) => r.id);
  assert.equal(left.sort(), [stillUsed, recent].sort());
  assert.not.ok(left.includes(idle));

  const { rows: jobs } = await db.query<{ id: string; status: string; retry_count: number; run_at: Date; updated_at: Date; error: string }>(
    'select id, status, retry_count, run_at, updated_at, error from public.job_queue',
  );
  const r = jobs.find((j) => j.id === retried.id)!;
  assert.is(r.status, 'pending');
  assert.is(r.retry_count, 1);
  assert.match(r.error, /lease expired: worker dead-worker/);
  // The first retry's backoff: half a second to a second after the rescue.
  const backoff = r.run_at.getTime() - r.updated_at.getTime();
  assert.ok(backoff >= 500 && backoff <= 1000, `backoff ${backoff} ms`);
  assert.is(jobs.find((j) => j.id === spent.id)!.status, 'failed');
});

test("on the machine's server, which does not preload pg_cron, the migration says it skipped pg_cron and all else is in place", async () => {
  const db: TestDatabase = await createTestDatabase({ empty: true });
  const client = new pg.Client({ connectionString: db.url });
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  await client.connect();
  try {
    const lines: { msg: string; migration?: string; notice?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const result = await migrate(client, { dir: migrationsDir, log: pino({ level: 'info' }, sink) });
    assert.ok(result.applied.includes(PG_CRON_MIGRATION));
    assert.ok(notices.some((n) => /^pg_cron skipped: /.test(n)), notices.join('\n'));
    // The runner's log says so too, by migration, and only what migrations raise themselves.
    const said = lines.filter((l) => l.msg === 'migration notice');
    assert.match(said.find((l) => l.migration === PG_CRON_MIGRATION)?.notice ?? '', /^pg_cron skipped: /);
    assert.not.ok(said.some((l) => /already exists|does not exist/.test(l.notice ?? '')), JSON.stringify(said));
    const { rows } = await client.query(
      `select to_regclass('cron.job') as cron_job,
              to_regprocedure('private.rescue_expired_leases(integer)') is not null as rescue,
              to_regprocedure('private.delete_old_auth_sessions(interval)') is not null as cleanup`,
    );
    assert.equal(rows, [{ cron_job: null, rescue: true, cleanup: true }]);
    // Asked again (an operator who preloaded pg_cron since), it still says why not.
    notices.length = 0;
    assert.equal((await client.query('select private.schedule_pg_cron_jobs() as scheduled')).rows, [{ scheduled: false }]);
    assert.ok(notices.some((n) => /^pg_cron skipped: /.test(n)), notices.join('\n'));
    // Without pg_cron the Render cron runs every sweep of the shared database.
    const sweeps = periodicSweeps({ pool: db.pool, jobs: testSettings() });
    const share = await cronShare(sweeps, db.pool, silent);
    assert.equal(share.inDatabase, {});
    assert.equal(share.run.map((s) => s.name), sweeps.filter((s) => s.inCron).map((s) => s.name));
  } finally {
    await client.end();
    await db.drop();
  }
});

test.run();
