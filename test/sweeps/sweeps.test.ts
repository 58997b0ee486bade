import * as assert from 'uvu/assert';
import { claimJobs } from '../../src/events/queue/claim.js';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { Worker } from '../../src/events/worker.js';
import { createLogger } from '../../src/log.js';
import { periodicSweeps, sweepsRunIn } from '../../src/sweeps/index.js';
import { runSweep, startSweeps, type PeriodicSweep } from '../../src/sweeps/sweep.js';
import { createRunTables, jobStatuses, recordingConsumer, testSettings } from '../helpers/jobs.js';
import { capturedLog } from '../helpers/captured-log.js';
import { databaseSuite, until } from '../helpers/suite.js';

const test = databaseSuite('periodic sweeps');
const silent = createLogger('silent');

test('one list: every sweep named once in lower_snake; every sweep of the shared database also runs in the cron job', ({ db }) => {
  const storage = { sweepTemporaryFiles: async () => 0 };
  const sweeps = periodicSweeps({ pool: db.pool, jobs: testSettings(), storage: storage as never });
  const names = sweeps.map((s) => s.name);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.match(name, /^[a-z]+(_[a-z]+)*$/);
  assert.equal(sweeps.filter((s) => !s.inCron).map((s) => s.name), ['temporary_uploads']);
  assert.equal(sweepsRunIn('worker', sweeps).map((s) => s.name), ['expired_leases', 'old_jobs', 'daily_rules', 'stranded_uploads']);
  // Without a storage that leaves temporary files there is nothing of that kind to sweep.
  assert.not.ok(periodicSweeps({ pool: db.pool, jobs: testSettings() }).some((s) => s.name === 'temporary_uploads'));
});

test('a failing sweep is reported as failed and logged by name, without its message; it never throws', async () => {
  const { log, lines } = capturedLog();
  const failing: PeriodicSweep = {
    name: 'failing', everyMs: 60_000, runsIn: 'worker', inCron: true,
    run: async () => { throw new Error('relation "secret_table" for Jane Citizen does not exist'); },
  };
  const outcome = await runSweep(failing, log);
  assert.equal(outcome, { name: 'failing', ok: false, counts: {}, due: [] });
  assert.is(lines.length, 1);
  assert.is(lines[0]!.sweep, 'failing');
  assert.not.match(JSON.stringify(lines), /Jane|secret_table/);
});

test('a sweep that did nothing logs nothing; one that did logs its counts', async () => {
  const { log, lines } = capturedLog();
  const counting = (n: number): PeriodicSweep => ({ name: 'counting', everyMs: 60_000, runsIn: 'api', inCron: false, run: async () => ({ counts: { removed: n } }) });
  await runSweep(counting(0), log);
  assert.is(lines.length, 0);
  await runSweep(counting(3), log);
  assert.is(lines[0]!.removed, 3);
});

test('a sweep still running is not started again by its next tick, and stop waits for it', async () => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const slow: PeriodicSweep = {
    name: 'slow', everyMs: 5, runsIn: 'worker', inCron: false,
    run: async () => {
      runs++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await released;
      running--;
      return { counts: {} };
    },
  };
  const timers = startSweeps([slow], silent);
  await until(() => runs === 1);
  await new Promise((resolve) => setTimeout(resolve, 50)); // ten ticks pass while the first run is held
  assert.is(runs, 1);
  let stopped = false;
  const stopping = timers.stop().then(() => (stopped = true));
  await Promise.resolve();
  assert.not.ok(stopped);
  release();
  await stopping;
  assert.is(maxRunning, 1);
});

test("a worker running its sweeps rescues a dead worker's job and runs it once its backoff passes, without waiting for its poll", async ({ db }) => {
  await createRunTables(db.pool);
  const { id } = await enqueue(db.pool, 'test_job', {});
  await claimJobs(db.pool, { type: 'test_job', limit: 1, workerId: 'dead', leaseMs: 60_000 });
  await db.pool.query(`update public.job_queue set locked_until = now() - interval '1 second'`);
  const settings = testSettings({ pollIntervalMs: 600_000 });
  const worker = new Worker({
    pool: db.pool,
    consumers: [recordingConsumer(db.pool, {})],
    settings,
    log: silent,
    sweeps: sweepsRunIn('worker', periodicSweeps({ pool: db.pool, jobs: settings })),
  });
  await worker.start();
  try {
    await until(async () => (await jobStatuses(db.pool)).completed === 1);
    const { rows } = await db.pool.query('select retry_count from public.job_queue where id = $1::uuid', [id]);
    assert.is(rows[0]?.retry_count, 1);
  } finally {
    await worker.stop(0);
  }
});

test.run();
