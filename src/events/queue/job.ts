/** A claimed job as a consumer sees it, and the errors of the queue API. */
import type pg from 'pg';

export interface Job<P = unknown> {
  id: string;
  type: string;
  payload: P;
  priority: number;
  /** Failed attempts so far (0 on the first run). */
  retryCount: number;
  maxRetries: number;
  createdAt: Date;
}

/** A pool or a client inside the caller's transaction: the queue API works with both. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

export interface JobRow {
  id: string;
  type: string;
  payload: unknown;
  priority: number;
  retry_count: number;
  max_retries: number;
  created_at: Date;
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    type: row.type,
    payload: row.payload,
    priority: row.priority,
    retryCount: row.retry_count,
    maxRetries: row.max_retries,
    createdAt: row.created_at,
  };
}

export class JobQueueError extends Error {
  override readonly name = 'JobQueueError';
  constructor(
    readonly code: 'job_not_found' | 'job_wrong_state' | 'job_invalid',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Thrown by a handler when retrying cannot help (bad input, a file that is not a
 * document): the job fails at once with this reason instead of burning retries.
 */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The NOTIFY channel new due jobs are announced on (see the event_triggers migration). */
export const JOBS_CHANNEL = 'guardian_jobs';

export interface JobsNotification {
  types: string[];
  count: number;
}
