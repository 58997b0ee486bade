/**
 * Jobs: a profile's own view of the work queued for it (its documents being read, its
 * journey and alerts being recomputed), and the operator's endpoints over the whole
 * queue (service role only).
 *
 * job_queue is not readable by users at all (its RLS admits the service role only:
 * payloads may carry ids of anyone's records and error texts may quote a document), so
 * the user's view is read by the api's own role, after the caller was shown, under
 * RLS, to see the profile and the documents whose jobs are listed. It answers ids,
 * types, states and the error's stable code; never payloads nor error messages.
 */
import { z } from 'zod';
import { JOB_TYPES, PROFILE_JOB_TYPES } from '../../events/job-types.js';
import { cancelJob } from '../../events/queue/cancel.js';
import { JobQueueError } from '../../events/queue/job.js';
import { retryJob } from '../../events/queue/retry.js';
import { queueStatus } from '../../events/queue/status.js';
import type { PoolClient } from '../../db/pool.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { profileParams, requireVisibleProfile, toIso } from './common.js';

/** Jobs per answer: 50 covers a day of busy uploads; 200 bounds the answer (~40 kB). */
export const JOBS_DEFAULT_LIMIT = 50;
export const JOBS_MAX_LIMIT = 200;

const jobStatus = z.enum(['pending', 'processing', 'completed', 'failed']);

export const profileJobSchema = z.object({
  id: z.uuid(),
  type: z.string(),
  status: jobStatus,
  document_id: z.uuid().nullable().describe('for process_document: the document it reads'),
  attempts: z.number().int().describe('attempts started so far (failed ones, plus the running or successful one)'),
  run_at: z.string().describe('when it is (or was) due'),
  updated_at: z.string(),
  error_code: z.string().nullable().describe('the last failure\'s stable code (e.g. pdf_encrypted, cancelled); never its message'),
});

interface ProfileJobRow {
  id: string; type: string; status: z.infer<typeof jobStatus>; document_id: string | null; attempts: number;
  run_at: Date; updated_at: Date; error_code: string | null;
}

const jobIdParams = z.object({ jobId: z.uuid() });
const jobStateSchema = z.object({ id: z.uuid(), type: z.string(), status: jobStatus, retry_count: z.number().int(), run_at: z.string() });

function jobProblem(error: unknown): unknown {
  if (error instanceof JobQueueError) {
    if (error.code === 'job_not_found') return new HttpProblem(404, 'job_not_found', 'no such job');
    if (error.code === 'job_wrong_state') return new HttpProblem(409, 'job_wrong_state', error.message);
  }
  return error;
}

async function jobState(client: PoolClient, id: string): Promise<z.infer<typeof jobStateSchema>> {
  const { rows } = await client.query<{ id: string; type: string; status: z.infer<typeof jobStatus>; retry_count: number; run_at: Date }>(
    `select id, type, status, retry_count, run_at from public.job_queue where id = $1::uuid`,
    [id],
  );
  // Pruned between the change and this read (completed-job retention); not an error of the caller.
  if (!rows[0]) throw new HttpProblem(404, 'job_not_found', 'no such job');
  return { ...rows[0], run_at: rows[0].run_at.toISOString() };
}

export function jobRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/profiles/:profileId/jobs', operationId: 'listProfileJobs', tags: ['jobs'], auth: 'user',
      summary: 'The queue\'s work for a profile: its documents being read, its journey and alerts being recomputed',
      params: profileParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(JOBS_MAX_LIMIT).default(JOBS_DEFAULT_LIMIT) }),
      responses: { 200: { description: 'most recently changed first', schema: z.object({ jobs: z.array(profileJobSchema) }) } },
      async handle(ctx) {
        const profileId = ctx.params.profileId;
        ctx.audit({ action: 'jobs.list', profileId, resourceType: 'profile', resourceId: profileId });
        // As the caller: the profile must be visible, and only documents the caller may
        // read (RLS: members, providers with a 'documents' grant) have their jobs listed.
        const documentIds = await ctx.db(async (c) => {
          await requireVisibleProfile(c, profileId);
          return (await c.query<{ id: string }>(`select id from public.documents where profile_id = $1::uuid`, [profileId])).rows.map((r) => r.id);
        });
        // Service role: job_queue has no policy for users (see the header); the caller was
        // authorised for exactly these profile and document ids above.
        const rows = await ctx.asService(async (c) => (await c.query<ProfileJobRow>(
          `select id, type, status,
                  case when type = $1::text then payload ->> 'document_id' end as document_id,
                  -- retry_count counts failed attempts; a running or completed job adds its current one.
                  retry_count + (status in ('processing', 'completed'))::int as attempts,
                  run_at, updated_at,
                  -- Errors are "<code>: <message>" for permanent failures, "<ErrorName>: <message>"
                  -- otherwise; only the lower-case code is ours to show (messages may quote a document).
                  case when status in ('pending', 'failed') and error is not null then
                    case when result ->> 'cancelled' = 'true' then 'cancelled'
                         else coalesce(substring(error from '^([a-z][a-z0-9_]{0,62}):'), 'transient_error') end
                  end as error_code
           from public.job_queue
           where (type = $1::text and payload ->> 'document_id' = any ($2::text[]))
              or (type = any ($3::text[]) and dedupe_key = $4::text)
           order by updated_at desc, id desc
           limit $5::int`,
          [JOB_TYPES.processDocument, documentIds, [...PROFILE_JOB_TYPES], profileId, ctx.query.limit],
        )).rows);
        ctx.koa.body = {
          jobs: rows.map((r) => ({ ...r, run_at: toIso(r.run_at)!, updated_at: toIso(r.updated_at)! })),
        };
      },
    }),

    defineRoute({
      method: 'get', path: '/api/admin/queue', operationId: 'queueStatus', tags: ['jobs', 'admin'], auth: 'service',
      summary: 'Operator: queue depth by type and status, age of the oldest due job, recent failures (service role)',
      query: z.object({ failures: z.coerce.number().int().min(0).max(200).default(20) }),
      responses: {
        200: {
          description: 'the queue',
          schema: z.object({
            depth: z.array(z.object({ type: z.string(), status: jobStatus, count: z.number().int() })),
            oldest_pending_age_seconds: z.number().nullable(),
            failures: z.array(z.object({ id: z.uuid(), type: z.string(), retry_count: z.number().int(), failed_at: z.string().nullable(), error: z.string().nullable() })),
          }),
        },
      },
      async handle(ctx) {
        ctx.audit({ action: 'queue.status' });
        // As the caller, who is the service role here: the queue's own policy admits it.
        const status = await ctx.db((c) => queueStatus(c, ctx.query.failures));
        ctx.koa.body = {
          depth: status.depth,
          oldest_pending_age_seconds: status.oldestPendingAgeSeconds,
          failures: status.failures.map((f) => ({ id: f.id, type: f.type, retry_count: f.retryCount, failed_at: toIso(f.failedAt), error: f.error })),
        };
      },
    }),

    defineRoute({
      method: 'post', path: '/api/admin/jobs/:jobId/retry', operationId: 'retryJob', tags: ['jobs', 'admin'], auth: 'service',
      summary: 'Operator: give a failed job a fresh set of attempts, due now (service role)',
      params: jobIdParams,
      responses: {
        200: { description: 'the job, pending again', schema: jobStateSchema },
        404: { description: 'no such job' },
        409: { description: 'the job has not failed (code job_wrong_state)' },
      },
      async handle(ctx) {
        ctx.audit({ action: 'job.retry', resourceType: 'job', resourceId: ctx.params.jobId });
        ctx.koa.body = await ctx.db(async (c) => {
          await retryJob(c, ctx.params.jobId).catch((error: unknown) => { throw jobProblem(error); });
          return jobState(c, ctx.params.jobId);
        });
      },
    }),

    defineRoute({
      method: 'post', path: '/api/admin/jobs/:jobId/cancel', operationId: 'cancelJob', tags: ['jobs', 'admin'], auth: 'service',
      summary: 'Operator: stop a pending or failed job for good; it ends failed, "cancelled by operator" (service role)',
      params: jobIdParams,
      responses: {
        200: { description: 'the job, failed for good', schema: jobStateSchema },
        404: { description: 'no such job' },
        409: { description: 'the job is running or completed (code job_wrong_state)' },
      },
      async handle(ctx) {
        ctx.audit({ action: 'job.cancel', resourceType: 'job', resourceId: ctx.params.jobId });
        ctx.koa.body = await ctx.db(async (c) => {
          await cancelJob(c, ctx.params.jobId).catch((error: unknown) => { throw jobProblem(error); });
          return jobState(c, ctx.params.jobId);
        });
      },
    }),
  ];
}
