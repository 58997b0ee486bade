import * as assert from 'uvu/assert';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { bearer, expiredToken, problemOf, TEST_SECRET_KEY, tokenWith, startEdgeFunctions, type TestEdgeFunctions } from '../helpers/edge-functions.js';
import { addMember, createDocument, createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite, type DatabaseContext } from '../helpers/suite.js';

interface Ctx { api: TestApi; functions: TestEdgeFunctions; owner: string; stranger: string; profile: string }
type C = Ctx & DatabaseContext;

const test = databaseSuite<Ctx>('functions: enqueue-document');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db);
  ctx.functions = startEdgeFunctions(ctx.db, ctx.api);
  ctx.owner = await createUser(ctx.db.pool);
  ctx.stranger = await createUser(ctx.db.pool);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner);
});

test.after(async (ctx) => {
  await ctx.functions?.close();
});

const enqueue = async (ctx: C, headers: Record<string, string>, body: unknown) =>
  ctx.functions.call('enqueue-document', { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function auditTrail(ctx: C, documentId: string) {
  const { rows } = await ctx.db.pool.query(
    `select actor_user_id, actor_kind, profile_id, action, outcome, details from public.audit_log where resource_type = 'document' and resource_id = $1::text order by id`, [documentId]);
  return rows;
}

async function state(ctx: C, documentId: string) {
  const { rows: [document] } = await ctx.db.pool.query<{ status: string }>('select status from public.documents where id = $1::uuid', [documentId]);
  const { rows: jobs } = await ctx.db.pool.query<{ status: string }>(
    `select status from public.job_queue where type = 'process_document' and payload->>'document_id' = $1::text`, [documentId]);
  return { status: document?.status, jobs: jobs.map((j) => j.status) };
}

test('the owner\'s token queues their uploaded document with its process_document job', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  assert.equal(await state(ctx, document), { status: 'uploaded', jobs: [] });
  const response = await enqueue(ctx, bearer(await ctx.api.tokenFor(ctx.owner)), { document_id: document });
  assert.is(response.status, 202);
  assert.equal(await response.json(), { document_id: document, status: 'queued', queued: true });
  assert.equal(await state(ctx, document), { status: 'queued', jobs: ['pending'] });
  assert.equal(await auditTrail(ctx, document), [
    { actor_user_id: ctx.owner, actor_kind: 'user', profile_id: ctx.profile, action: 'document.enqueue', outcome: 'success', details: { queued: true } },
  ]);
});

test('calling again answers 200 with the document\'s status and queues nothing more', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  const token = await ctx.api.tokenFor(ctx.owner);
  assert.is((await enqueue(ctx, bearer(token), { document_id: document })).status, 202);
  const again = await enqueue(ctx, bearer(token), { document_id: document });
  assert.is(again.status, 200);
  assert.equal(await again.json(), { document_id: document, status: 'queued', queued: false });
  assert.equal(await state(ctx, document), { status: 'queued', jobs: ['pending'] });
});

test('another user\'s document answers 404 like a missing one, and nothing is queued', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  const token = await ctx.api.tokenFor(ctx.stranger);
  const theirs = await problemOf(await enqueue(ctx, bearer(token), { document_id: document }));
  const missing = await problemOf(await enqueue(ctx, bearer(token), { document_id: '00000000-0000-4000-8000-000000000000' }));
  assert.equal(theirs, { status: 404, code: 'document_not_found', type: 'application/problem+json' });
  assert.equal(missing, theirs);
  assert.equal(await state(ctx, document), { status: 'uploaded', jobs: [] });
  assert.equal(await auditTrail(ctx, document), []);
});

test('a viewer of the profile may read the document but not queue it: 403 profile_read_only', async (ctx) => {
  const viewer = await createUser(ctx.db.pool);
  await addMember(ctx.db.pool, ctx.profile, viewer, 'viewer');
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  const response = await enqueue(ctx, bearer(await ctx.api.tokenFor(viewer)), { document_id: document });
  assert.equal(await problemOf(response), { status: 403, code: 'profile_read_only', type: 'application/problem+json' });
  assert.equal(await state(ctx, document), { status: 'uploaded', jobs: [] });
});

test("no token answers 401 token_missing; an expired one 401 token_expired; a forged one 401 token_invalid; another audience's, an anon's or a wrong secret key's 401; nothing is queued", async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  const none = await enqueue(ctx, {}, { document_id: document });
  assert.is(none.headers.get('www-authenticate')?.startsWith('Bearer'), true);
  assert.equal(await problemOf(none), { status: 401, code: 'token_missing', type: 'application/problem+json' });
  const expired = await enqueue(ctx, bearer(await expiredToken(ctx.api, ctx.owner)), { document_id: document });
  assert.equal(await problemOf(expired), { status: 401, code: 'token_expired', type: 'application/problem+json' });
  const good = await ctx.api.tokenFor(ctx.owner);
  const forged = `${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(43)}`;
  assert.equal(await problemOf(await enqueue(ctx, bearer(forged), { document_id: document })), { status: 401, code: 'token_invalid', type: 'application/problem+json' });
  const otherAudience = await tokenWith(ctx.api, ctx.owner, { aud: 'another-project' });
  assert.equal(await problemOf(await enqueue(ctx, bearer(otherAudience), { document_id: document })), { status: 401, code: 'token_wrong_audience', type: 'application/problem+json' });
  const anon = await tokenWith(ctx.api, ctx.owner, { role: 'anon' });
  assert.equal((await problemOf(await enqueue(ctx, bearer(anon), { document_id: document }))).code, 'token_role_invalid');
  assert.equal((await problemOf(await enqueue(ctx, bearer('sb_secret_not0the0project0key000000'), { document_id: document }))).code, 'token_invalid');
  assert.equal(await state(ctx, document), { status: 'uploaded', jobs: [] });
});

const storageWebhook = (record: Record<string, unknown>) => ({ type: 'INSERT', schema: 'storage', table: 'objects', record, old_record: null });

test('a database webhook on storage.objects, sent with the project\'s secret key, queues the new object\'s document', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  const { rows: [row] } = await ctx.db.pool.query<{ storage_path: string }>('select storage_path from public.documents where id = $1::uuid', [document]);
  const response = await enqueue(ctx, bearer(TEST_SECRET_KEY), storageWebhook({ bucket_id: 'documents', name: row!.storage_path }));
  assert.is(response.status, 202);
  assert.equal(await response.json(), { document_id: document, status: 'queued', queued: true });
  assert.equal(await state(ctx, document), { status: 'queued', jobs: ['pending'] });
  // The same from a webhook on public.documents, with a service_role token: already queued.
  const again = await enqueue(ctx, bearer(await ctx.api.serviceToken()), { type: 'INSERT', schema: 'public', table: 'documents', record: { id: document } });
  assert.equal([again.status, await again.json()], [200, { document_id: document, status: 'queued', queued: false }]);
  assert.equal(await state(ctx, document), { status: 'queued', jobs: ['pending'] });
  assert.equal((await auditTrail(ctx, document)).map((e) => [e.actor_user_id, e.actor_kind, e.details]), [[null, 'service', { queued: true }], [null, 'service', { queued: false }]]);
});

test('a webhook for another bucket, or for an object whose row has not arrived, queues nothing; a malformed one is a 400', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.owner);
  const { rows: [row] } = await ctx.db.pool.query<{ storage_path: string }>('select storage_path from public.documents where id = $1::uuid', [document]);
  for (const record of [{ bucket_id: 'avatars', name: row!.storage_path }, { bucket_id: 'documents', name: `${ctx.profile}/not-yet/report.pdf` }]) {
    const response = await enqueue(ctx, bearer(TEST_SECRET_KEY), storageWebhook(record));
    assert.equal([response.status, await response.json()], [200, { document_id: null, status: null, queued: false }], record.name);
  }
  assert.equal(await state(ctx, document), { status: 'uploaded', jobs: [] });
  for (const body of [{ type: 'UPDATE', schema: 'storage', table: 'objects', record: {} }, { type: 'INSERT', schema: 'public', table: 'profiles', record: { id: ctx.profile } }, storageWebhook({ bucket_id: 'documents' })]) {
    assert.equal((await problemOf(await enqueue(ctx, bearer(TEST_SECRET_KEY), body))).code, 'validation_failed', JSON.stringify(body));
  }
});

test('a body without a document uuid answers 400 validation_failed', async (ctx) => {
  const token = await ctx.api.tokenFor(ctx.owner);
  for (const body of [{ document_id: 'not-a-uuid' }, {}, [], 'not json', { document_id: 42 }]) {
    assert.equal(await problemOf(await enqueue(ctx, bearer(token), body)), { status: 400, code: 'validation_failed', type: 'application/problem+json' }, JSON.stringify(body));
  }
});

test('the preflight is answered with CORS headers; other methods are 405 method_not_allowed', async (ctx) => {
  const preflight = await ctx.functions.call('enqueue-document', { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST' } });
  assert.is(preflight.status, 200);
  await preflight.body?.cancel();
  assert.is(preflight.headers.get('access-control-allow-origin'), '*');
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
  const get = await ctx.functions.call('enqueue-document', { method: 'GET', headers: bearer(await ctx.api.tokenFor(ctx.owner)) });
  assert.equal(await problemOf(get), { status: 405, code: 'method_not_allowed', type: 'application/problem+json' });
});

test.run();
