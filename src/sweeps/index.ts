/**
 * Every periodic sweep, in one list: what it does, how often, which process runs it on
 * a timer, and whether the cron job (every five minutes on Render) runs it as well. The
 * database sweeps are safe to run from several processes at once: each claims its rows
 * (skip locked, or the daily claim in private.sweep_runs), so a fleet of workers and the
 * cron job never do the same work twice.
 */
import type { JobSettings } from '../config.js';
import type { Pool } from '../db/pool.js';
import { runDailySweep } from '../consumers/decision-support/daily-sweep.js';
import { requeueStrandedUploads } from '../consumers/documents/requeue-stranded.js';
import { compactJourneyWrites } from '../consumers/journey/journey-writes.js';
import { pruneJobs } from '../events/queue/prune.js';
import { rescueExpiredLeases } from '../events/queue/rescue.js';
import { pruneRateLimits } from '../http/rate-limit.js';
import type { FileStorage } from '../providers/storage/types.js';
import type { PeriodicSweep } from './sweep.js';

export type { PeriodicSweep } from './sweep.js';

const MINUTE_MS = 60 * 1000;

export function periodicSweeps(deps: { pool: Pool; jobs: JobSettings; storage?: FileStorage }): PeriodicSweep[] {
  const { pool, jobs, storage } = deps;
  const sweeps: PeriodicSweep[] = [
    {
      // Jobs of a worker that died (SIGKILL, OOM, a lost host) go back to pending, or to
      // failed once out of retries. Half a lease: a dead worker's job waits at most 1.5 leases.
      name: 'expired_leases',
      everyMs: Math.max(500, Math.floor(jobs.leaseMs / 2)),
      runsIn: 'worker',
      inCron: true,
      run: async () => {
        const rescued = await rescueExpiredLeases(pool);
        return { counts: rescued, wake: rescued.retried > 0 };
      },
    },
    {
      name: 'old_jobs',
      everyMs: 10 * MINUTE_MS,
      runsIn: 'worker',
      inCron: true,
      run: async () => ({
        counts: await pruneJobs(pool, { completedHours: jobs.completedRetentionHours, failedDays: jobs.failedRetentionDays }),
      }),
    },
    {
      // Time-based rules (an immunisation falls due on a birthday) with no data changing.
      // Hourly: the day is claimed in the database, so it runs once a day, within an hour
      // of midnight UTC when a worker is up, within five minutes through the cron job.
      name: 'daily_rules',
      everyMs: 60 * MINUTE_MS,
      runsIn: 'worker',
      inCron: true,
      run: async () => ({ counts: { queued: (await runDailySweep(pool)) ?? 0 } }),
    },
    {
      // Uploads whose process died between storing the row and queueing its job.
      name: 'stranded_uploads',
      everyMs: MINUTE_MS,
      runsIn: 'worker',
      inCron: true,
      run: async () => ({ counts: { queued: await requeueStrandedUploads(pool) } }),
    },
    {
      name: 'rate_limit_windows',
      everyMs: 5 * MINUTE_MS,
      runsIn: 'api',
      inCron: true,
      run: async () => ({ counts: { removed: await pruneRateLimits(pool) } }),
    },
    {
      name: 'journey_versions',
      everyMs: 5 * MINUTE_MS,
      runsIn: 'api',
      inCron: true,
      run: async () => ({ counts: { compacted: await compactJourneyWrites(pool) } }),
    },
  ];
  const sweepTemporaryFiles = storage?.sweepTemporaryFiles?.bind(storage);
  if (sweepTemporaryFiles) {
    sweeps.push({
      // Upload files a crashed api left half-written on its own disk: no other process
      // sees that disk, so not the cron job's.
      name: 'temporary_uploads',
      everyMs: 5 * MINUTE_MS,
      runsIn: 'api',
      inCron: false,
      run: async () => ({ counts: { removed: await sweepTemporaryFiles() } }),
    });
  }
  return sweeps;
}

/** The sweeps a long-running process runs on its timers. */
export function sweepsRunIn(process: PeriodicSweep['runsIn'], sweeps: readonly PeriodicSweep[]): PeriodicSweep[] {
  return sweeps.filter((sweep) => sweep.runsIn === process);
}
