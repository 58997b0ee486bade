import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { claimJobs } from '../../src/events/queue/claim.js';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { failJobs } from '../../src/events/queue/fail.js';
import { config } from '../helpers/database.js';
import { databaseSuite } from '../helpers/suite.js';

const run = promisify(execFile);
const test = databaseSuite('npm run jobs');

async function jobs(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', 'cli', 'jobs.ts'), ...args], {
      cwd: config.projectRoot,
      env: { ...process.env, DATABASE_URL: url },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('status prints depth by type and status, the oldest due job and failures with their errors', async ({ db }) => {
  await db.pool.query('delete from public.job_queue');
  await enqueue(db.pool, 'process_document', { document_id: 'd1' });
  const { id } = await enqueue(db.pool, 'evaluate_rules', {}, { maxRetries: 0 });
  await claimJobs(db.pool, { type: 'evaluate_rules', limit: 1, workerId: 'w', leaseMs: 60_000 });
  await failJobs(db.pool, 'w', [{ id, error: 'RangeError: rule 7 has no threshold', delayMs: 0, permanent: false }]);
  const { code, stdout } = await jobs(db.url, 'status');
  assert.is(code, 0);
  assert.match(stdout, /evaluate_rules\s+0\s+0\s+0\s+1/);
  assert.match(stdout, /process_document\s+1\s+0\s+0\s+0/);
  assert.match(stdout, /oldest due pending job: \d+\.\d s/);
  assert.match(stdout, new RegExp(`${id}\\s+evaluate_rules\\s+attempts 1`));
  assert.match(stdout, /RangeError: rule 7 has no threshold/);
});

test('retry revives a failed job; cancel stops it; bad ids and states are refused with a code', async ({ db }) => {
  await db.pool.query('delete from public.job_queue');
  const { id } = await enqueue(db.pool, 'evaluate_rules', {}, { maxRetries: 0 });
  await claimJobs(db.pool, { type: 'evaluate_rules', limit: 1, workerId: 'w', leaseMs: 60_000 });
  await failJobs(db.pool, 'w', [{ id, error: 'boom', delayMs: 0, permanent: false }]);
  assert.equal(await jobs(db.url, 'retry', id), { code: 0, stdout: `retried ${id}\n`, stderr: '' });
  assert.is((await db.pool.query('select status from public.job_queue where id = $1::uuid', [id])).rows[0].status, 'pending');
  const again = await jobs(db.url, 'retry', id);
  assert.is(again.code, 1);
  assert.match(again.stderr, /^job_wrong_state: .* is pending/);
  assert.is((await jobs(db.url, 'cancel', id)).code, 0);
  assert.is((await db.pool.query('select error from public.job_queue where id = $1::uuid', [id])).rows[0].error, 'cancelled by operator');
  const usage = await jobs(db.url, 'retry', 'not-a-uuid');
  assert.is(usage.code, 2);
  assert.match(usage.stderr, /usage: npm run jobs/);
});

test('npm run cron rescues expired leases and prunes, then exits 0; an unreachable database exits 1', async ({ db }) => {
  await db.pool.query('delete from public.job_queue');
  const { id } = await enqueue(db.pool, 'evaluate_rules', {});
  await claimJobs(db.pool, { type: 'evaluate_rules', limit: 1, workerId: 'dead', leaseMs: 60_000 });
  await db.pool.query(`update public.job_queue set locked_until = now() - interval '1 second'`);
  const cron = (url: string) =>
    run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', 'cron.ts')], { cwd: config.projectRoot, env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'info' } }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
  const ran = await cron(db.url);
  assert.is(ran.code, 0);
  // It says what it did: every database sweep by name, with its counts.
  const summary = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; sweeps?: Record<string, Record<string, number>> }).find((line) => line.sweeps);
  assert.equal(Object.keys(summary?.sweeps ?? {}), ['expired_leases', 'old_jobs', 'daily_rules', 'stranded_uploads', 'rate_limit_windows', 'journey_versions']);
  assert.equal(summary?.sweeps?.expired_leases, { retried: 1, failed: 0 });
  assert.equal((await db.pool.query('select status, retry_count from public.job_queue where id = $1::uuid', [id])).rows[0], { status: 'pending', retry_count: 1 });
  assert.is((await cron('postgres://nobody@127.0.0.1:1/none')).code, 1);
});
test.run();
