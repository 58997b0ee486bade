/**
 * defineConsumer: what a pipeline declares about one job type. The worker turns each
 * definition into an RxJS pipeline (see worker.ts).
 */
import type { ZodType } from 'zod';
import type { Logger } from '../log.js';
import { assertJobType } from './queue/enqueue.js';
import type { BackoffPolicy } from './queue/backoff.js';
import type { Job } from './queue/job.js';

export interface JobContext {
  /** Aborted when the worker shuts down past its grace period or loses the job's lease. */
  signal: AbortSignal;
  /** Carries job_id and type; log ids and counts only, never payload contents. */
  log: Logger;
}

export interface ConsumerDefinition<P> {
  type: string;
  /** Handler calls running at once in one process (default WORKER_CONCURRENCY). */
  concurrency?: number;
  /** Validates the payload before the handler runs; a mismatch fails the job permanently. */
  payload?: ZodType<P>;
  /** Jobs with the same key run one after another in this process (e.g. one profile at a time). */
  orderingKey?: (job: Job<P>) => string | undefined;
  backoff?: BackoffPolicy;
  /** Whatever it returns is stored as the job's result (keep it free of health data). */
  handle(job: Job<P>, context: JobContext): Promise<unknown>;
}

export type Consumer = ConsumerDefinition<unknown>;

export function defineConsumer<P>(definition: ConsumerDefinition<P>): Consumer {
  assertJobType(definition.type);
  if (definition.concurrency !== undefined && !(Number.isInteger(definition.concurrency) && definition.concurrency > 0)) {
    throw new RangeError(`consumer ${definition.type}: concurrency must be a positive integer`);
  }
  return definition as unknown as Consumer;
}
