/**
 * Who may do what with documents: no token, another user's profile, a viewer, a
 * provider with and without a documents grant.
 */
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { processDocument } from '../../src/consumers/documents/process-document.js';
import { PermanentJobError } from '../../src/events/queue/job.js';
import { LocalExtractor } from '../../src/providers/extraction/local-extractor.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { auth, documentRow, documentsSuite, storedFiles, upload } from '../helpers/documents-api.js';
import { rejection } from '../helpers/suite.js';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';

const test = documentsSuite('api: documents, access');

test('without a token every documents endpoint answers 401', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const id = randomUUID();
  const answers = await Promise.all([
    ctx.api.request.post(`/api/profiles/${profile}/documents`).attach('file', Buffer.from(ctx.pdf), 'a.pdf'),
    ctx.api.request.get(`/api/profiles/${profile}/documents`),
    ctx.api.request.get(`/api/documents/${id}`),
    ctx.api.request.get(`/api/documents/${id}/download`),
    ctx.api.request.post(`/api/documents/${id}/reanalyse`),
    ctx.api.request.delete(`/api/documents/${id}`),
    ctx.api.request.post('/api/process-document').send({ document_id: id }),
  ]);
  assert.equal(answers.map((a) => [a.status, a.body.code]), Array(7).fill([401, 'token_missing']));
  assert.equal(await storedFiles(ctx.api, profile), []);
});

test('another user\'s profile and document answer 404 exactly like ones that do not exist', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = (await upload(ctx.api, ctx.token, profile, ctx.pdf)).body;
  const stranger = await ctx.api.tokenFor(await createUser(ctx.db.pool));
  const shape = (r: { status: number; body: { code: string; detail: string } }) => [r.status, r.body.code, r.body.detail];

  for (const suffix of ['', '/download']) {
    const theirs = await ctx.api.request.get(`/api/documents/${doc.id}${suffix}`).set(auth(stranger));
    const missing = await ctx.api.request.get(`/api/documents/${randomUUID()}${suffix}`).set(auth(stranger));
    assert.equal(shape(theirs), shape(missing));
    assert.equal(shape(theirs), [404, 'document_not_found', 'no such document (or it is not shared with you)']);
  }
  for (const [method, suffix] of [['post', '/reanalyse'], ['delete', '']] as const) {
    const theirs = await ctx.api.request[method](`/api/documents/${doc.id}${suffix}`).set(auth(stranger));
    const missing = await ctx.api.request[method](`/api/documents/${randomUUID()}${suffix}`).set(auth(stranger));
    assert.equal(shape(theirs), shape(missing));
    assert.is(theirs.status, 404);
  }
  const processTheirs = await ctx.api.request.post('/api/process-document').set(auth(stranger)).send({ document_id: doc.id });
  assert.equal(shape(processTheirs), [404, 'document_not_found', 'no such document (or it is not shared with you)']);

  const listTheirs = await ctx.api.request.get(`/api/profiles/${profile}/documents`).set(auth(stranger));
  const listMissing = await ctx.api.request.get(`/api/profiles/${randomUUID()}/documents`).set(auth(stranger));
  assert.equal(shape(listTheirs), shape(listMissing));
  const uploadTheirs = await upload(ctx.api, stranger, profile, ctx.pdf, 'intruder.pdf');
  const uploadMissing = await upload(ctx.api, stranger, randomUUID(), ctx.pdf, 'intruder.pdf');
  assert.equal(shape(uploadTheirs), shape(uploadMissing));
  assert.equal(shape(uploadTheirs), [404, 'profile_not_found', 'no such profile (or it is not shared with you)']);
  assert.equal((await storedFiles(ctx.api, profile)).filter((f) => f === 'intruder.pdf'), []);
  assert.is((await documentRow(ctx, doc.id)).status, 'queued'); // untouched
});

test('a viewer reads documents but gets 403 on upload, delete, re-analyse and process-document', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = (await upload(ctx.api, ctx.token, profile, ctx.pdf)).body;
  const viewer = await createUser(ctx.db.pool);
  await addMember(ctx.db.pool, profile, viewer, 'viewer');
  const token = await ctx.api.tokenFor(viewer);

  assert.is((await ctx.api.request.get(`/api/documents/${doc.id}`).set(auth(token))).status, 200);
  assert.is((await ctx.api.request.get(`/api/documents/${doc.id}/download`).set(auth(token))).status, 200);
  const uploaded = await upload(ctx.api, token, profile, ctx.pdf, 'by-viewer.pdf');
  const deleted = await ctx.api.request.delete(`/api/documents/${doc.id}`).set(auth(token));
  const reanalysed = await ctx.api.request.post(`/api/documents/${doc.id}/reanalyse`).set(auth(token));
  const processed = await ctx.api.request.post('/api/process-document').set(auth(token)).send({ document_id: doc.id });
  assert.equal([uploaded, deleted, reanalysed, processed].map((r) => [r.status, r.body.code]), Array(4).fill([403, 'profile_read_only']));
  assert.equal(await storedFiles(ctx.api, profile), ['labs.pdf']);
  assert.ok(await documentRow(ctx, doc.id));
});

test('a provider with a documents grant lists, reads and downloads but may not upload or delete; without the grant sees nothing', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doc = (await upload(ctx.api, ctx.token, profile, ctx.pdf)).body;
  const granted = await createUser(ctx.db.pool);
  const other = await createUser(ctx.db.pool);
  await grantAccess(ctx.db.pool, { profileId: profile, providerId: await createProvider(ctx.db.pool, granted), grantedBy: ctx.owner, categories: ['documents'] });
  await grantAccess(ctx.db.pool, { profileId: profile, providerId: await createProvider(ctx.db.pool, other), grantedBy: ctx.owner, categories: ['observations'] });
  const withGrant = await ctx.api.tokenFor(granted);
  const withoutGrant = await ctx.api.tokenFor(other);

  const list = await ctx.api.request.get(`/api/profiles/${profile}/documents`).set(auth(withGrant));
  assert.equal([list.status, list.body.documents.map((d: { id: string }) => d.id)], [200, [doc.id]]);
  assert.is((await ctx.api.request.get(`/api/documents/${doc.id}`).set(auth(withGrant))).body.sha256, doc.sha256);
  const download = await ctx.api.request.get(`/api/documents/${doc.id}/download`).set(auth(withGrant));
  assert.equal([download.status, download.headers['content-type']], [200, 'application/pdf']);
  assert.is((await upload(ctx.api, withGrant, profile, ctx.pdf, 'by-provider.pdf')).status, 403);
  assert.is((await ctx.api.request.delete(`/api/documents/${doc.id}`).set(auth(withGrant))).status, 403);

  const listWithout = await ctx.api.request.get(`/api/profiles/${profile}/documents`).set(auth(withoutGrant));
  assert.equal([listWithout.status, listWithout.body.documents], [200, []]);
  assert.equal((await ctx.api.request.get(`/api/documents/${doc.id}`).set(auth(withoutGrant))).body.code, 'document_not_found');
  assert.is((await ctx.api.request.get(`/api/documents/${doc.id}/download`).set(auth(withoutGrant))).status, 404);
  assert.ok(await documentRow(ctx, doc.id));
});

test('without the database constraint, a row naming another family\'s file still gets no download, no processing, no deletion of their file', async (ctx) => {
  const victimOwner = await createUser(ctx.db.pool);
  const victim = await createProfile(ctx.db.pool, victimOwner);
  const theirs = (await upload(ctx.api, await ctx.api.tokenFor(victimOwner), victim, ctx.pdf, 'theirs.pdf')).body;
  const theirPath = (await documentRow(ctx, theirs.id)).storage_path;
  const own = await createProfile(ctx.db.pool, ctx.owner);
  // Every layer must hold on its own: without the database's path constraint (dropped
  // here), the storage layer alone keeps the other family's file out of reach.
  const legacy = randomUUID();
  await ctx.db.pool.query(`alter table public.documents drop constraint documents_storage_path_is_own`);
  await ctx.db.pool.query(
    `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256, status)
     values ($1::uuid, $2::uuid, $3::text, 'x.pdf', 'application/pdf', $4::bigint, $5::text, 'processed')`,
    [legacy, own, `${own}/../${theirPath}`, theirs.size_bytes, theirs.sha256],
  );
  const download = await ctx.api.request.get(`/api/documents/${legacy}/download`).set(auth(ctx.token));
  assert.equal([download.status, download.body.code], [404, 'document_file_missing']);

  const pipeline = { pool: ctx.db.pool, storage: ctx.api.storage, ocr: new LocalOcr({ maxPages: 3 }), extractor: new LocalExtractor(), settings: { maxBytes: 1 << 20, maxPages: 3 } };
  const failure = await rejection(processDocument(pipeline, { payload: { document_id: legacy } }));
  assert.ok(failure instanceof PermanentJobError, String(failure));
  assert.is((failure as PermanentJobError).code, 'storage_bad_path');

  assert.is((await ctx.api.request.delete(`/api/documents/${legacy}`).set(auth(ctx.token))).status, 204);
  assert.equal(await storedFiles(ctx.api, victim), ['theirs.pdf']);
  const still = await ctx.api.request.get(`/api/documents/${theirs.id}/download`).set(auth(await ctx.api.tokenFor(victimOwner)));
  assert.is(still.status, 200);
  await ctx.db.pool.query(`alter table public.documents add constraint documents_storage_path_is_own
                           check (private.is_own_document_path(storage_path, profile_id, id))`);
});

test.run();
