import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { processDocumentConsumer, type DocumentPipeline } from '../../src/consumers/documents/process-document.js';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { Worker } from '../../src/events/worker.js';
import { createLogger } from '../../src/log.js';
import { LocalExtractor } from '../../src/providers/extraction/local-extractor.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { terminateTesseract } from '../../src/providers/ocr/tesseract.js';
import { LocalStorage } from '../../src/providers/storage/local-storage.js';
import { sha256Hex } from '../../src/providers/storage/verified-read.js';
import { sampleLabReport, toPdf, toPng } from '../fixtures/documents.js';
import { encryptedPdf } from '../helpers/bad-files.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { testSettings } from '../helpers/jobs.js';
import { databaseSuite, until } from '../helpers/suite.js';
import { JOB_TYPES } from '../../src/events/job-types.js';

const test = databaseSuite<{ worker: Worker; deps: DocumentPipeline; profile: string; owner: string }>('process_document');

test.before(async (ctx) => {
  ctx.owner = await createUser(ctx.db.pool);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner);
  ctx.deps = {
    pool: ctx.db.pool,
    storage: new LocalStorage(await mkdtemp(path.join(tmpdir(), 'guardian-storage-'))),
    ocr: new LocalOcr({ maxPages: 3 }),
    extractor: new LocalExtractor(),
    settings: { maxBytes: 2 * 1024 * 1024, maxPages: 3 },
  };
  ctx.worker = new Worker({
    pool: ctx.db.pool,
    databaseUrl: ctx.db.url,
    consumers: [processDocumentConsumer(ctx.deps)],
    settings: testSettings({ completedRetentionHours: 24 }),
    log: createLogger('silent'),
  });
  await ctx.worker.start();
});

test.after(async ({ worker }) => {
  await worker.stop(1000);
  await terminateTesseract(); // its worker thread would keep the test process alive
});

/** What the upload endpoint will do: store the file, create the row, enqueue the job. */
/** Each test uploads to a profile of its own: the same fixture bytes on one profile would be duplicates. */
async function freshProfile(ctx: { deps: DocumentPipeline; owner: string; profile: string }) {
  ctx.profile = await createProfile(ctx.deps.pool, ctx.owner);
}

async function upload(ctx: { deps: DocumentPipeline; profile: string; owner: string }, bytes: Uint8Array, fileName: string, mediaType: string, options: { sha256?: string } = {}) {
  const id = randomUUID();
  const storagePath = `${ctx.profile}/${id}/${fileName}`;
  if (bytes.length > 0) await ctx.deps.storage.put({ profileId: ctx.profile, path: storagePath }, bytes, mediaType);
  await ctx.deps.pool.query(
    `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status, uploaded_by)
     values ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::bigint, $7::text, 'queued', $8::uuid)`,
    [id, ctx.profile, storagePath, fileName, mediaType, bytes.length, options.sha256 ?? sha256Hex(bytes), ctx.owner],
  );
  const job = await enqueue(ctx.deps.pool, JOB_TYPES.processDocument, { document_id: id });
  return { id, jobId: job.id };
}

async function settled(ctx: { deps: DocumentPipeline }, id: string, timeoutMs = 20_000) {
  return until(async () => {
    const { rows } = await ctx.deps.pool.query(
      `select status, error_code, error, pages_done, pages_total, duplicate_of from public.documents where id = $1::uuid`,
      [id],
    );
    return rows[0]?.status === 'processed' || rows[0]?.status === 'failed' ? rows[0] : undefined;
  }, timeoutMs);
}

const count = async (ctx: { deps: DocumentPipeline }, sql: string, params: unknown[]) => (await ctx.deps.pool.query(sql, params)).rows[0].n as number;

test('a text PDF becomes records with provenance; the document reports its pages', async (ctx) => {
  const doc = sampleLabReport();
  const { id } = await upload(ctx, await toPdf(doc), 'labs.pdf', 'application/pdf');
  const done = await settled(ctx, id);
  assert.equal({ status: done.status, error_code: done.error_code }, { status: 'processed', error_code: null });
  assert.is(done.pages_done, done.pages_total);
  const expected = doc.truth.filter((r) => r.kind === 'observation').length;
  const { rows } = await ctx.deps.pool.query(
    `select name, value_numeric, unit, source_page, source_span_start, source_span_end, source_text, confidence, extractor, extractor_version, recorded_by
     from public.observations where source_document_id = $1::uuid`,
    [id],
  );
  assert.ok(rows.length >= expected * 0.9, `expected about ${expected} observations, got ${rows.length}`);
  for (const row of rows) {
    assert.ok(row.source_page >= 1);
    assert.ok(row.source_span_end > row.source_span_start);
    assert.ok(row.source_text.includes(row.name.split(' ')[0]), `${row.source_text} should contain ${row.name}`);
    assert.ok(Number(row.confidence) > 0 && Number(row.confidence) <= 1);
    assert.is(row.extractor, 'local');
    assert.is(row.recorded_by, null); // written by the service, not a user
  }
  // Each page's text is kept for quick search, with the records.
  const pages = (await ctx.deps.pool.query(`select page, body from public.document_pages where document_id = $1::uuid order by page`, [id])).rows;
  assert.is(pages.length, done.pages_total);
  assert.ok(rows.every((row) => pages.some((p) => p.body.includes(row.source_text))));
});

test('processing the same document again replaces its records instead of duplicating them', async (ctx) => {
  await freshProfile(ctx);
  const { id } = await upload(ctx, await toPdf(sampleLabReport()), 'labs-again.pdf', 'application/pdf');
  await settled(ctx, id);
  const before = await count(ctx, 'select count(*)::int as n from public.observations where source_document_id = $1::uuid', [id]);
  assert.ok(before > 0);
  await ctx.deps.pool.query(`update public.documents set status = 'queued' where id = $1::uuid`, [id]);
  const again = await enqueue(ctx.deps.pool, JOB_TYPES.processDocument, { document_id: id });
  await until(async () => (await ctx.deps.pool.query(`select status from public.job_queue where id = $1::uuid`, [again.id])).rows[0]?.status === 'completed');
  assert.is(await count(ctx, 'select count(*)::int as n from public.observations where source_document_id = $1::uuid', [id]), before);
  const pages = await count(ctx, 'select count(*)::int as n from public.document_pages where document_id = $1::uuid', [id]);
  assert.is(pages, (await ctx.deps.pool.query(`select pages_total from public.documents where id = $1::uuid`, [id])).rows[0].pages_total);
});

test('a byte-identical upload on the same profile is marked duplicate and not extracted twice', async (ctx) => {
  await freshProfile(ctx);
  const bytes = await toPdf(sampleLabReport());
  const first = await upload(ctx, bytes, 'a.pdf', 'application/pdf');
  await settled(ctx, first.id);
  const second = await upload(ctx, bytes, 'b.pdf', 'application/pdf');
  const done = await settled(ctx, second.id);
  assert.is(done.status, 'processed');
  assert.is(done.duplicate_of, first.id);
  assert.is(await count(ctx, 'select count(*)::int as n from public.observations where source_document_id = $1::uuid', [second.id]), 0);
});

test('a photo-like PNG of the report is read by OCR into records', async (ctx) => {
  await freshProfile(ctx);
  const { id } = await upload(ctx, await toPng(sampleLabReport()), 'labs.png', 'image/png');
  const done = await settled(ctx, id, 60_000);
  assert.is(done.status, 'processed');
  const n = await count(ctx, `select count(*)::int as n from public.observations where source_document_id = $1::uuid and extractor = 'local'`, [id]);
  assert.ok(n >= 3, `expected observations from the image, got ${n}`);
});

test('bad input fails the document with a stable reason, without retries, while good documents flow', async (ctx) => {
  await freshProfile(ctx);
  const twoPages = await PDFDocument.create();
  for (let i = 0; i < 5; i++) twoPages.addPage().drawText(`Page ${i + 1} of a long letter with enough words`);
  const blank = await toPng({ ...sampleLabReport(), lines: [[' ']] });
  const cases: [string, Uint8Array, string, string, { sha256?: string }?][] = [
    ['empty_file', new Uint8Array(), 'empty.pdf', 'application/pdf'],
    ['unsupported_media_type', new TextEncoder().encode('just some text'), 'notes.txt', 'text/plain'],
    ['file_too_large', new Uint8Array(3 * 1024 * 1024).fill(32), 'huge.pdf', 'application/pdf'],
    ['pdf_corrupt', new TextEncoder().encode('%PDF-1.7 this is not really a pdf'), 'broken.pdf', 'application/pdf'],
    ['pdf_encrypted', encryptedPdf(), 'locked.pdf', 'application/pdf'],
    ['too_many_pages', await twoPages.save(), 'long.pdf', 'application/pdf'],
    ['no_text_found', blank, 'blank.png', 'image/png'],
    ['storage_checksum_mismatch', await toPdf(sampleLabReport()), 'tampered.pdf', 'application/pdf', { sha256: 'f'.repeat(64) }],
  ];
  const uploads = [];
  for (const [code, bytes, name, type, options] of cases) uploads.push({ code, ...(await upload(ctx, bytes, name, type, options)) });
  const good = await upload(ctx, await toPdf(sampleLabReport()), 'good.pdf', 'application/pdf');
  for (const u of uploads) {
    const done = await settled(ctx, u.id, 60_000);
    assert.equal({ status: done.status, error_code: done.error_code }, { status: 'failed', error_code: u.code }, u.code);
    assert.ok(typeof done.error === 'string' && done.error.length > 0);
    // The document fails inside the handler; the job's own failure is acknowledged just after.
    const job = await until(async () => {
      const row = (await ctx.deps.pool.query('select status, retry_count from public.job_queue where id = $1::uuid', [u.jobId])).rows[0];
      return row?.status === 'processing' ? undefined : row;
    });
    assert.equal(job, { status: 'failed', retry_count: 1 }, `${u.code} is not retried`);
  }
  assert.is((await settled(ctx, good.id)).status, 'processed');
});

test.run();
