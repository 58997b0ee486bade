/**
 * Publishes a worker's job metrics to the database for the api's /metrics to serve
 * (migration 1700): Render's background workers cannot be scraped. `npm start` does not
 * need this (its worker records straight into the api's registry).
 */
import type { Registry } from 'prom-client';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';

/** A quarter of Prometheus's common 1 min scrape interval: a scrape is at most 15 s behind. */
export const PUBLISH_INTERVAL_MS = 15_000;

export interface JobMetricsPublisher {
  /** Stops publishing and removes this worker's row (its counts leave the sum: a reset, to Prometheus). */
  stop(): Promise<void>;
}

export function publishJobMetrics(options: {
  pool: Pool;
  registry: Registry;
  workerId: string;
  log: Logger;
  intervalMs?: number;
}): JobMetricsPublisher {
  const { pool, registry, workerId, log } = options;
  const publish = async (): Promise<void> => {
    const metrics = await registry.getMetricsAsJSON();
    await pool.query(
      `insert into private.worker_metrics (worker_id, published_at, metrics) values ($1::text, now(), $2::jsonb)
       on conflict (worker_id) do update set published_at = excluded.published_at, metrics = excluded.metrics`,
      [workerId, JSON.stringify(metrics)],
    );
    // Rows of workers gone for an hour are noise in every scrape's read.
    await pool.query(`delete from private.worker_metrics where published_at < now() - interval '1 hour'`);
  };
  let inFlight: Promise<void> = Promise.resolve();
  const tick = () => {
    inFlight = publish().catch((error: Error) => log.warn({ err: { message: error.message } }, 'publishing job metrics failed'));
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? PUBLISH_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight; // a publish still running would otherwise put the row back

      await pool.query(`delete from private.worker_metrics where worker_id = $1::text`, [workerId])
        .catch((error: Error) => log.warn({ err: { message: error.message } }, 'removing published job metrics failed'));
    },
  };
}
