/**
 * enqueue: add a job, inside the caller's transaction when given a client (so the
 * job exists exactly when the change that caused it commits). A de-duplication key
 * makes it a no-op while an identical job is still pending.
 */
import { JobQueueError, type Queryable } from './job.js';

export interface EnqueueOptions {
  priority?: number;
  runAt?: Date;
  dedupeKey?: string;
  maxRetries?: number;
}

export interface Enqueued {
  id: string;
  /** True when a pending job with the same type and key already existed. */
  deduplicated: boolean;
}

const JOB_TYPE = /^[a-z][a-z0-9_.:-]{0,62}$/;

export function assertJobType(type: string): void {
  if (!JOB_TYPE.test(type)) {
    throw new JobQueueError('job_invalid', `job type "${type}" must match ${JOB_TYPE} (it travels in NOTIFY payloads and logs)`);
  }
}

export async function enqueue(db: Queryable, type: string, payload: unknown, options: EnqueueOptions = {}): Promise<Enqueued> {
  assertJobType(type);
  const { rows } = await db.query<{ id: string; deduplicated: boolean }>(
    `with inserted as (
       insert into public.job_queue (type, payload, priority, run_at, dedupe_key, max_retries)
       values ($1::text, $2::jsonb, $3::int, coalesce($4::timestamptz, now()), $5::text, $6::int)
       on conflict (type, dedupe_key) where dedupe_key is not null and status = 'pending' do nothing
       returning id
     )
     select id, false as deduplicated from inserted
     union all
     select id, true from public.job_queue
     where not exists (select 1 from inserted)
       and type = $1::text and dedupe_key = $5::text and status = 'pending'`,
    [type, JSON.stringify(payload ?? null), options.priority ?? 0, options.runAt ?? null, options.dedupeKey ?? null, options.maxRetries ?? 3],
  );
  const row = rows[0];
  if (!row) throw new JobQueueError('job_invalid', `could not enqueue ${type}`);
  return row;
}

/** Bulk enqueue in one statement (imports, benchmarks). Returns how many were added. */
export async function enqueueMany(
  db: Queryable,
  jobs: { type: string; payload: unknown; priority?: number }[],
): Promise<number> {
  for (const job of jobs) assertJobType(job.type);
  const { rowCount } = await db.query(
    `insert into public.job_queue (type, payload, priority)
     select t, p, pr from unnest($1::text[], $2::jsonb[], $3::int[]) as j(t, p, pr)`,
    [jobs.map((j) => j.type), jobs.map((j) => JSON.stringify(j.payload ?? null)), jobs.map((j) => j.priority ?? 0)],
  );
  return rowCount ?? 0;
}
