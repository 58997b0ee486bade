/**
 * A job that failed only because its database connection went away (a terminated
 * backend, a restart, a failover) is run again by the same worker after a short pause,
 * without spending one of its retries: its next attempt is likely to succeed, and a
 * database blip should not turn a family's upload into "failed". The pauses add up to
 * ~16 s; an outage longer than that falls back to the queue's own retry with backoff
 * (which counts), so a job that takes the database down each time it runs still ends in
 * `failed` after max_retries × these attempts, instead of looping for ever.
 *
 * Consumers are idempotent (a job may run twice anyway), so running the handler again
 * after a partial first run is safe.
 */
import { isDatabaseUnavailable } from '../db/postgres-errors.js';

export const TRANSIENT_RETRY_DELAYS_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000];

export interface TransientRetryOptions {
  /** False once the job is no longer this worker's to run (lease lost, shutting down). */
  stillWanted(): boolean;
  /** Aborted when the worker gives up the job; ends a pause early. */
  signal(): AbortSignal;
  onRetry?(retry: number, delayMs: number): void;
  delaysMs?: readonly number[];
}

export async function retryWhileDatabaseUnavailable<T>(run: () => Promise<T>, options: TransientRetryOptions): Promise<T> {
  const delays = options.delaysMs ?? TRANSIENT_RETRY_DELAYS_MS;
  for (let retry = 0; ; retry++) {
    try {
      return await run();
    } catch (error) {
      const delay = delays[retry];
      if (delay === undefined || !isDatabaseUnavailable(error) || !options.stillWanted()) throw error;
      options.onRetry?.(retry + 1, delay);
      await pause(delay, options.signal());
      if (!options.stillWanted()) throw error;
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
