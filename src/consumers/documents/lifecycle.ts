/**
 * A document's lifecycle, owned here and nowhere else: its states, every transition, and
 * the `process_document` job that drives it. The api (upload, re-analyse, delete), the
 * pipeline and the stranded-upload sweep call these functions; none of them writes
 * `documents.status` or queues the job itself.
 *
 *   uploaded ──queue──▶ queued ──start──▶ processing ──▶ processed | failed
 *      ▲                  ▲  ▲                 │
 *      │ (insert,         │  └──back to queue──┘  (a retry will follow)
 *      │  as the user)    └── requeue (re-analyse; any state but processing)
 *
 * Each function is one statement (or one with its enqueue) on the client it is given,
 * so a caller decides the transaction: status and job are written together, and the job
 * is visible to workers only once the status says `queued`.
 */
import type { Queryable } from '../../events/queue/job.js';
import type { Enqueued } from '../../events/queue/enqueue.js';
import { JOB_TYPES } from '../../events/job-types.js';

export const DOCUMENT_STATUSES = ['uploaded', 'queued', 'processing', 'processed', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/**
 * Its `process_document` job, keyed by the document: queueing it twice while a job waits
 * queues one. Defined in the database (private.enqueue_processing), where the upload
 * triggers queue documents too.
 */
async function enqueueProcessing(db: Queryable, documentId: string): Promise<Enqueued> {
  const { rows } = await db.query<{ job_id: string; deduplicated: boolean }>(
    'select job_id, deduplicated from private.enqueue_processing($1::uuid)',
    [documentId],
  );
  const row = rows[0]!;
  return { id: row.job_id, deduplicated: row.deduplicated };
}

/**
 * A fresh upload (inserted as `uploaded` by its user) to `queued`, with its job; false if it
 * is no longer `uploaded` (its file and row arrived through Storage and a trigger queued it).
 * The transition lives in the database, private.queue_upload, because triggers take it too
 * (migration 20261205001100).
 */
export async function queueUpload(db: Queryable, documentId: string): Promise<boolean> {
  const { rows } = await db.query<{ queued: boolean }>('select private.queue_upload($1::uuid) as queued', [documentId]);
  return rows[0]?.queued === true;
}

/**
 * Read again (re-analyse): any state but `processing` to `queued`, its error cleared, with
 * its job. Checked and changed in one statement, so a worker taking the job in between
 * cannot be missed. Says why not when it cannot.
 */
export async function requeueDocument(db: Queryable, documentId: string): Promise<Enqueued | 'processing' | 'missing'> {
  const { rowCount } = await db.query(
    `update public.documents set status = 'queued', error_code = null, error = null where id = $1::uuid and status <> 'processing'`,
    [documentId],
  );
  if (rowCount === 0) {
    const { rowCount: exists } = await db.query(`select 1 from public.documents where id = $1::uuid`, [documentId]);
    return exists ? 'processing' : 'missing';
  }
  return enqueueProcessing(db, documentId);
}

/**
 * Uploads left `uploaded` without a job (the api stopped between its two steps), older than
 * `olderThanSeconds`, to `queued` with their jobs; how many.
 */
export async function queueStrandedUploads(db: Queryable, olderThanSeconds: number): Promise<number> {
  const { rows } = await db.query<{ queued: boolean }>(
    `select private.queue_upload(s.id) as queued
     from (select d.id from public.documents d
           where d.status = 'uploaded' and d.created_at < now() - make_interval(secs => $1::int)
           order by d.created_at limit 500
           for update skip locked) s`,
    [olderThanSeconds],
  );
  return rows.filter((row) => row.queued).length;
}

/** A deleted document's waiting job: it would only fail with document_not_found. */
export async function dropWaitingJob(db: Queryable, documentId: string): Promise<void> {
  await db.query(
    `delete from public.job_queue where type = $1::text and status = 'pending' and payload ->> 'document_id' = $2::text`,
    [JOB_TYPES.processDocument, documentId],
  );
}

/** A worker starts reading it: `processing`, progress reset. */
export async function startProcessing(db: Queryable, documentId: string): Promise<void> {
  await db.query(
    `update public.documents set status = 'processing', error_code = null, error = null, pages_done = 0, pages_total = null
     where id = $1::uuid`,
    [documentId],
  );
}

/** Pages read so far, for clients watching it. */
export async function reportProgress(db: Queryable, documentId: string, done: number, total: number): Promise<void> {
  await db.query(`update public.documents set pages_done = $2::int, pages_total = $3::int where id = $1::uuid`, [documentId, done, total]);
}

/** Read to the end: `processed` (in the transaction that wrote its records). */
export async function markProcessed(db: Queryable, documentId: string, pages: number): Promise<void> {
  await db.query(
    `update public.documents set status = 'processed', processed_at = now(), error_code = null, error = null,
            pages_done = $2::int, pages_total = $2::int
     where id = $1::uuid`,
    [documentId, pages],
  );
}

/** A byte-identical copy of an earlier processed document of the profile: `processed`, nothing read again. */
export async function markDuplicate(db: Queryable, documentId: string, originalId: string): Promise<void> {
  await db.query(
    `update public.documents set status = 'processed', duplicate_of = $2::uuid, error_code = null, error = null, processed_at = now()
     where id = $1::uuid`,
    [documentId, originalId],
  );
}

/** Given up on: `failed`, with a stable reason code and a readable message. */
export async function markFailed(db: Queryable, documentId: string, code: string, message: string): Promise<void> {
  await db.query(
    `update public.documents set status = 'failed', error_code = $2::text, error = $3::text where id = $1::uuid`,
    [documentId, code, message.slice(0, 500)],
  );
}

/** An attempt failed and the queue will retry: back to `queued` (only if it was `processing`). */
export async function returnToQueue(db: Queryable, documentId: string): Promise<void> {
  await db.query(`update public.documents set status = 'queued' where id = $1::uuid and status = 'processing'`, [documentId]);
}
