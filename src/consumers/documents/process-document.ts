/**
 * The `process_document` consumer: a stored photo or PDF becomes structured, sourced
 * clinical records, its document moving through the lifecycle (./lifecycle.ts) as it goes.
 *
 * Byte-identical re-uploads on a profile are marked duplicate_of and not extracted
 * again. Input that cannot be read fails the document at once with a stable reason code
 * (no retries); provider outages and database errors are retried by the queue with
 * backoff, and the document only shows `failed` once the last attempt has failed.
 */
import { z } from 'zod';
import type { DocumentSettings } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import { inTransaction } from '../../db/transaction.js';
import { defineConsumer, type Consumer } from '../../events/consumer.js';
import { JOB_TYPES } from '../../events/job-types.js';
import { PermanentJobError, type Job } from '../../events/queue/job.js';
import type { Extractor } from '../../providers/extraction/schema.js';
import { isSupportedMediaType, SUPPORTED_TYPES_TEXT } from '../../providers/media-types.js';
import type { OcrProvider } from '../../providers/ocr/types.js';
import { InputRejectedError } from '../../providers/provider-error.js';
import { StorageError } from '../../providers/storage/storage-error.js';
import type { FileStorage } from '../../providers/storage/types.js';
import { readVerified } from '../../providers/storage/verified-read.js';
import { markDuplicate, markFailed, markProcessed, reportProgress, returnToQueue, startProcessing } from './lifecycle.js';
import { readDocument } from './read-document.js';
import { replaceDocumentPages } from './write-pages.js';
import { replaceDocumentRecords } from './write-records.js';

export interface DocumentPipeline {
  pool: Pool;
  storage: FileStorage;
  ocr: OcrProvider;
  extractor: Extractor;
  settings: Pick<DocumentSettings, 'maxBytes' | 'maxPages'>;
}

const payload = z.object({ document_id: z.uuid() });

interface DocumentRow {
  id: string;
  profile_id: string;
  storage_path: string;
  media_type: string;
  size_bytes: string;
  sha256: string;
}

/** Storage failures that another attempt cannot mend. */
const PERMANENT_STORAGE_FAILURES: ReadonlySet<string> = new Set(['storage_not_found', 'storage_checksum_mismatch', 'storage_bad_path']);

/**
 * What a failure means for the job: input that cannot be read, or a file that is gone,
 * bad or outside its profile's folder (its bytes are then never read), fails the job for
 * good; anything else is left for the queue to retry.
 */
function asJobError(error: unknown): unknown {
  if (error instanceof InputRejectedError) return new PermanentJobError(error.code, error.message);
  if (error instanceof StorageError && PERMANENT_STORAGE_FAILURES.has(error.code)) return new PermanentJobError(error.code, error.message);
  return error;
}

async function loadDocument(pool: Pool, id: string): Promise<DocumentRow> {
  const { rows } = await pool.query<DocumentRow>(
    `select id, profile_id, storage_path, media_type, size_bytes, sha256 from public.documents where id = $1::uuid`,
    [id],
  );
  if (!rows[0]) throw new PermanentJobError('document_not_found', `document ${id} does not exist (deleted before processing?)`);
  return rows[0];
}

async function earlierIdentical(pool: Pool, doc: DocumentRow): Promise<string | undefined> {
  const { rows } = await pool.query<{ id: string }>(
    `select id from public.documents
     where profile_id = $1::uuid and sha256 = $2::text and id <> $3::uuid and status = 'processed' and duplicate_of is null
     order by created_at limit 1`,
    [doc.profile_id, doc.sha256, doc.id],
  );
  return rows[0]?.id;
}

function checkInput(doc: DocumentRow, settings: DocumentPipeline['settings']): void {
  const size = Number(doc.size_bytes);
  if (size === 0) throw new PermanentJobError('empty_file', 'the file is empty');
  if (size > settings.maxBytes) {
    throw new PermanentJobError('file_too_large', `the file is ${Math.ceil(size / 1048576)} MB; the limit is ${settings.maxBytes / 1048576} MB`);
  }
  if (!isSupportedMediaType(doc.media_type)) {
    throw new PermanentJobError('unsupported_media_type', `${doc.media_type} is not a supported document type (${SUPPORTED_TYPES_TEXT})`);
  }
}

/** Runs the pipeline for one document; exported for tests. */
export async function processDocument(deps: DocumentPipeline, job: Pick<Job<{ document_id: string }>, 'payload'>, signal?: AbortSignal) {
  const { pool } = deps;
  const doc = await loadDocument(pool, job.payload.document_id);
  const original = await earlierIdentical(pool, doc);
  if (original) {
    await markDuplicate(pool, doc.id, original);
    return { duplicate_of: original };
  }
  await startProcessing(pool, doc.id);
  checkInput(doc, deps.settings);
  try {
    const bytes = await readVerified(deps.storage, { profileId: doc.profile_id, path: doc.storage_path }, doc.sha256);
    const { ocr, extraction } = await readDocument(deps, {
      bytes,
      mediaType: doc.media_type,
      maxPages: deps.settings.maxPages,
      ...(signal ? { signal } : {}),
      onPage: (done, total) => reportProgress(pool, doc.id, done, total),
    });
    // Records and the document's new state in one transaction: a reader never sees one without the other.
    const counts = await inTransaction(pool, async (client) => {
      const written = await replaceDocumentRecords(client, { id: doc.id, profileId: doc.profile_id }, extraction);
      await replaceDocumentPages(client, { id: doc.id, profileId: doc.profile_id }, ocr.pages);
      await markProcessed(client, doc.id, ocr.pages.length);
      return written;
    });
    // Counts only: the job result must carry no health data.
    return { pages: ocr.pages.length, records: counts, extractor: extraction.extractor.name };
  } catch (error) {
    throw asJobError(error);
  }
}

export function processDocumentConsumer(deps: DocumentPipeline, options: { concurrency?: number } = {}): Consumer {
  return defineConsumer({
    type: JOB_TYPES.processDocument,
    concurrency: options.concurrency ?? 2, // OCR is CPU-bound; the machine has 2 cores
    payload,
    // One document at a time per document id (a re-analysis queued while it runs waits).
    orderingKey: (job) => job.payload.document_id,
    async handle(job, { signal, log }) {
      try {
        const result = await processDocument(deps, job, signal);
        // Ids and counts only (the records' values are health data).
        if ('duplicate_of' in result) log.info({ document_id: job.payload.document_id, duplicate_of: result.duplicate_of }, 'document is a duplicate');
        else log.info({ document_id: job.payload.document_id, pages: result.pages, records: result.records }, 'document processed');
        return result;
      } catch (error) {
        const lastAttempt = job.retryCount >= job.maxRetries;
        if (error instanceof PermanentJobError) await markFailed(deps.pool, job.payload.document_id, error.code, error.message);
        else if (lastAttempt) await markFailed(deps.pool, job.payload.document_id, 'processing_failed', 'processing failed repeatedly; it can be retried');
        else await returnToQueue(deps.pool, job.payload.document_id);
        throw error;
      }
    },
  });
}
