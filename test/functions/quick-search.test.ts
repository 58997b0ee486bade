import * as assert from 'uvu/assert';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { insertRecord } from '../helpers/clinical.js';
import { bearer, expiredToken, problemOf, startEdgeFunctions, type TestEdgeFunctions } from '../helpers/edge-functions.js';
import { createDocument, createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite, type DatabaseContext } from '../helpers/suite.js';

interface Ctx { api: TestApi; functions: TestEdgeFunctions; owner: string; stranger: string; profile: string; otherProfile: string; document: string }
type C = Ctx & DatabaseContext;
interface Result { kind: string; profile_id: string; document_id: string | null; page: number | null; snippet: { text: string; match: boolean }[] }

const test = databaseSuite<Ctx>('functions: quick-search');

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  ctx.functions = startEdgeFunctions(ctx.db, ctx.api);
  ctx.owner = await createUser(pool);
  ctx.stranger = await createUser(pool);
  ctx.profile = await createProfile(pool, ctx.owner);
  ctx.otherProfile = await createProfile(pool, ctx.stranger);
  ctx.document = await createDocument(pool, ctx.profile, ctx.owner);
  await pool.query(
    `insert into public.document_pages (document_id, profile_id, page, body) values ($1::uuid, $2::uuid, 1, 'Lipid studies. Total cholesterol 6.1 mmol/L (H). Fasting sample.')`,
    [ctx.document, ctx.profile],
  );
  await insertRecord(pool, 'observations', ctx.profile, { name: 'Total cholesterol', value_numeric: 6.1, unit: 'mmol/L', source_document_id: ctx.document, source_page: 1 });
  // The other family has the same words: never found by anyone else.
  await insertRecord(pool, 'observations', ctx.otherProfile, { name: 'Total cholesterol', value_numeric: 4.0, unit: 'mmol/L' });
});

test.after(async (ctx) => {
  await ctx.functions?.close();
});

const searchGet = async (ctx: C, user: string, query: Record<string, string>) =>
  ctx.functions.call('quick-search', { search: `?${new URLSearchParams(query)}`, headers: bearer(await ctx.api.tokenFor(user)) });
const searchPost = async (ctx: C, user: string, body: unknown) =>
  ctx.functions.call('quick-search', { method: 'POST', headers: { ...bearer(await ctx.api.tokenFor(user)), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

test('the owner finds their own records and page text, matches marked, the same answer as GET /api/search', async (ctx) => {
  const response = await searchGet(ctx, ctx.owner, { q: 'chol' });
  assert.is(response.status, 200);
  const body = (await response.json()) as { results: Result[] };
  assert.equal(body.results.map((r) => r.kind), ['observation', 'page']);
  assert.ok(body.results.every((r) => r.profile_id === ctx.profile));
  const page = body.results.find((r) => r.kind === 'page')!;
  assert.is(page.document_id, ctx.document);
  assert.ok(page.snippet.some((part) => part.match && /^cholesterol$/i.test(part.text)));
  const api = await ctx.api.request.get('/api/search').query({ q: 'chol' }).set(bearer(await ctx.api.tokenFor(ctx.owner)));
  assert.equal(body, api.body);
  const posted = await searchPost(ctx, ctx.owner, { q: 'chol', profile_id: ctx.profile, limit: 1 });
  assert.equal(((await posted.json()) as { results: Result[] }).results, body.results.slice(0, 1));
});

test("another family's data is never found: the stranger sees only their own, and naming the profile is a 404", async (ctx) => {
  const own = (await (await searchGet(ctx, ctx.stranger, { q: 'cholesterol' })).json()) as { results: Result[] };
  assert.equal(own.results.map((r) => r.profile_id), [ctx.otherProfile]);
  assert.equal(await problemOf(await searchPost(ctx, ctx.stranger, { q: 'cholesterol', profile_id: ctx.profile })),
    { status: 404, code: 'profile_not_found', type: 'application/problem+json' });
});

test('each search is in the audit trail with its count, never its words', async (ctx) => {
  const response = await ctx.functions.call('quick-search', { search: '?q=fasting', headers: { ...bearer(await ctx.api.tokenFor(ctx.owner)), 'X-Request-Id': 'search-audit-1' } });
  assert.is(response.status, 200);
  await response.body?.cancel();
  const { rows } = await ctx.db.pool.query(`select actor_user_id, actor_kind, profile_id, action, outcome, details::text from public.audit_log where request_id = 'search-audit-1'`);
  assert.equal(rows, [{ actor_user_id: ctx.owner, actor_kind: 'user', profile_id: null, action: 'search.query', outcome: 'success', details: '{"results": 1}' }]);
});

test('bad input is a 400 validation_failed; any text is a query, never a syntax error', async (ctx) => {
  for (const body of [{}, { q: '' }, { q: '   ' }, { q: 'x'.repeat(201) }, { q: 'chol', profile_id: 'nope' }, { q: 'chol', limit: 0 }, { q: 'chol', limit: 51 }, { q: 'chol', limit: 1.5 }, [], { q: 42 }]) {
    assert.equal(await problemOf(await searchPost(ctx, ctx.owner, body)), { status: 400, code: 'validation_failed', type: 'application/problem+json' }, JSON.stringify(body));
  }
  assert.equal((await problemOf(await searchGet(ctx, ctx.owner, { q: 'chol', limit: 'many' }))).code, 'validation_failed');
  for (const q of ['(&|!:*', "'; drop table x; --", '\\']) {
    const response = await searchPost(ctx, ctx.owner, { q });
    assert.is(response.status, 200, q);
    assert.equal(((await response.json()) as { results: Result[] }).results, []);
  }
});

test('without a valid token nothing is searched: 401 token_missing, token_expired', async (ctx) => {
  assert.equal((await problemOf(await ctx.functions.call('quick-search', { search: '?q=chol' }))).code, 'token_missing');
  const expired = await ctx.functions.call('quick-search', { search: '?q=chol', headers: bearer(await expiredToken(ctx.api, ctx.owner)) });
  assert.equal(await problemOf(expired), { status: 401, code: 'token_expired', type: 'application/problem+json' });
});

test.run();
