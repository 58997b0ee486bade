/**
 * Uploads stranded between their two steps: the api inserts the document row as the
 * user, then queues its job as the service (the user may not write the queue). A
 * process that dies in between leaves a row 'uploaded' with no job. This sweep (cron
 * and the worker's timer) queues them; five minutes is far longer than the gap lasts
 * (milliseconds) and short enough that nobody waits long.
 */
import type { Pool } from '../../db/pool.js';
import { inTransaction } from '../../db/transaction.js';
import type { Logger } from '../../log.js';
import { queueStrandedUploads } from './lifecycle.js';

export function requeueStrandedUploads(pool: Pool, olderThanSeconds = 300): Promise<number> {
  return inTransaction(pool, (client) => queueStrandedUploads(client, olderThanSeconds));
}

/** The sweep as timers and the cron job run it: logs, never throws; false when it failed. */
export async function strandedUploadSweep(pool: Pool, log: Logger): Promise<boolean> {
  try {
    const queued = await requeueStrandedUploads(pool);
    if (queued > 0) log.warn({ queued }, 'queued uploads that had no job');
    return true;
  } catch (error) {
    log.warn({ err: { message: (error as Error).message } }, 'stranded upload sweep failed');
    return false;
  }
}
