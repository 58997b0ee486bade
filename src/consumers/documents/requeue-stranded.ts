/**
 * Uploads stranded between their two steps: the api inserts the document row as the
 * user, then queues its job as the service (the user may not write the queue). A
 * process that dies in between leaves a row 'uploaded' with no job. This sweep (src/sweeps)
 * queues them; five minutes is far longer than the gap lasts
 * (milliseconds) and short enough that nobody waits long.
 */
import type { Pool } from '../../db/pool.js';
import { inTransaction } from '../../db/transaction.js';
import { queueStrandedUploads } from './lifecycle.js';

export function requeueStrandedUploads(pool: Pool, olderThanSeconds = 300): Promise<number> {
  return inTransaction(pool, (client) => queueStrandedUploads(client, olderThanSeconds));
}
