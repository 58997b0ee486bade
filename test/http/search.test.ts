import * as assert from 'uvu/assert';
import { snippetParts } from '../../src/http/api/search.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { insertRecord } from '../helpers/clinical.js';
import { createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite, type DatabaseContext } from '../helpers/suite.js';

interface Ctx { api: TestApi; profile: string; otherProfile: string; document: string; users: Record<string, string> }
type C = Ctx & DatabaseContext;

const test = databaseSuite<Ctx>('http: quick search');

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  const users: Record<string, string> = {};
  for (const name of ['owner', 'stranger', 'labsOnly']) users[name] = await createUser(pool);
  ctx.users = users;
  ctx.profile = await createProfile(pool, users.owner!, { displayName: 'Search Person' });
  ctx.otherProfile = await createProfile(pool, users.stranger!, { displayName: 'Other Family' });
  const provider = await createProvider(pool, users.labsOnly!);
  await grantAccess(pool, { profileId: ctx.profile, providerId: provider, grantedBy: users.owner!, categories: ['observations'] });

  ctx.document = await createDocument(pool, ctx.profile, users.owner!);
  await pool.query(
    `insert into public.document_pages (document_id, profile_id, page, body) values
       ($1::uuid, $2::uuid, 1, 'Lipid studies. Total cholesterol 6.1 mmol/L (H). Fasting sample.'),
       ($1::uuid, $2::uuid, 2, 'Comment: <script>alert(1)</script> repeat the cholesterol test in three months.')`,
    [ctx.document, ctx.profile],
  );
  await insertRecord(pool, 'observations', ctx.profile, { name: 'Total cholesterol', value_numeric: 6.1, unit: 'mmol/L', source_document_id: ctx.document, source_page: 1, source_text: 'Total cholesterol 6.1 mmol/L (H)' });
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Atorvastatin', dose_text: '20 mg daily' });
  // The other family has the same words: never found by anyone else.
  await insertRecord(pool, 'observations', ctx.otherProfile, { name: 'Total cholesterol', value_numeric: 4.0, unit: 'mmol/L' });
});

const search = async (ctx: C, user: string, query: Record<string, string>) =>
  ctx.api.request.get('/api/search').query(query).set('authorization', `Bearer ${await ctx.api.tokenFor(ctx.users[user]!)}`);

test('the owner finds records, page text and the matches marked, by the start of a word, best first', async (ctx) => {
  const res = await search(ctx, 'owner', { q: 'chol' });
  assert.is(res.status, 200, JSON.stringify(res.body));
  const results = res.body.results as { kind: string; profile_id: string; document_id: string | null; page: number | null; snippet: { text: string; match: boolean }[] }[];
  assert.equal(results.map((r) => r.kind).sort(), ['observation', 'page', 'page']);
  assert.is(results[0]!.kind, 'observation', 'a record named by the words ranks above text that mentions them');
  assert.ok(results.every((r) => r.profile_id === ctx.profile));
  const page = results.find((r) => r.kind === 'page' && r.page === 1)!;
  assert.is(page.document_id, ctx.document);
  assert.ok(page.snippet.some((part) => part.match && /^cholesterol$/i.test(part.text)));
  assert.not.ok(JSON.stringify(results).includes('\\u0002'));
  const medication = await search(ctx, 'owner', { q: 'atorva', profile_id: ctx.profile });
  assert.equal(medication.body.results.map((r: { kind: string; title: string }) => [r.kind, r.title]), [['medication', 'Atorvastatin']]);
  const several = await search(ctx, 'owner', { q: 'fasting cholesterol' });
  assert.equal(several.body.results.map((r: { kind: string; page: number }) => [r.kind, r.page]), [['page', 1]], 'every word is required');
});

test("nobody finds another family's data: a stranger gets nothing, and naming the profile is a 404", async (ctx) => {
  const res = await search(ctx, 'stranger', { q: 'cholesterol' });
  assert.is(res.status, 200);
  assert.ok(res.body.results.every((r: { profile_id: string }) => r.profile_id === ctx.otherProfile));
  assert.is(res.body.results.length, 1);
  const named = await search(ctx, 'stranger', { q: 'cholesterol', profile_id: ctx.profile });
  assert.is(named.status, 404);
  assert.is(named.body.code, 'profile_not_found');
});

test('a provider finds only the categories of their grant', async (ctx) => {
  const res = await search(ctx, 'labsOnly', { q: 'cholesterol' });
  assert.equal(res.body.results.map((r: { kind: string }) => r.kind), ['observation'], 'no page text, no other family');
  assert.equal((await search(ctx, 'labsOnly', { q: 'atorvastatin' })).body.results, []);
});

test('any text is a query, never a syntax error; an empty or oversized one is a 400 with a code', async (ctx) => {
  for (const q of ['(&|!:*', "'; drop table x; --", '\\', 'the of and']) {
    const res = await search(ctx, 'owner', { q });
    assert.is(res.status, 200, `${q}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.results, []);
  }
  for (const q of ['', '   ', 'x'.repeat(201)]) {
    const res = await search(ctx, 'owner', { q });
    assert.is(res.status, 400);
    assert.is(res.headers['content-type'], 'application/problem+json');
  }
  assert.is((await ctx.api.request.get('/api/search').query({ q: 'chol' })).status, 401);
});

test("a deleted document's text is found no more", async (ctx) => {
  const doc = await createDocument(ctx.db.pool, ctx.profile, ctx.users.owner!);
  await ctx.db.pool.query(`insert into public.document_pages (document_id, profile_id, page, body) values ($1::uuid, $2::uuid, 1, 'Ferritin 8 ug/L')`, [doc, ctx.profile]);
  assert.is((await search(ctx, 'owner', { q: 'ferritin' })).body.results.length, 1);
  await ctx.db.pool.query('delete from public.documents where id = $1::uuid', [doc]);
  assert.equal((await search(ctx, 'owner', { q: 'ferritin' })).body.results, []);
});

test('the index follows every change: a renamed record, a renamed document, a deleted record', async (ctx) => {
  const id = await insertRecord(ctx.db.pool, 'conditions', ctx.profile, { name: 'Seasonal rhinitis', clinical_status: 'active' });
  const titles = async (q: string) => (await search(ctx, 'owner', { q })).body.results.map((r: { kind: string; title: string }) => `${r.kind}:${r.title}`);
  assert.equal(await titles('rhinit'), ['condition:Seasonal rhinitis']);
  await ctx.db.pool.query(`update public.conditions set name = 'Allergic rhinitis' where id = $1::uuid`, [id]);
  assert.equal(await titles('seasonal'), []);
  assert.equal(await titles('allergic rhin'), ['condition:Allergic rhinitis']);
  await ctx.db.pool.query(`update public.documents set file_name = 'lipids-march.pdf' where id = $1::uuid`, [ctx.document]);
  assert.ok((await titles('fasting')).includes('page:lipids-march.pdf'), 'pages carry their document\'s new name');
  await ctx.db.pool.query('delete from public.conditions where id = $1::uuid', [id]);
  assert.equal(await titles('rhinit'), []);
});

test('snippet parts keep document text as text', () => {
  assert.equal(snippetParts('a \u0002b\u0003 <i>c</i>'), [{ text: 'a ', match: false }, { text: 'b', match: true }, { text: ' <i>c</i>', match: false }]);
  assert.equal(snippetParts(''), []);
  assert.equal(snippetParts('\u0002open'), [{ text: 'open', match: true }]);
});

test.run();
