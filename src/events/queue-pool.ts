/**
 * The worker's own small pool for queue bookkeeping (claims, acknowledgements,
 * heartbeats). It commits asynchronously (synchronous_commit = off): a claim or an
 * acknowledgement lost in a database crash only means the job runs again, which
 * every consumer allows, while waiting for a WAL flush per acknowledgement batch
 * would cap throughput at the disk's fsync rate. Handlers' own writes go through
 * their own pool with full durability.
 *
 * On a direct connection the setting is a startup option. Poolers refuse startup
 * options, and a session setting would leak, through a transaction pooler, into
 * whichever client gets the server connection next (handlers' writes included). So
 * there every bookkeeping statement runs in its own transaction that sets it locally:
 * the setting and the statement go out together as one implicit transaction
 * (src/db/implicit-transaction.ts), which costs no round trip, only one tiny statement
 * on the server, and keeps the same durability trade in every mode.
 */
import pg from 'pg';
import { connectionConfig, type DatabaseLink } from '../db/connection.js';
import { surviveConnectionLoss } from '../db/connection-loss.js';
import { implicitTransaction } from '../db/implicit-transaction.js';
import type { Logger } from '../log.js';
import type { Queryable } from './queue/job.js';

export interface QueuePool extends Queryable {
  end(): Promise<void>;
}

export function createQueuePool(database: DatabaseLink, log: Logger): QueuePool {
  const connection = connectionConfig(database, { applicationName: 'guardian-worker', startupOptions: '-c synchronous_commit=off' });
  const pool = new pg.Pool({
    ...connection.config,
    max: 4, // one claim, one complete, one fail and one heartbeat/rescue at a time
    connectionTimeoutMillis: 10_000,
  });
  surviveConnectionLoss(pool, (error) => log.warn({ err: { message: error.message } }, 'idle queue connection lost'));
  if (connection.startupOptions) return pool;
  return { query: asyncCommitQuery(pool), end: () => pool.end() };
}

/** `query` that runs each statement in its own asynchronously committed transaction, in one round trip. */
function asyncCommitQuery(pool: pg.Pool): Queryable['query'] {
  const query = async (text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult> => {
    const statement = typeof text === 'string' ? { text, values: values ?? [] } : { text: text.text, values: text.values ?? [] };
    const client = await pool.connect();
    try {
      const [, result] = await implicitTransaction(client, [{ text: `select set_config('synchronous_commit', 'off', true)`, values: [] }, statement]);
      client.release();
      return result!;
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  };
  // The queue's functions call query(text, values) or query(config); the overloads of
  // pg's signature (callbacks, submittables) are not used through this pool.
  return query as Queryable['query'];
}
