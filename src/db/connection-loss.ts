/**
 * Keeping a process alive when Postgres ends a connection (pg_terminate_backend, a
 * restart, a failover, a pooler recycling its links).
 *
 * node-postgres reports a lost connection as an 'error' event on its client. pg-pool
 * listens for it only while a client is idle; a client checked out (a request's
 * transaction, a job's work) has no listener, and Node turns an unhandled 'error' event
 * into an uncaught exception: the whole process would die. Every client a pool
 * opens gets a listener of its own here. The query in flight still rejects with the
 * error, which is how the caller learns of it (503 to a request, a retry to a job), and
 * the pool discards the dead client when it is released.
 */
import type pg from 'pg';

/**
 * Guards every client of `pool`, now and future, and reports losses of idle clients to
 * `onIdleError` (those reach nobody else).
 */
export function surviveConnectionLoss(pool: pg.Pool, onIdleError: (error: Error) => void): pg.Pool {
  pool.on('error', onIdleError);
  pool.on('connect', (client) => {
    // The in-flight query (if any) carries the error to its caller; nothing else to do.
    client.on('error', () => undefined);
  });
  return pool;
}
