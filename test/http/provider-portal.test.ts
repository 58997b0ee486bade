import * as assert from 'uvu/assert';
import { insertRecord, lab } from '../helpers/clinical.js';
import { createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

interface Ctx {
  api: TestApi;
  users: Record<'owner' | 'doctor' | 'otherDoctor' | 'plain', string>;
  tokens: Record<'owner' | 'doctor' | 'otherDoctor' | 'plain', string>;
  profile: string;
  /** A profile of the same owner that granted nothing. */
  ungranted: string;
  provider: string;
  otherProvider: string;
}

const test = databaseSuite<Ctx>('http: provider portal');
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const IN_A_WEEK = () => new Date(Date.now() + 7 * 86_400_000).toISOString();
// Three glucose results, oldest first (their created_at follows insertion order).
const GLUCOSE = [5.1, 6.3, 7.4];

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  const users = {} as Ctx['users'];
  const tokens = {} as Ctx['tokens'];
  for (const name of ['owner', 'doctor', 'otherDoctor', 'plain'] as const) {
    users[name] = await createUser(pool);
    tokens[name] = await ctx.api.tokenFor(users[name]);
  }
  ctx.users = users;
  ctx.tokens = tokens;
  ctx.profile = await createProfile(pool, users.owner, { displayName: 'Pat Example', birthDate: '1958-03-02' });
  ctx.ungranted = await createProfile(pool, users.owner, { displayName: 'Kid Example', relationship: 'child' });
  ctx.provider = await createProvider(pool, users.doctor);
  ctx.otherProvider = await createProvider(pool, users.otherDoctor);
  for (const [i, value] of GLUCOSE.entries()) {
    await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', value, 'mmol/L', `2026-0${i + 1}-15T08:00:00Z`, { reference_low: 3.9, reference_high: 5.5 }));
  }
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Metformin', dose_text: '500 mg twice daily' });
  await insertRecord(pool, 'observations', ctx.ungranted, lab('Ferritin', 30, 'ug/L', '2026-01-01T00:00:00Z'));
});

async function ownerGrants(ctx: Ctx, categories: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const res = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: ctx.provider, categories, ...extra });
  assert.is(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

const readRecords = (ctx: Ctx, category: string, query = '', token = ctx.tokens.doctor, profile = ctx.profile) =>
  ctx.api.request.get(`/api/provider/patients/${profile}/records?category=${category}${query}`).set(bearer(token));

test('owner grants observations → the provider lists the patient and reads the observations; medications are 403; revoke stops both at once', async (ctx) => {
  const expires = IN_A_WEEK();
  const grant = await ownerGrants(ctx, ['observations'], { expires_at: expires });

  const patients = await ctx.api.request.get('/api/provider/patients').set(bearer(ctx.tokens.doctor));
  assert.is(patients.status, 200);
  assert.equal(patients.body.patients, [{
    profile_id: ctx.profile, display_name: 'Pat Example', birth_date: '1958-03-02', sex: 'unknown',
    categories: ['observations'], expires_at: expires, grant_ids: [grant],
  }]);

  const observations = await readRecords(ctx, 'observations');
  assert.is(observations.status, 200);
  assert.is(observations.body.profile_id, ctx.profile);
  assert.is(observations.body.category, 'observations');
  assert.equal(observations.body.records.map((r: { value_numeric: number }) => r.value_numeric), [...GLUCOSE].reverse(), 'newest first');
  const newest = observations.body.records[0];
  assert.equal(
    [newest.name, newest.unit, newest.reference_low, newest.reference_high, newest.effective_at, newest.category],
    ['Glucose', 'mmol/L', 3.9, 5.5, '2026-03-15T08:00:00.000Z', 'laboratory'],
  );
  assert.is(observations.body.next_cursor, null);

  const medications = await readRecords(ctx, 'medications');
  assert.equal([medications.status, medications.body.code], [403, 'category_not_granted']);

  const revoke = await ctx.api.request.post(`/api/grants/${grant}/revoke`).set(bearer(ctx.tokens.owner));
  assert.is(revoke.status, 200);
  const after = await readRecords(ctx, 'observations');
  assert.equal([after.status, after.body.code], [404, 'profile_not_found'], 'the very next request is refused');
  const listAfter = await ctx.api.request.get('/api/provider/patients').set(bearer(ctx.tokens.doctor));
  assert.equal(listAfter.body.patients, []);
});

test('an expired grant stops access at once: records 404 and the patient leaves the list', async (ctx) => {
  const grant = await ownerGrants(ctx, ['observations', 'medications']);
  const before = await readRecords(ctx, 'medications');
  assert.equal(before.body.records.map((r: { name: string; dose_text: string }) => [r.name, r.dose_text]), [['Metformin', '500 mg twice daily']]);
  await ctx.db.pool.query(`update public.access_grants set expires_at = now() - interval '1 second' where id = $1::uuid`, [grant]);
  const after = await readRecords(ctx, 'medications');
  assert.equal([after.status, after.body.code], [404, 'profile_not_found']);
  const list = await ctx.api.request.get('/api/provider/patients').set(bearer(ctx.tokens.doctor));
  assert.equal(list.body.patients, []);
});

test('two live grants to the same provider: the list shows the union of categories and the later expiry', async (ctx) => {
  const soon = new Date(Date.now() + 3_600_000).toISOString();
  const later = IN_A_WEEK();
  const a = await ownerGrants(ctx, ['medications'], { expires_at: soon });
  const b = await ownerGrants(ctx, ['observations', 'allergies'], { expires_at: later });
  const list = await ctx.api.request.get('/api/provider/patients').set(bearer(ctx.tokens.doctor));
  assert.equal(list.body.patients.map((p: { categories: string[]; expires_at: string; grant_ids: string[] }) => [p.categories, p.expires_at, [...p.grant_ids].sort()]),
    [[['observations', 'medications', 'allergies'], later, [a, b].sort()]]);
  for (const id of [a, b]) await ctx.api.request.post(`/api/grants/${id}/revoke`).set(bearer(ctx.tokens.owner));
});

test('records are paged newest first with limit and cursor, without repeats; a forged cursor is 400', async (ctx) => {
  const grant = await ownerGrants(ctx, ['observations']);
  const seen: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { records: Array<{ value_numeric: number }>; next_cursor: string | null } } =
      await readRecords(ctx, 'observations', `&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.is(res.status, 200);
    assert.ok(res.body.records.length <= 2);
    seen.push(...res.body.records.map((r) => r.value_numeric));
    cursor = res.body.next_cursor;
    pages++;
  } while (cursor && pages < 5);
  assert.is(pages, 2);
  assert.equal(seen, [...GLUCOSE].reverse());

  for (const bad of ['not-a-cursor', Buffer.from('{"us":"1","id":"x"}').toString('base64url'), '%7B%7D']) {
    const res = await readRecords(ctx, 'observations', `&cursor=${bad}`);
    assert.equal([res.status, res.body.code], [400, 'validation_failed'], bad);
  }
  for (const limit of ['0', '201', 'ten']) {
    const res = await readRecords(ctx, 'observations', `&limit=${limit}`);
    assert.equal([res.status, res.body.code], [400, 'validation_failed'], limit);
  }
  await ctx.api.request.post(`/api/grants/${grant}/revoke`).set(bearer(ctx.tokens.owner));
});

test('an unknown or missing category is 400 validation_failed', async (ctx) => {
  for (const query of ['?category=genome', '?category=observations;drop table x', '']) {
    const res = await ctx.api.request.get(`/api/provider/patients/${ctx.profile}/records${query}`).set(bearer(ctx.tokens.doctor));
    assert.equal([res.status, res.body.code], [400, 'validation_failed'], query);
    assert.ok(res.body.errors.some((e: { in: string; path: string }) => e.in === 'query' && e.path === 'category'));
  }
});

test('the documents category lists the document metadata of a granted profile', async (ctx) => {
  const document = await createDocument(ctx.db.pool, ctx.profile, ctx.users.owner);
  const grant = await ownerGrants(ctx, ['documents']);
  const res = await readRecords(ctx, 'documents');
  assert.is(res.status, 200);
  assert.equal(res.body.records.map((d: { id: string; file_name: string; media_type: string; size_bytes: number; status: string }) =>
    [d.id, d.file_name, d.media_type, d.size_bytes, d.status]), [[document, 'report.pdf', 'application/pdf', 1234, 'uploaded']]);
  const observations = await readRecords(ctx, 'observations');
  assert.equal([observations.status, observations.body.code], [403, 'category_not_granted']);
  await ctx.api.request.post(`/api/grants/${grant}/revoke`).set(bearer(ctx.tokens.owner));
});

test('a profile that granted this provider nothing is 404, the same as one that does not exist; another provider\'s grant does not help', async (ctx) => {
  await grantAccess(ctx.db.pool, { profileId: ctx.ungranted, providerId: ctx.otherProvider, grantedBy: ctx.users.owner, categories: ['observations'] });
  const ungranted = await readRecords(ctx, 'observations', '', ctx.tokens.doctor, ctx.ungranted);
  assert.equal([ungranted.status, ungranted.body.code], [404, 'profile_not_found']);
  const missing = await readRecords(ctx, 'observations', '', ctx.tokens.doctor, '00000000-0000-4000-8000-000000000000');
  assert.equal([missing.status, missing.body.code, missing.body.detail], [404, 'profile_not_found', ungranted.body.detail]);
  const other = await readRecords(ctx, 'observations', '', ctx.tokens.otherDoctor, ctx.ungranted);
  assert.equal(other.body.records.map((r: { name: string }) => r.name), ['Ferritin'], 'the provider it was granted to reads it');
});

test('a signed-in user who is not a provider gets 403 not_a_provider, even the owner of the profile', async (ctx) => {
  for (const token of [ctx.tokens.plain, ctx.tokens.owner]) {
    const list = await ctx.api.request.get('/api/provider/patients').set(bearer(token));
    assert.equal([list.status, list.body.code], [403, 'not_a_provider']);
    const records = await readRecords(ctx, 'observations', '', token);
    assert.equal([records.status, records.body.code], [403, 'not_a_provider']);
  }
});

test('the portal answers 401 token_missing without a token', async (ctx) => {
  for (const res of [
    await ctx.api.request.get('/api/provider/patients'),
    await ctx.api.request.get(`/api/provider/patients/${ctx.profile}/records?category=observations`),
  ]) {
    assert.equal([res.status, res.body.code], [401, 'token_missing']);
  }
});

test('RLS is the gate: as the provider, the clinical tables show nothing without a live grant and only the granted table with one', async (ctx) => {
  const count = (table: 'observations' | 'medications') => ctx.db.asUser(ctx.users.doctor, async (c) =>
    (await c.query<{ n: number }>(`select count(*)::int as n from public.${table} where profile_id = $1::uuid`, [ctx.profile])).rows[0]!.n);
  assert.equal([await count('observations'), await count('medications')], [0, 0], 'no live grant: nothing');
  const grant = await ownerGrants(ctx, ['observations']);
  assert.equal([await count('observations'), await count('medications')], [GLUCOSE.length, 0], 'only the granted table');
  await ctx.api.request.post(`/api/grants/${grant}/revoke`).set(bearer(ctx.tokens.owner));
  assert.equal([await count('observations'), await count('medications')], [0, 0], 'revoked: nothing again');
});

test.run();
