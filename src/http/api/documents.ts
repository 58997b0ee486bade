/**
 * Documents: upload (multipart, streamed to storage), list, status and progress,
 * download, re-analyse, delete, and `POST /api/process-document` (the seed's name).
 *
 * Who may do what is RLS's call: reads go through the documents select policy
 * (members, and providers holding a 'documents' grant), uploads and deletes through
 * its insert/delete policies (owners and managers). The api's own role is used only
 * for what users may never write themselves: a document's status and the job queue.
 *
 * An upload is three steps that cannot share one transaction (the caller's role may
 * not touch job_queue or documents.status): the file is stored, the row is inserted as
 * the caller (status 'uploaded'), then one service transaction marks it 'queued' and
 * enqueues `process_document`. A failure between the steps is undone: the stored file
 * when the insert fails, the row and the file when the enqueue fails. The job is only
 * visible to workers once it commits, so 'queued' can never overwrite 'processing'.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DOCUMENT_STATUSES, dropWaitingJob, queueUpload, requeueDocument } from '../../consumers/documents/lifecycle.js';
import type { Enqueued } from '../../events/queue/enqueue.js';
import { PG } from '../../db/postgres-errors.js';
import { SUPPORTED_MEDIA_TYPES, SUPPORTED_TYPES_TEXT } from '../../providers/media-types.js';
import type { PoolClient } from '../../db/pool.js';
import { documentObjectPath } from '../../providers/storage/object-path.js';
import { StorageError } from '../../providers/storage/storage-error.js';
import type { FileStorage } from '../../providers/storage/types.js';
import { readVerified } from '../../providers/storage/verified-read.js';
import type { AuditEntry } from '../audit.js';
import { receiveUpload } from '../documents/receive-upload.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type AnyRoute, type RouteContext } from '../route.js';
import { isoInstant, profileParams, requireEditableProfile, requireVisibleProfile } from './common.js';

export interface DocumentRouteDeps {
  storage: FileStorage;
  maxUploadBytes: number;
}

/** Documents per page: 50 fills a phone screen twice; 200 bounds a page (~200 index rows, ~80 kB of JSON). */
export const DOCUMENTS_DEFAULT_LIMIT = 50;
export const DOCUMENTS_MAX_LIMIT = 200;

const documentStatus = z.enum(DOCUMENT_STATUSES);

export const documentSchema = z.object({
  id: z.uuid(),
  profile_id: z.uuid(),
  file_name: z.string().describe('the name it was uploaded with (display only)'),
  media_type: z.string().describe('decided from the file\'s first bytes at upload, never from the client'),
  size_bytes: z.number().int(),
  sha256: z.string().describe('hex sha256 of the stored bytes'),
  status: documentStatus,
  pages_total: z.number().int().nullable(),
  pages_done: z.number().int().nullable(),
  error_code: z.string().nullable().describe('a stable reason code when failed, e.g. pdf_encrypted, no_text_found'),
  error: z.string().nullable(),
  duplicate_of: z.uuid().nullable().describe('an earlier byte-identical document of the profile (not extracted again)'),
  created_at: z.string().describe('ISO 8601 with microseconds; pass it as `before` to page'),
  processed_at: z.string().nullable(),
});
export type DocumentJson = z.infer<typeof documentSchema>;

const documentParams = z.object({ documentId: z.uuid().describe('the document') });

const enqueuedSchema = z.object({
  document: documentSchema,
  job: z.object({
    id: z.uuid(),
    deduplicated: z.boolean().describe('true when an identical job was already waiting (nothing new was queued)'),
  }),
});

interface DocumentRow extends Omit<DocumentJson, 'size_bytes'> {
  /** bigint arrives as a string from pg. */
  size_bytes: string;
}

/**
 * Timestamps as text with microseconds, in UTC: a JS Date keeps milliseconds only, and a
 * `before` cursor rounded to milliseconds would skip documents created in the same
 * millisecond as a page's last one.
 */
const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const DOCUMENT_COLUMNS = `
  d.id, d.profile_id, d.file_name, d.media_type, d.size_bytes::text as size_bytes, d.sha256, d.status,
  d.pages_total, d.pages_done, d.error_code, d.error, d.duplicate_of,
  to_char(d.created_at at time zone 'UTC', ${ISO_US}) as created_at,
  to_char(d.processed_at at time zone 'UTC', ${ISO_US}) as processed_at`;

function toDocument(row: DocumentRow): DocumentJson {
  return { ...row, size_bytes: Number(row.size_bytes) };
}

/** The same answer for a missing document and one the caller may not read: no leak of existence. */
export function documentNotFound(): HttpProblem {
  return new HttpProblem(404, 'document_not_found', 'no such document (or it is not shared with you)');
}

/** The document as the service reads it, after a lifecycle change it just made. */
async function serviceDocument(client: PoolClient, documentId: string): Promise<DocumentRow> {
  const { rows } = await client.query<DocumentRow>(`select ${DOCUMENT_COLUMNS} from public.documents d where d.id = $1::uuid`, [documentId]);
  return rows[0]!;
}

/** The document as the caller sees it (RLS), or 404. */
async function visibleDocument(client: PoolClient, documentId: string): Promise<DocumentRow & { storage_path: string }> {
  const { rows } = await client.query<DocumentRow & { storage_path: string }>(
    `select ${DOCUMENT_COLUMNS}, d.storage_path from public.documents d where d.id = $1::uuid`,
    [documentId],
  );
  if (!rows[0]) throw documentNotFound();
  return rows[0];
}

/**
 * `Content-Disposition: attachment` for a name that may hold anything a user typed
 * (quotes, semicolons, accents, emoji; file_name is updatable through supabase-js):
 * an ASCII fallback for old clients with every risky character replaced, and the
 * exact name as RFC 8187 `filename*` (percent-encoded UTF-8, so no header injection).
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%;]/g, '_').trim() || 'document';
  // encodeURIComponent leaves ' ( ) * ! unescaped; RFC 8187's attr-char excludes ' ( ) *.
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * Checks (as the caller) that the document is visible and its profile editable, then,
 * as the service, marks it queued and enqueues `process_document`: the re-analyse
 * route and `POST /api/process-document` share it.
 */
async function requeue(ctx: Pick<RouteContext<unknown, unknown, unknown>, 'db' | 'asService'>, documentId: string, entry: AuditEntry): Promise<{ document: DocumentJson; job: Enqueued }> {
  await ctx.db(async (c) => {
    const doc = await visibleDocument(c, documentId);
    entry.profileId = doc.profile_id;
    await requireEditableProfile(c, doc.profile_id);
  });
  // Service role: users may not write documents.status nor job_queue; the caller was
  // just authorised above as an owner or manager of the document's profile.
  return ctx.asService(async (c) => {
    const job = await requeueDocument(c, documentId);
    // Deleted since the check above.
    if (job === 'missing') throw documentNotFound();
    if (job === 'processing') throw new HttpProblem(409, 'document_processing', 'the document is being processed right now; try again when it has finished');
    return { document: toDocument(await serviceDocument(c, documentId)), job };
  });
}

export function documentRoutes(deps: DocumentRouteDeps): AnyRoute[] {
  const { storage, maxUploadBytes } = deps;
  return [
    defineRoute({
      method: 'post', path: '/api/profiles/:profileId/documents', operationId: 'uploadDocument', tags: ['documents'], auth: 'user',
      summary: 'Upload a document (PDF or photo); it is stored, checked and queued for reading (owner or manager)',
      params: profileParams,
      multipart: { fileField: 'file', description: `the document: ${SUPPORTED_TYPES_TEXT} (decided from its bytes)` },
      rateLimit: 'upload',
      responses: {
        202: { description: 'stored and queued; watch its status (GET /api/documents/{documentId}, or Realtime)', schema: documentSchema },
        413: { description: 'larger than the upload limit' },
        415: { description: 'not multipart/form-data, or not a supported document type' },
      },
      async handle(ctx) {
        const profileId = ctx.params.profileId;
        const documentId = randomUUID();
        const entry: AuditEntry = { action: 'document.upload', profileId, resourceType: 'document', resourceId: documentId };
        ctx.audit(entry);
        // Before reading a byte of the body: a stranger or a viewer is turned away without
        // storing anything (and without the cost of receiving the file).
        await ctx.db((c) => requireEditableProfile(c, profileId));

        const upload = await receiveUpload(ctx.koa.req, {
          maxBytes: maxUploadBytes,
          storage,
          allowedTypes: SUPPORTED_MEDIA_TYPES,
          objectFor: (fileName) => documentObjectPath(profileId, documentId, fileName),
        });
        entry.details = { size_bytes: upload.sizeBytes, media_type: upload.mediaType };

        try {
          // As the caller: the insert policy checks (again, at commit time) that they may edit the profile.
          await ctx.db((c) => c.query(
            `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256)
             values ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::bigint, $7::text)`,
            [documentId, profileId, upload.object.path, upload.originalFileName, upload.mediaType, upload.sizeBytes, upload.sha256],
          ));
        } catch (error) {
          await storage.remove(upload.object).catch(() => undefined);
          // Membership revoked between the check and the insert: the same 403 as the check.
          if ((error as { code?: string }).code === PG.insufficientPrivilege) {
            throw new HttpProblem(403, 'profile_read_only', 'only the owner or a manager may change this profile');
          }
          throw error;
        }

        let document: DocumentJson;
        try {
          // Service role: status and job_queue are not the user's to write; the row was
          // just inserted by the caller under RLS, which is the authorisation.
          document = await ctx.asService(async (c) => {
            await queueUpload(c, documentId);
            return toDocument(await serviceDocument(c, documentId));
          });
        } catch (error) {
          // Undo the upload rather than leave a document that says 'uploaded' with no job to
          // read it; the client sees a 5xx (503 when the database went away) and uploads again.
          // Service role: the row is the caller's own, just authorised; the caller's role
          // could delete it too, but this must work even if their session just expired.
          const undone = await ctx.asService((c) => c.query(`delete from public.documents where id = $1::uuid`, [documentId])).then(() => true, () => false);
          // A row that could not be deleted keeps its file: it is a complete upload, and the
          // stranded-upload sweep queues it within minutes (a byte-identical retry is then
          // marked duplicate_of), rather than a row whose file is gone.
          if (undone) await storage.remove(upload.object).catch(() => undefined);
          throw error;
        }
        ctx.koa.status = 202;
        ctx.koa.set('Location', `/api/documents/${documentId}`);
        ctx.koa.body = document;
      },
    }),

    defineRoute({
      method: 'get', path: '/api/profiles/:profileId/documents', operationId: 'listDocuments', tags: ['documents'], auth: 'user',
      summary: 'A profile\'s documents, newest first, with their processing status (keyset paging)',
      params: profileParams,
      query: z.object({
        before: isoInstant.optional().describe('only documents created before this instant: the previous page\'s next_before'),
        limit: z.coerce.number().int().min(1).max(DOCUMENTS_MAX_LIMIT).default(DOCUMENTS_DEFAULT_LIMIT),
      }),
      responses: {
        200: {
          description: 'a page of documents',
          schema: z.object({
            documents: z.array(documentSchema),
            next_before: z.string().nullable().describe('pass as `before` for the next page; null on the last page'),
          }),
        },
      },
      async handle(ctx) {
        const profileId = ctx.params.profileId;
        ctx.audit({ action: 'documents.list', profileId, resourceType: 'profile', resourceId: profileId });
        const rows = await ctx.db(async (c) => {
          await requireVisibleProfile(c, profileId);
          // RLS filters further: a provider without a 'documents' grant sees an empty list.
          // One more row than the page tells whether another page exists.
          return (await c.query<DocumentRow>(
            `select ${DOCUMENT_COLUMNS} from public.documents d
             where d.profile_id = $1::uuid and ($2::timestamptz is null or d.created_at < $2::timestamptz)
             order by d.created_at desc, d.id desc
             limit $3::int + 1`,
            [profileId, ctx.query.before ?? null, ctx.query.limit],
          )).rows;
        });
        const page = rows.slice(0, ctx.query.limit).map(toDocument);
        ctx.koa.body = { documents: page, next_before: rows.length > ctx.query.limit ? page[page.length - 1]!.created_at : null };
      },
    }),

    defineRoute({
      method: 'get', path: '/api/documents/:documentId', operationId: 'getDocument', tags: ['documents'], auth: 'user',
      summary: 'One document with its processing status and progress (pages done of pages total)',
      params: documentParams,
      responses: { 200: { description: 'the document', schema: documentSchema } },
      async handle(ctx) {
        // The profile is unknown until the row is read; filled in below (the entry is written after the handler).
        const entry: AuditEntry = { action: 'document.read', resourceType: 'document', resourceId: ctx.params.documentId };
        ctx.audit(entry);
        const row = await ctx.db((c) => visibleDocument(c, ctx.params.documentId));
        entry.profileId = row.profile_id;
        const { storage_path: _hidden, ...document } = row;
        ctx.koa.body = toDocument(document);
      },
    }),

    defineRoute({
      method: 'get', path: '/api/documents/:documentId/download', operationId: 'downloadDocument', tags: ['documents'], auth: 'user',
      summary: 'The document\'s file, as uploaded',
      params: documentParams,
      responses: {
        200: {
          description: 'the file, as the document\'s media type (PDF, PNG, JPEG, TIFF or WebP), with Content-Disposition: attachment',
          contentType: 'application/octet-stream',
          schema: z.string().meta({ format: 'binary' }),
        },
      },
      async handle(ctx) {
        const entry: AuditEntry = { action: 'document.download', resourceType: 'document', resourceId: ctx.params.documentId };
        ctx.audit(entry);
        const row = await ctx.db((c) => visibleDocument(c, ctx.params.documentId));
        entry.profileId = row.profile_id;
        let bytes: Uint8Array;
        try {
          // Checked against the sha256 recorded at upload: a tampered or truncated file is
          // never handed out as someone's medical record.
          bytes = await readVerified(storage, { profileId: row.profile_id, path: row.storage_path }, row.sha256);
        } catch (error) {
          // storage_bad_path: a row from before migration 2100 naming a file outside its
          // profile's folder; the storage layer refuses it, and so is it answered.
          if (error instanceof StorageError && (error.code === 'storage_not_found' || error.code === 'storage_bad_path')) {
            throw new HttpProblem(404, 'document_file_missing', 'the document\'s file is no longer stored');
          }
          if (error instanceof StorageError && error.code === 'storage_checksum_mismatch') {
            throw new HttpProblem(500, 'document_file_corrupt', 'the stored file does not match its checksum');
          }
          throw error;
        }
        ctx.koa.status = 200;
        ctx.koa.set('Content-Disposition', contentDisposition(row.file_name));
        // Before the body: Koa only defaults a Buffer body to octet-stream when no type is set.
        ctx.koa.type = row.media_type;
        ctx.koa.body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
    }),

    defineRoute({
      method: 'post', path: '/api/documents/:documentId/reanalyse', operationId: 'reanalyseDocument', tags: ['documents'], auth: 'user',
      summary: 'Read the document again (after a failure, or with a newer extractor); owner or manager',
      params: documentParams,
      responses: {
        202: { description: 'queued', schema: enqueuedSchema },
        409: { description: 'the document is being processed right now (code document_processing)' },
      },
      async handle(ctx) {
        const entry: AuditEntry = { action: 'document.reanalyse', resourceType: 'document', resourceId: ctx.params.documentId };
        ctx.audit(entry);
        const result = await requeue(ctx, ctx.params.documentId, entry);
        entry.details = { deduplicated: result.job.deduplicated };
        ctx.koa.status = 202;
        ctx.koa.body = result;
      },
    }),

    defineRoute({
      method: 'post', path: '/api/process-document', operationId: 'processDocument', tags: ['documents'], auth: 'user',
      summary: 'Queue a stored document for processing by its id (the seed\'s endpoint; the same as re-analyse)',
      body: z.object({ document_id: z.uuid() }),
      responses: {
        202: { description: 'queued', schema: enqueuedSchema },
        409: { description: 'the document is being processed right now (code document_processing)' },
      },
      async handle(ctx) {
        const entry: AuditEntry = { action: 'document.process', resourceType: 'document', resourceId: ctx.body.document_id };
        ctx.audit(entry);
        const result = await requeue(ctx, ctx.body.document_id, entry);
        entry.details = { deduplicated: result.job.deduplicated };
        ctx.koa.status = 202;
        ctx.koa.body = result;
      },
    }),

    defineRoute({
      method: 'delete', path: '/api/documents/:documentId', operationId: 'deleteDocument', tags: ['documents'], auth: 'user',
      summary: 'Delete a document, the records read from it and its file (owner or manager)',
      params: documentParams,
      responses: { 204: { description: 'deleted' } },
      async handle(ctx) {
        const documentId = ctx.params.documentId;
        const entry: AuditEntry = { action: 'document.delete', resourceType: 'document', resourceId: documentId };
        ctx.audit(entry);
        const object = await ctx.db(async (c) => {
          const doc = await visibleDocument(c, documentId);
          entry.profileId = doc.profile_id;
          await requireEditableProfile(c, doc.profile_id);
          // Records read from it go by ON DELETE CASCADE; the statement triggers queue the
          // journey and rules recomputation for the profile in this same transaction.
          const { rowCount } = await c.query(`delete from public.documents where id = $1::uuid`, [documentId]);
          if (rowCount === 0) throw documentNotFound(); // deleted meanwhile by someone else
          return { profileId: doc.profile_id, path: doc.storage_path };
        });
        // Service role: job_queue is not the user's; the deletion was just authorised under
        // RLS. A waiting job would only fail with document_not_found and sit in the
        // operator's failure list; a running one finds the row gone and fails the same way.
        await ctx.asService((c) => dropWaitingJob(c, documentId)).catch(() => undefined);
        // After the commit: a file without a row is invisible to everyone (every read goes
        // through the row), a row without its file would not be. A failed removal is kept
        // in the audit entry, so a sweep (or an operator) can find the orphan.
        let fileRemoved = true;
        await storage.remove(object).catch(() => {
          fileRemoved = false;
        });
        entry.details = { file_removed: fileRemoved };
        ctx.koa.status = 204;
      },
    }),
  ];
}
