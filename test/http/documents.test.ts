import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { processDocumentConsumer } from '../../src/consumers/documents/process-document.js';
import { Worker } from '../../src/events/worker.js';
import { contentDisposition } from '../../src/http/api/documents.js';
import { createLogger } from '../../src/log.js';
import { LocalExtractor } from '../../src/providers/extraction/local-extractor.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { terminateTesseract } from '../../src/providers/ocr/tesseract.js';
import { sha256Hex } from '../../src/providers/storage/verified-read.js';
import { samplePrescription, toPdf } from '../fixtures/documents.js';
import { createTestApi } from '../helpers/api.js';
import { insertRecord, lab } from '../helpers/clinical.js';
import { auth, documentRow, documentsSuite, storedFiles, upload } from '../helpers/documents-api.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { testSettings } from '../helpers/jobs.js';
import { until } from '../helpers/suite.js';
import { JOB_TYPES } from '../../src/events/job-types.js';

const test = documentsSuite<{ worker?: Worker }>('api: documents');

test.after(async (ctx) => {
  await ctx.worker?.stop(1000);
  await terminateTesseract(); // its worker thread would keep the test process alive
});

async function jobsOf(ctx: { db: { pool: import('pg').Pool } }, documentId: string) {
  return (await ctx.db.pool.query<{ id: string; status: string; dedupe_key: string | null }>(
    `select id, status, dedupe_key from public.job_queue where type = $1::text and payload ->> 'document_id' = $2::text order by created_at`,
    [JOB_TYPES.processDocument, documentId],
  )).rows;
}

test('an uploaded PDF is stored with its sha256, queued with a job, and read to the end by the real pipeline', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const res = await upload(ctx.api, ctx.token, profile, ctx.pdf, 'labs.pdf');
  assert.is(res.status, 202);
  const doc = res.body;
  assert.equal(
    [doc.profile_id, doc.file_name, doc.media_type, doc.size_bytes, doc.sha256, doc.status, doc.error_code, doc.duplicate_of, doc.processed_at],
    [profile, 'labs.pdf', 'application/pdf', ctx.pdf.length, sha256Hex(ctx.pdf), 'queued', null, null, null],
  );
  assert.is(res.headers.location, `/api/documents/${doc.id}`);
  assert.match(doc.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  const stored = await documentRow(ctx, doc.id);
  assert.equal([stored.status, stored.storage_path, stored.uploaded_by], ['queued', `${profile}/${doc.id}/labs.pdf`, ctx.owner]);
  assert.is(sha256Hex(await ctx.api.storage.get({ profileId: profile, path: stored.storage_path })), doc.sha256);
  const jobs = await jobsOf(ctx, doc.id);
  assert.equal(jobs.map((j) => [j.status, j.dedupe_key]), [['pending', doc.id]]);

  ctx.worker = new Worker({
    pool: ctx.db.pool,
    databaseUrl: ctx.db.url,
    consumers: [processDocumentConsumer({
      pool: ctx.db.pool,
      storage: ctx.api.storage,
      ocr: new LocalOcr({ maxPages: 3 }),
      extractor: new LocalExtractor(),
      settings: { maxBytes: 2 * 1024 * 1024, maxPages: 3 },
    })],
    settings: testSettings({ completedRetentionHours: 24 }),
    log: createLogger('silent'),
  });
  await ctx.worker.start();
  try {
    const done = await until(async () => {
      const polled = await ctx.api.request.get(`/api/documents/${doc.id}`).set(auth(ctx.token));
      return polled.body.status === 'processed' || polled.body.status === 'failed' ? polled.body : undefined;
    }, 30_000, 100);
    assert.equal([done.status, done.error_code, done.pages_done, done.pages_total], ['processed', null, 1, 1]);
    assert.ok(done.processed_at);
    const { rows } = await ctx.db.pool.query(`select count(*)::int as n from public.observations where source_document_id = $1::uuid`, [doc.id]);
    assert.ok(rows[0].n >= 3, `expected observations read from the report, got ${rows[0].n}`);
    // The job row is completed by the worker just after the handler marks the document.
    const jobStatus = await until(async () => {
      const { rows: jobRows } = await ctx.db.pool.query(`select status from public.job_queue where id = $1::uuid`, [jobs[0]!.id]);
      return jobRows[0]?.status === 'processing' ? undefined : (jobRows[0]?.status as string);
    });
    assert.is(jobStatus, 'completed');
  } finally {
    await ctx.worker.stop(1000);
    ctx.worker = undefined;
  }
});

test('listing is newest first with keyset paging; get and download answer the stored bytes and a safe file name', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  // No '"' in it: multipart clients send it as %22 (the HTML form encoding), kept as is.
  const names = ['one.pdf', 'two.pdf', 'Blutbild März; 2026 (1).pdf'];
  const ids: string[] = [];
  for (const [i, name] of names.entries()) {
    // Different bytes each: identical ones would be processed as duplicates (irrelevant here, but realistic).
    const bytes = i === 2 ? await toPdf(samplePrescription()) : new Uint8Array([...ctx.pdf, 0x0a, i]);
    const res = await upload(ctx.api, ctx.token, profile, bytes, name);
    assert.is(res.status, 202);
    ids.push(res.body.id);
  }
  const first = await ctx.api.request.get(`/api/profiles/${profile}/documents?limit=2`).set(auth(ctx.token));
  assert.is(first.status, 200);
  assert.equal(first.body.documents.map((d: { id: string }) => d.id), [ids[2], ids[1]]);
  assert.is(first.body.next_before, first.body.documents[1].created_at);
  const second = await ctx.api.request.get(`/api/profiles/${profile}/documents`).query({ limit: 2, before: first.body.next_before }).set(auth(ctx.token));
  assert.equal([second.body.documents.map((d: { id: string }) => d.id), second.body.next_before], [[ids[0]], null]);

  const got = await ctx.api.request.get(`/api/documents/${ids[2]}`).set(auth(ctx.token));
  assert.equal([got.status, got.body.file_name, got.body.status, got.body.pages_total], [200, 'Blutbild März; 2026 (1).pdf', 'queued', null]);
  assert.not.ok('storage_path' in got.body);

  const download = await ctx.api.request.get(`/api/documents/${ids[2]}/download`).set(auth(ctx.token)).buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
  assert.is(download.status, 200);
  assert.is(download.headers['content-type'], 'application/pdf');
  assert.is(sha256Hex(download.body as Buffer), got.body.sha256);
  assert.is(download.headers['content-disposition'], `attachment; filename="Blutbild M_rz_ 2026 (1).pdf"; filename*=UTF-8''Blutbild%20M%C3%A4rz%3B%202026%20%281%29.pdf`);
});

test('Content-Disposition cannot be broken by a name with line breaks, quotes or RFC 8187 specials', () => {
  const header = contentDisposition('a\r\nSet-Cookie: x=1\'(*).pdf');
  assert.not.match(header, /[\r\n]/);
  assert.is(header, `attachment; filename="a__Set-Cookie: x=1'(*).pdf"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1%27%28%2A%29.pdf`);
});

test('an upload over the size limit answers 413 and stores nothing', async (ctx) => {
  const small = await createTestApi(ctx.db, { maxUploadBytes: 1024 });
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  assert.ok(ctx.pdf.length > 1024);
  const res = await upload(small, await small.tokenFor(ctx.owner), profile, ctx.pdf);
  assert.equal([res.status, res.body.code, res.body.max_bytes], [413, 'payload_too_large', 1024]);
  assert.equal(await storedFiles(small, profile), []);
  assert.is((await ctx.db.pool.query(`select count(*)::int as n from public.documents where profile_id = $1::uuid`, [profile])).rows[0].n, 0);
});

test('a text file answers 415 whatever it claims to be, and stores nothing', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const res = await upload(ctx.api, ctx.token, profile, new TextEncoder().encode('just some notes, not a scan'), 'notes.pdf', 'application/pdf');
  assert.equal([res.status, res.body.code], [415, 'unsupported_media_type']);
  const json = await ctx.api.request.post(`/api/profiles/${profile}/documents`).set(auth(ctx.token)).send({ file: 'x' });
  assert.equal([json.status, json.body.code], [415, 'multipart_required']);
  assert.equal(await storedFiles(ctx.api, profile), []);
});

test('malformed ids and bodies answer 400 validation_failed', async (ctx) => {
  const bad = await Promise.all([
    ctx.api.request.get('/api/documents/not-a-uuid').set(auth(ctx.token)),
    ctx.api.request.get('/api/profiles/123/documents').set(auth(ctx.token)),
    ctx.api.request.get(`/api/profiles/${randomUUID()}/documents?limit=0`).set(auth(ctx.token)),
    ctx.api.request.get(`/api/profiles/${randomUUID()}/documents?before=yesterday`).set(auth(ctx.token)),
    ctx.api.request.post('/api/process-document').set(auth(ctx.token)).send({ document_id: 'x' }),
    ctx.api.request.post('/api/process-document').set(auth(ctx.token)).send({}),
    ctx.api.request.post('/api/profiles/nope/documents').set(auth(ctx.token)).attach('file', Buffer.from(ctx.pdf), 'a.pdf'),
  ]);
  assert.equal(bad.map((r) => [r.status, r.body.code]), Array(7).fill([400, 'validation_failed']));
  assert.equal(bad[4]!.body.errors, [{ in: 'body', path: 'document_id', message: bad[4]!.body.errors[0].message }]);
});

test('a third upload within the minute answers 429 with Retry-After', async (ctx) => {
  const limited = await createTestApi(ctx.db, { http: { uploadRateLimitPerUser: 2 } });
  // A user of its own: the limit is kept in Postgres, shared with the other tests' uploads.
  const user = await createUser(ctx.db.pool);
  const token = await limited.tokenFor(user);
  const profile = await createProfile(ctx.db.pool, user);
  const statuses: number[] = [];
  for (let i = 0; i < 2; i++) statuses.push((await upload(limited, token, profile, new Uint8Array([...ctx.pdf, 0x0a, i]), `n${i}.pdf`)).status);
  const third = await upload(limited, token, profile, ctx.pdf, 'third.pdf');
  assert.equal([...statuses, third.status, third.body.code], [202, 202, 429, 'rate_limited']);
  assert.ok(Number(third.headers['retry-after']) >= 1 && Number(third.headers['retry-after']) <= 60, `Retry-After ${third.headers['retry-after']}`);
  assert.not.ok((await storedFiles(limited, profile)).includes('third.pdf'));
  // Other requests of the same user are not upload-limited.
  assert.is((await limited.request.get(`/api/profiles/${profile}/documents`).set(auth(token))).status, 200);
});

test('an upload whose row or job cannot be written leaves neither a file nor a row behind', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  // Failures injected in the database, by file name, at the two steps after the file is stored.
  await ctx.db.pool.query(`
    create function public.test_refuse_upload() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'documents' and new.file_name = 'refused-row.pdf' then raise exception 'injected row failure'; end if;
      if tg_table_name = 'job_queue' and exists (select 1 from public.documents d
           where d.id::text = new.payload ->> 'document_id' and d.file_name = 'refused-job.pdf') then
        raise exception 'injected enqueue failure';
      end if;
      return new;
    end $$;
    create trigger test_refuse_upload before insert on public.documents for each row execute function public.test_refuse_upload();
    create trigger test_refuse_upload before insert on public.job_queue for each row execute function public.test_refuse_upload();`);
  try {
    for (const name of ['refused-row.pdf', 'refused-job.pdf']) {
      const res = await upload(ctx.api, ctx.token, profile, ctx.pdf, name);
      assert.equal([res.status, res.body.code, res.body.title], [500, 'internal_error', 'Internal server error']);
    }
    assert.equal(await storedFiles(ctx.api, profile), []);
    assert.is((await ctx.db.pool.query(`select count(*)::int as n from public.documents where profile_id = $1::uuid`, [profile])).rows[0].n, 0);
  } finally {
    await ctx.db.pool.query(`drop trigger test_refuse_upload on public.documents; drop trigger test_refuse_upload on public.job_queue;
                             drop function public.test_refuse_upload()`);
  }
});

test('deleting a document removes its row, its file, its derived records and its waiting job', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = (await upload(ctx.api, ctx.token, profile, ctx.pdf)).body;
  const kept = (await upload(ctx.api, ctx.token, profile, new Uint8Array([...ctx.pdf, 0x0a]), 'kept.pdf')).body;
  const derived = await insertRecord(ctx.db.pool, 'observations', profile, { ...lab('Haemoglobin', 131, 'g/L', '2026-01-10T08:00:00Z'), source_document_id: doc.id });
  const other = await insertRecord(ctx.db.pool, 'observations', profile, { ...lab('Haemoglobin', 129, 'g/L', '2026-02-10T08:00:00Z'), source_document_id: kept.id });
  const storagePath = (await documentRow(ctx, doc.id)).storage_path;

  const res = await ctx.api.request.delete(`/api/documents/${doc.id}`).set(auth(ctx.token));
  assert.is(res.status, 204);
  assert.not.ok(await documentRow(ctx, doc.id));
  const left = (await ctx.db.pool.query(`select id from public.observations where id = any ($1::uuid[])`, [[derived, other]])).rows.map((r) => r.id);
  assert.equal(left, [other]);
  assert.equal(await storedFiles(ctx.api, profile), ['kept.pdf']);
  await ctx.api.storage.get({ profileId: profile, path: storagePath }).then(() => assert.unreachable('file still stored'), () => undefined);
  assert.equal(await jobsOf(ctx, doc.id), []);
  assert.equal((await jobsOf(ctx, kept.id)).length, 1);
  // The journey follows through the triggers: a recompute is queued for the profile.
  const { rows } = await ctx.db.pool.query(`select count(*)::int as n from public.job_queue where type = 'recompute_journey' and dedupe_key = $1::text and status = 'pending'`, [profile]);
  assert.is(rows[0].n, 1);
  assert.is((await ctx.api.request.get(`/api/documents/${doc.id}`).set(auth(ctx.token))).status, 404);
  assert.is((await ctx.api.request.delete(`/api/documents/${doc.id}`).set(auth(ctx.token))).status, 404);
});

test('re-analyse queues a failed document again, folds into a waiting job, and answers 409 while it is processing', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = (await upload(ctx.api, ctx.token, profile, ctx.pdf)).body;
  const [uploadJob] = await jobsOf(ctx, doc.id);

  const waiting = await ctx.api.request.post(`/api/documents/${doc.id}/reanalyse`).set(auth(ctx.token));
  assert.equal([waiting.status, waiting.body.job.id, waiting.body.job.deduplicated, waiting.body.document.status], [202, uploadJob!.id, true, 'queued']);

  // The worker's outcome, written as the worker would.
  await ctx.db.pool.query(`update public.job_queue set status = 'failed', completed_at = now(), error = 'pdf_corrupt: x' where id = $1::uuid`, [uploadJob!.id]);
  await ctx.db.pool.query(`update public.documents set status = 'failed', error_code = 'pdf_corrupt', error = 'the PDF is damaged' where id = $1::uuid`, [doc.id]);
  const again = await ctx.api.request.post(`/api/documents/${doc.id}/reanalyse`).set(auth(ctx.token));
  assert.equal([again.status, again.body.job.deduplicated, again.body.document.status, again.body.document.error_code, again.body.document.error], [202, false, 'queued', null, null]);
  assert.equal((await jobsOf(ctx, doc.id)).map((j) => [j.id, j.status]), [[uploadJob!.id, 'failed'], [again.body.job.id, 'pending']]);

  await ctx.db.pool.query(`update public.documents set status = 'processing' where id = $1::uuid`, [doc.id]);
  const busy = await ctx.api.request.post(`/api/documents/${doc.id}/reanalyse`).set(auth(ctx.token));
  assert.equal([busy.status, busy.body.code], [409, 'document_processing']);
  assert.is((await documentRow(ctx, doc.id)).status, 'processing');
  assert.is((await jobsOf(ctx, doc.id)).length, 2);
});

test('POST /api/process-document queues a document by id, with the same checks as re-analyse', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = (await upload(ctx.api, ctx.token, profile, ctx.pdf)).body;
  await ctx.db.pool.query(`update public.job_queue set status = 'completed', completed_at = now() where type = $1::text and payload ->> 'document_id' = $2::text`, [JOB_TYPES.processDocument, doc.id]);
  await ctx.db.pool.query(`update public.documents set status = 'processed', processed_at = now() where id = $1::uuid`, [doc.id]);

  const res = await ctx.api.request.post('/api/process-document').set(auth(ctx.token)).send({ document_id: doc.id });
  assert.equal([res.status, res.body.document.id, res.body.document.status, res.body.job.deduplicated], [202, doc.id, 'queued', false]);
  const { rows } = await ctx.db.pool.query(`select type, payload, status from public.job_queue where id = $1::uuid`, [res.body.job.id]);
  assert.equal(rows[0], { type: JOB_TYPES.processDocument, payload: { document_id: doc.id }, status: 'pending' });

  await ctx.db.pool.query(`update public.documents set status = 'processing' where id = $1::uuid`, [doc.id]);
  const busy = await ctx.api.request.post('/api/process-document').set(auth(ctx.token)).send({ document_id: doc.id });
  assert.equal([busy.status, busy.body.code], [409, 'document_processing']);
  const missing = await ctx.api.request.post('/api/process-document').set(auth(ctx.token)).send({ document_id: randomUUID() });
  assert.equal([missing.status, missing.body.code], [404, 'document_not_found']);
});

test('uploads, reads and denied reads are written to the audit trail under their request id', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const audit = async (requestId: string) => (await ctx.db.pool.query(
    `select action, outcome, actor_kind, profile_id, resource_id from public.audit_log where request_id = $1::text`,
    [requestId],
  )).rows;

  const uploaded = await upload(ctx.api, ctx.token, profile, ctx.pdf);
  assert.equal(await audit(uploaded.headers['x-request-id']!), [
    { action: 'document.upload', outcome: 'success', actor_kind: 'user', profile_id: profile, resource_id: uploaded.body.id },
  ]);
  const { rows: details } = await ctx.db.pool.query(`select details from public.audit_log where request_id = $1::text`, [uploaded.headers['x-request-id']]);
  assert.equal(details[0].details, { size_bytes: ctx.pdf.length, media_type: 'application/pdf' });

  const read = await ctx.api.request.get(`/api/documents/${uploaded.body.id}`).set(auth(ctx.token));
  assert.equal(await audit(read.headers['x-request-id']!), [
    { action: 'document.read', outcome: 'success', actor_kind: 'user', profile_id: profile, resource_id: uploaded.body.id },
  ]);

  const stranger = await createUser(ctx.db.pool);
  const denied = await ctx.api.request.get(`/api/documents/${uploaded.body.id}/download`).set(auth(await ctx.api.tokenFor(stranger)));
  assert.is(denied.status, 404);
  assert.equal(await audit(denied.headers['x-request-id']!), [
    // The profile stays unnamed: the stranger never learnt it, and neither does the trail from this request.
    { action: 'document.download', outcome: 'denied', actor_kind: 'user', profile_id: null, resource_id: uploaded.body.id },
  ]);
});

test.run();
