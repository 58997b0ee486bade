/**
 * The worker's own small pool for queue bookkeeping (claims, acknowledgements,
 * heartbeats). It commits asynchronously (synchronous_commit = off): a claim or an
 * acknowledgement lost in a database crash only means the job runs again, which
 * every consumer allows, while waiting for a WAL flush per acknowledgement batch
 * would cap throughput at the disk's fsync rate. Handlers' own writes go through
 * their own pool with full durability.
 */
import pg from 'pg';
import { surviveConnectionLoss } from '../db/connection-loss.js';
import type { Logger } from '../log.js';

export function createQueuePool(databaseUrl: string, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 4, // one claim, one complete, one fail and one heartbeat/rescue at a time
    connectionTimeoutMillis: 10_000,
    application_name: 'guardian-worker',
    options: '-c synchronous_commit=off',
  });
  return surviveConnectionLoss(pool, (error) => log.warn({ err: { message: error.message } }, 'idle queue connection lost'));
}
