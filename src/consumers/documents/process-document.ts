/**
 * The `process_document` consumer (the guide's "Document Processing Updates"): a
 * stored photo or PDF becomes structured, sourced clinical records.
 *
 *   queued → processing → processed | failed      (documents.status, watched live)
 *
 * Byte-identical re-uploads on a profile are marked duplicate_of and not extracted
 * again. Bad input fails the document at once with a stable reason code (no
 * retries); provider outages and database errors are retried by the queue with
 * backoff, and the document only shows `failed` once the last attempt has failed.
 */
import { z } from 'zod';
import type { DocumentSettings } from '../../config.js';
import type { Pool } from '../../db/pool.js';
import { defineConsumer, type Consumer } from '../../events/consumer.js';
import { PermanentJobError, type Job } from '../../events/queue/job.js';
import { anchorProvenance } from '../../providers/extraction/anchor.js';
import type { Extractor } from '../../providers/extraction/schema.js';
import type { OcrProvider } from '../../providers/ocr/types.js';
import { StorageError } from '../../providers/storage/storage-error.js';
import type { FileStorage } from '../../providers/storage/types.js';
import { readVerified } from '../../providers/storage/verified-read.js';
import { replaceDocumentRecords } from './write-records.js';

export const PROCESS_DOCUMENT = 'process_document';

export interface DocumentPipeline {
  pool: Pool;
  storage: FileStorage;
  ocr: OcrProvider;
  extractor: Extractor;
  settings: Pick<DocumentSettings, 'maxBytes' | 'maxPages'>;
}

const payload = z.object({ document_id: z.uuid() });

export const SUPPORTED_MEDIA_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'image/webp']);

interface DocumentRow {
  id: string;
  profile_id: string;
  storage_path: string;
  media_type: string;
  size_bytes: string;
  sha256: string;
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
  if (!SUPPORTED_MEDIA_TYPES.has(doc.media_type)) {
    throw new PermanentJobError('unsupported_media_type', `${doc.media_type} is not a supported document type (PDF, PNG, JPEG, TIFF, WebP)`);
  }
}

/** Runs the pipeline for one document; exported for `npm run extract` and tests. */
export async function processDocument(deps: DocumentPipeline, job: Pick<Job<{ document_id: string }>, 'payload'>, signal?: AbortSignal) {
  const { pool } = deps;
  const doc = await loadDocument(pool, job.payload.document_id);
  const original = await earlierIdentical(pool, doc);
  if (original) {
    await pool.query(
      `update public.documents set status = 'processed', duplicate_of = $2::uuid, error_code = null, error = null, processed_at = now()
       where id = $1::uuid`,
      [doc.id, original],
    );
    return { duplicate_of: original };
  }
  await pool.query(
    `update public.documents set status = 'processing', error_code = null, error = null, pages_done = 0, pages_total = null
     where id = $1::uuid`,
    [doc.id],
  );
  checkInput(doc, deps.settings);
  const bytes = await readVerified(deps.storage, { profileId: doc.profile_id, path: doc.storage_path }, doc.sha256).catch((error: unknown) => {
    // storage_bad_path: the file is not in the document's own profile folder (a row from
    // before migration 2100); its bytes are never read, let alone copied into this profile.
    const permanent: string[] = ['storage_not_found', 'storage_checksum_mismatch', 'storage_bad_path'];
    if (error instanceof StorageError && permanent.includes(error.code)) {
      throw new PermanentJobError(error.code, error.message);
    }
    throw error;
  });
  const ocr = await deps.ocr.recognize({
    bytes,
    mediaType: doc.media_type,
    ...(signal ? { signal } : {}),
    onPage: async (done, total) => {
      await pool.query(`update public.documents set pages_done = $2::int, pages_total = $3::int where id = $1::uuid`, [doc.id, done, total]);
    },
  });
  if (ocr.pages.length > deps.settings.maxPages) {
    throw new PermanentJobError('too_many_pages', `the document has ${ocr.pages.length} pages; the limit is ${deps.settings.maxPages}`);
  }
  if (ocr.pages.every((p) => p.text.replace(/\s/g, '').length < 3)) {
    throw new PermanentJobError('no_text_found', 'no text was found in the document');
  }
  const extracted = await deps.extractor.extract(ocr.pages, signal ? { signal } : {});
  const extraction = { ...extracted, records: anchorProvenance(extracted.records, ocr.pages) };
  const client = await pool.connect();
  try {
    await client.query('begin');
    const counts = await replaceDocumentRecords(client, { id: doc.id, profileId: doc.profile_id }, extraction);
    await client.query(
      `update public.documents set status = 'processed', processed_at = now(), error_code = null, error = null,
              pages_done = $2::int, pages_total = $2::int
       where id = $1::uuid`,
      [doc.id, ocr.pages.length],
    );
    await client.query('commit');
    // Counts only: the job result must carry no health data.
    return { pages: ocr.pages.length, records: counts, extractor: extraction.extractor.name };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function markFailed(pool: Pool, documentId: string, code: string, message: string): Promise<void> {
  await pool.query(
    `update public.documents set status = 'failed', error_code = $2::text, error = $3::text where id = $1::uuid`,
    [documentId, code, message.slice(0, 500)],
  );
}

export function processDocumentConsumer(deps: DocumentPipeline, options: { concurrency?: number } = {}): Consumer {
  return defineConsumer({
    type: PROCESS_DOCUMENT,
    concurrency: options.concurrency ?? 2, // OCR is CPU-bound; the machine has 2 cores
    payload,
    // One document at a time per document id (a re-analysis queued while it runs waits).
    orderingKey: (job) => job.payload.document_id,
    async handle(job, { signal }) {
      try {
        return await processDocument(deps, job, signal);
      } catch (error) {
        const lastAttempt = job.retryCount >= job.maxRetries;
        if (error instanceof PermanentJobError) await markFailed(deps.pool, job.payload.document_id, error.code, error.message);
        else if (lastAttempt) await markFailed(deps.pool, job.payload.document_id, 'processing_failed', 'processing failed repeatedly; it can be retried');
        else await deps.pool.query(`update public.documents set status = 'queued' where id = $1::uuid and status = 'processing'`, [job.payload.document_id]);
        throw error;
      }
    },
  });
}
