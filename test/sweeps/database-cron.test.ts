/**
 * The Render cron's share of the sweeps beside the database's pg_cron
 * (src/sweeps/database-cron.ts). A real pg_cron is in test/supabase/pg-cron.test.ts;
 * here the answers the database may give, including none.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { capturedLog } from '../helpers/captured-log.js';
import type { Queryable } from '../../src/events/queue/job.js';
import { cronShare } from '../../src/sweeps/database-cron.js';
import type { PeriodicSweep } from '../../src/sweeps/sweep.js';

const test = suite('the cron job beside pg_cron');

const sweep = (name: string, inCron: boolean, pgCronJob?: string): PeriodicSweep => ({
  name, everyMs: 60_000, runsIn: 'worker', inCron, pgCronJob, run: async () => ({ counts: {} }),
});
const sweeps = [sweep('expired_leases', true, 'mark-stale-jobs'), sweep('old_jobs', true), sweep('temporary_uploads', false)];

/** A database whose cron.job holds these active jobs (or, with `fail`, that refuses to say). */
function database(jobs: string[] | undefined, fail?: Error): Queryable {
  return {
    query: (async (text: string) => {
      if (fail) throw fail;
      if (text.includes('to_regclass')) return { rows: [{ present: jobs !== undefined }] };
      return { rows: (jobs ?? []).map((jobname) => ({ jobname })) };
    }) as unknown as Queryable['query'], // a stand-in for pg's overloaded query(): only the text form is used
  };
}

test('a sweep whose pg_cron job is active is left to the database; the rest of the cron share runs', async () => {
  const { log } = capturedLog();
  const share = await cronShare(sweeps, database(['mark-stale-jobs', 'someone-elses-job']), log);
  assert.equal(share.run.map((s) => s.name), ['old_jobs']);
  assert.equal(share.inDatabase, { expired_leases: 'mark-stale-jobs' });
});

test('without pg_cron, or without that job, the cron job runs every sweep of its share', async () => {
  const { log } = capturedLog();
  for (const db of [database(undefined), database([]), database(['another-job'])]) {
    const share = await cronShare(sweeps, db, log);
    assert.equal(share.run.map((s) => s.name), ['expired_leases', 'old_jobs']);
    assert.equal(share.inDatabase, {});
  }
});

test('when the database cannot say, the cron job runs every sweep and warns without the error text', async () => {
  const { log, lines } = capturedLog();
  const share = await cronShare(sweeps, database(undefined, new Error('permission denied for table job of Jane Citizen')), log);
  assert.equal(share.run.map((s) => s.name), ['expired_leases', 'old_jobs']);
  assert.is(lines.length, 1);
  assert.is(lines[0]!.level, 40);
  assert.not.match(JSON.stringify(lines), /Jane/);
});

test.run();
