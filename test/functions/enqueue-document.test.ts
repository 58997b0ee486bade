import * as assert from 'uvu/assert';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { bearer, expiredToken, problemOf, tokenWith, startEdgeFunctions, type TestEdgeFunctions } from '../helpers/edge-functions.js';
import { createDocument, createProfile, createUser } from '../helpers/fixtures.js';
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
});

test("no token answers 401 token_missing; an expired one 401 token_expired; a forged one 401 token_invalid; another audience's or the service's 401; nothing is queued", async (ctx) => {
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
  const service = await ctx.api.serviceToken();
  assert.equal((await problemOf(await enqueue(ctx, bearer(service), { document_id: document }))).status, 401);
  assert.equal(await state(ctx, document), { status: 'uploaded', jobs: [] });
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
