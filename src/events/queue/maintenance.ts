/**
 * The queue's sweeps as the worker's timers and the cron job run them: rescue
 * expired leases, prune old jobs; each logs what it did and never throws (a
 * failed sweep is retried on the next tick).
 */
import type { JobSettings } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Queryable } from './job.js';
import { pruneJobs } from './prune.js';
import { rescueExpiredLeases } from './rescue.js';

/** How many jobs went back to pending or to failed; undefined when the sweep failed. */
export async function rescueSweep(db: Queryable, log: Logger): Promise<number | undefined> {
  try {
    const { retried, failed } = await rescueExpiredLeases(db);
    if (retried + failed > 0) log.warn({ retried, failed }, 'rescued jobs with expired leases');
    return retried + failed;
  } catch (error) {
    log.warn({ err: { message: (error as Error).message } }, 'lease rescue failed');
    return undefined;
  }
}

/** False when the sweep failed. */
export async function pruneSweep(db: Queryable, settings: JobSettings, log: Logger): Promise<boolean> {
  try {
    const pruned = await pruneJobs(db, { completedHours: settings.completedRetentionHours, failedDays: settings.failedRetentionDays });
    if (pruned.completed + pruned.failed > 0) log.info(pruned, 'pruned old jobs');
    return true;
  } catch (error) {
    log.warn({ err: { message: (error as Error).message } }, 'pruning jobs failed');
    return false;
  }
}
