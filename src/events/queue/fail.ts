/**
 * fail: record a batch of failed attempts. Each job goes back to pending with its
 * next run pushed out by its backoff delay, or, once retries are spent (or the error
 * is permanent), to `failed` with the error kept: the dead-letter state an operator
 * can inspect and retry.
 *
 * A job returning to pending while an identical one (same de-duplication key) is
 * already pending gives up its key rather than violating uniqueness; both run, and
 * consumers are idempotent.
 */
import type { Queryable } from './job.js';
import { PG } from '../../db/postgres-errors.js';

export interface FailedAttempt {
  id: string;
  error: string;
  delayMs: number;
  permanent: boolean;
}

export interface FailOutcome {
  id: string;
  status: 'pending' | 'failed';
  retryCount: number;
  runAt: Date;
}

const FAIL_SQL = `
  update public.job_queue j
     set retry_count = j.retry_count + 1,
         status = case when f.permanent or j.retry_count + 1 > j.max_retries then 'failed' else 'pending' end,
         run_at = case when f.permanent or j.retry_count + 1 > j.max_retries then j.run_at
                       else now() + make_interval(secs => f.delay_ms / 1000.0) end,
         completed_at = case when f.permanent or j.retry_count + 1 > j.max_retries then now() end,
         dedupe_key = case when exists (
                        select 1 from public.job_queue p
                        where p.type = j.type and p.dedupe_key = j.dedupe_key and p.status = 'pending' and p.id <> j.id)
                      then null else j.dedupe_key end,
         error = f.error, locked_by = null, locked_until = null, updated_at = now()
    from unnest($1::uuid[], $2::text[], $3::int[], $4::boolean[]) as f(id, error, delay_ms, permanent)
   where j.id = f.id and j.locked_by = $5::text and j.status = 'processing'
  returning j.id, j.status, j.retry_count, j.run_at`;

async function failBatch(db: Queryable, workerId: string, attempts: FailedAttempt[]): Promise<FailOutcome[]> {
  const { rows } = await db.query<{ id: string; status: 'pending' | 'failed'; retry_count: number; run_at: Date }>(FAIL_SQL, [
    attempts.map((a) => a.id),
    attempts.map((a) => a.error.slice(0, 4000)),
    attempts.map((a) => Math.max(0, Math.round(a.delayMs))),
    attempts.map((a) => a.permanent),
    workerId,
  ]);
  return rows.map((r) => ({ id: r.id, status: r.status, retryCount: r.retry_count, runAt: r.run_at }));
}

export async function failJobs(db: Queryable, workerId: string, attempts: FailedAttempt[]): Promise<FailOutcome[]> {
  if (attempts.length === 0) return [];
  try {
    return await failBatch(db, workerId, attempts);
  } catch (error) {
    // Two jobs of one key returning together still collide; settle them one by one.
    if ((error as { code?: string }).code !== PG.uniqueViolation || attempts.length === 1) throw error;
    const outcomes: FailOutcome[] = [];
    for (const attempt of attempts) outcomes.push(...(await failBatch(db, workerId, [attempt])));
    return outcomes;
  }
}
