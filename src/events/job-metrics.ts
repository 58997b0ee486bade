/**
 * The worker's job metrics, for the registry of whoever serves /metrics: the api's
 * when the worker runs in the same process (`npm start`: pass `createMetrics(…).registry`).
 *
 * Wire it as `new Worker({ …, onJobSettled: createJobMetrics(registry).onJobSettled })`.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

export type JobOutcome = 'completed' | 'failed' | 'retried';

export interface JobMetrics {
  /** seconds: the handler's run time (payload check included), not the wait in the queue. */
  onJobSettled(type: string, outcome: JobOutcome, seconds: number): void;
}

/**
 * Jobs span four orders of magnitude: a journey recompute takes milliseconds, OCR of a
 * phone photo seconds, an AI extraction tens of seconds. Buckets from 5 ms to 5 min,
 * roughly ×2–×2.5 apart: 14 buckets per {type, outcome}.
 */
export const JOB_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createJobMetrics(registry: Registry): JobMetrics {
  // Reuse when already registered: two workers in one process (tests, or a split by
  // job type) share one registry, and a second registration would throw.
  const duration =
    (registry.getSingleMetric('guardian_job_duration_seconds') as Histogram<'type' | 'outcome'> | undefined) ??
    new Histogram({
      name: 'guardian_job_duration_seconds',
      help: 'Job handler run time by type and outcome (completed, failed for good, or retried).',
      labelNames: ['type', 'outcome'] as const,
      buckets: JOB_DURATION_BUCKETS,
      registers: [registry],
    });
  const failures =
    (registry.getSingleMetric('guardian_job_failures_total') as Counter<'type'> | undefined) ??
    new Counter({
      name: 'guardian_job_failures_total',
      help: 'Jobs that failed for good (retries spent or a permanent error) by type; retries are not counted.',
      labelNames: ['type'] as const,
      registers: [registry],
    });
  return {
    onJobSettled(type, outcome, seconds) {
      duration.observe({ type, outcome }, seconds);
      if (outcome === 'failed') failures.inc({ type });
    },
  };
}
