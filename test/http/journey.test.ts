import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { recomputeJourney } from '../../src/consumers/journey/recompute.js';
import { mintToken } from '../../src/auth/tokens.js';
import { encodeCursor } from '../../src/http/api/cursor.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { insertRecord, lab } from '../helpers/clinical.js';
import { addMember, createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite, type DatabaseContext } from '../helpers/suite.js';

interface Entry { id: string; kind: string; category: string; occurred_at: string; title: string; record_ids: string[]; document_ids: string[] }
interface Ctx {
  api: TestApi;
  profile: string;
  users: Record<string, string>;
  providers: Record<string, string>;
  grants: Record<string, string>;
  document: string;
}

const test = databaseSuite<Ctx>('http: healthcare journey');

// 12 monthly fasting glucose results in 2025 (one document), the last one high.
const GLUCOSE = Array.from({ length: 12 }, (_, i) => ({ at: new Date(Date.UTC(2025, i, 15, 8)).toISOString(), value: i === 11 ? 7.4 : 5 + i / 10 }));

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  const users: Record<string, string> = {};
  for (const name of ['owner', 'viewer', 'stranger', 'labsOnly', 'medsOnly', 'full', 'outsider']) users[name] = await createUser(pool);
  ctx.users = users;
  ctx.profile = await createProfile(pool, users.owner!, { displayName: 'Jordan Example' });
  await addMember(pool, ctx.profile, users.viewer!, 'viewer');
  // A profile of the stranger's own, so "someone else's profile" is a real row.
  await createProfile(pool, users.stranger!);
  ctx.providers = {};
  ctx.grants = {};
  for (const [who, categories] of [
    ['labsOnly', ['observations']],
    ['medsOnly', ['medications']],
    ['full', ['observations', 'medications', 'conditions', 'allergies', 'immunizations', 'encounters', 'documents']],
  ] as const) {
    ctx.providers[who] = await createProvider(pool, users[who]!);
    ctx.grants[who] = await grantAccess(pool, { profileId: ctx.profile, providerId: ctx.providers[who]!, grantedBy: users.owner!, categories: [...categories] });
  }

  ctx.document = await createDocument(pool, ctx.profile, users.owner!);
  for (const g of GLUCOSE) {
    await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', g.value, 'mmol/L', g.at, { reference_low: 3.9, reference_high: 5.5, source_document_id: ctx.document }));
  }
  for (const [i, bpm] of [72, 75, 70].entries()) {
    await insertRecord(pool, 'observations', ctx.profile, lab('Heart rate', bpm, '/min', `2026-0${i + 1}-10T09:00:00Z`, { category: 'vital-signs' }));
  }
  // Three medications started the same day: three entries with one timestamp (the id breaks the tie).
  for (const name of ['Metformin', 'Atorvastatin', 'Lisinopril']) {
    await insertRecord(pool, 'medications', ctx.profile, { name, start_date: '2024-06-01', dose_text: '1 tablet daily' });
  }
  await insertRecord(pool, 'conditions', ctx.profile, { name: 'Type 2 diabetes', onset_date: '2024-05-20' });
  await insertRecord(pool, 'immunizations', ctx.profile, { vaccine: 'Influenza', occurrence_date: '2025-10-01' });
  // Two visits in the same millisecond, 543 µs apart: a millisecond cursor would lose one.
  await insertRecord(pool, 'encounters', ctx.profile, { start_at: '2025-02-02T10:00:00.123456Z' });
  await insertRecord(pool, 'encounters', ctx.profile, { start_at: '2025-02-02T10:00:00.123999Z' });
  await recomputeJourney(pool, ctx.profile);
});

const get = async (ctx: Ctx, user: string, query: Record<string, string>, path = '/api/healthcare-journey') =>
  ctx.api.request.get(path).query(query).set('authorization', `Bearer ${await ctx.api.tokenFor(ctx.users[user]!)}`);

/** The timeline as the database holds it, in the api's order (superuser: everything). */
async function dbTimeline(ctx: Ctx & DatabaseContext, where = 'true', params: unknown[] = []): Promise<string[]> {
  const { rows } = await ctx.db.pool.query<{ id: string }>(
    `select id from public.journey_timeline where profile_id = $1::uuid and (${where}) order by occurred_at desc, id`,
    [ctx.profile, ...params],
  );
  return rows.map((r) => r.id);
}

async function walk(ctx: Ctx, user: string, query: Record<string, string>): Promise<{ ids: string[]; pages: number; entries: Entry[] }> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await get(ctx, user, { profile: ctx.profile, ...query, ...(cursor ? { cursor } : {}) });
    assert.is(res.status, 200, JSON.stringify(res.body));
    pages += 1;
    assert.ok(res.body.timeline.entries.length <= Number(query.limit ?? 50));
    entries.push(...res.body.timeline.entries);
    cursor = res.body.timeline.next_cursor;
    assert.ok(pages < 100, 'the cursor must end');
  } while (cursor);
  return { ids: entries.map((e) => e.id), pages, entries };
}

test('the owner gets summary, timeline and lab series', async (ctx) => {
  const res = await get(ctx, 'owner', { profile: ctx.profile });
  assert.is(res.status, 200, JSON.stringify(res.body));
  const body = res.body;
  assert.is(body.profile_id, ctx.profile);
  // 12 glucose days + 3 heart-rate days + 3 medication starts + 1 diagnosis + 1 immunization + 2 encounters + 1 document.
  const all = await dbTimeline(ctx);
  assert.is(all.length, 23);
  assert.equal(body.timeline.entries.map((e: Entry) => e.id), all.slice(0, 50));
  assert.is(body.timeline.next_cursor, null);
  const kinds = body.timeline.entries.map((e: Entry) => e.kind);
  assert.is(kinds.filter((k: string) => k === 'results').length, 15);
  assert.is(kinds.filter((k: string) => k === 'medication_start').length, 3);
  assert.is(kinds.filter((k: string) => k === 'diagnosis').length, 1);
  assert.is(kinds.filter((k: string) => k === 'immunization').length, 1);
  assert.is(kinds.filter((k: string) => k === 'encounter').length, 2);
  // Newest first: the document (uploaded today), then the latest heart rate (2026-03-10).
  assert.is(body.timeline.entries[0].kind, 'document');
  assert.equal(body.timeline.entries[0].document_ids, [ctx.document]);
  assert.is(body.timeline.entries[1].occurred_at, '2026-03-10T09:00:00.000Z');
  assert.is(body.timeline.entries[1].kind, 'results');
  const december = body.timeline.entries.find((e: Entry) => e.occurred_at === GLUCOSE[11]!.at);
  assert.equal(december.document_ids, [ctx.document]);
  assert.is(december.category, 'observations');

  assert.equal(body.summary.active_medications.map((m: { name: string }) => m.name), ['Atorvastatin', 'Lisinopril', 'Metformin']);
  assert.is(body.summary.active_medications[0].dose, '1 tablet daily');
  assert.equal(body.summary.active_problems.map((p: { name: string }) => p.name), ['Type 2 diabetes']);
  assert.is(body.summary.counts.observations, 15);
  assert.is(body.summary.counts.medications, 3);
  assert.is(body.summary.latest_vitals.length, 1);
  assert.is(body.summary.latest_vitals[0].value, 70);

  const glucose = body.lab_series.find((s: { name: string }) => s.name === 'Glucose');
  assert.ok(glucose, JSON.stringify(body.lab_series));
  assert.is(glucose.point_count, 12);
  assert.is(glucose.latest_value, 7.4);
  assert.is(glucose.latest_at, GLUCOSE[11]!.at);
  assert.is(glucose.unit, 'mmol/L');
  assert.is(glucose.reference_high, 5.5);
  assert.is(body.lab_series.length, 2);
  assert.is(body.lab_series[0].name, 'Heart rate', 'most recently measured first');
  assert.is(body.lab_series_truncated, false);
  assert.not.ok('points' in glucose, 'headers only');
});

test('a viewer member reads the whole journey too', async (ctx) => {
  const res = await get(ctx, 'viewer', { profile: ctx.profile });
  assert.is(res.status, 200);
  assert.equal(res.body.timeline.entries.map((e: Entry) => e.id), (await dbTimeline(ctx)).slice(0, 50));
  assert.ok(res.body.summary);
});

test('the cursor walks every entry exactly once, in order, across equal and sub-millisecond timestamps', async (ctx) => {
  const all = await dbTimeline(ctx);
  for (const limit of ['1', '3', '7']) {
    const { ids, pages } = await walk(ctx, 'owner', { limit });
    assert.equal(ids, all, `limit ${limit}`);
    assert.is(new Set(ids).size, ids.length);
    assert.is(pages, Math.ceil(all.length / Number(limit)));
  }
  // The same-day medications and the same-millisecond encounters are neighbours on some page boundary at limit 1.
  const { entries } = await walk(ctx, 'owner', { limit: '1', kind: 'encounter' });
  assert.is(entries.length, 2);
  assert.ok(entries[0]!.occurred_at === entries[1]!.occurred_at, 'both round to the same millisecond in JSON');
});

test('kind filters: one kind, several (comma-separated or repeated), with paging', async (ctx) => {
  const results = await walk(ctx, 'owner', { kind: 'results', limit: '4' });
  assert.equal(results.ids, await dbTimeline(ctx, `kind = 'results'`));
  assert.is(results.ids.length, 15);
  assert.ok(results.entries.every((e) => e.kind === 'results'));

  const two = await walk(ctx, 'owner', { kind: 'medication_start,diagnosis' });
  assert.equal(two.ids, await dbTimeline(ctx, `kind in ('medication_start', 'diagnosis')`));
  assert.is(two.ids.length, 4);

  const repeated = await ctx.api.request.get(`/api/healthcare-journey?profile=${ctx.profile}&kind=diagnosis&kind=immunization`)
    .set('authorization', `Bearer ${await ctx.api.tokenFor(ctx.users.owner!)}`);
  assert.is(repeated.status, 200);
  assert.equal(repeated.body.timeline.entries.map((e: Entry) => e.kind).sort(), ['diagnosis', 'immunization']);
});

test('from/to filter by UTC day, both ends inclusive, combined with kind and paging', async (ctx) => {
  const { ids, entries } = await walk(ctx, 'owner', { from: '2025-03-15', to: '2025-05-15', limit: '2' });
  assert.equal(ids, await dbTimeline(ctx, `occurred_at >= '2025-03-15T00:00:00Z' and occurred_at < '2025-05-16T00:00:00Z'`));
  // Glucose on 15 March, April and May (the first and last on the boundary days).
  assert.equal(entries.map((e) => e.occurred_at), [GLUCOSE[4]!.at, GLUCOSE[3]!.at, GLUCOSE[2]!.at]);

  const since = await walk(ctx, 'owner', { from: '2026-01-01', kind: 'results' });
  assert.equal(since.entries.map((e) => e.occurred_at), ['2026-03-10T09:00:00.000Z', '2026-02-10T09:00:00.000Z', '2026-01-10T09:00:00.000Z']);
  const until = await walk(ctx, 'owner', { to: '2024-12-31', kind: 'medication_start' });
  assert.is(until.ids.length, 3);
  const none = await walk(ctx, 'owner', { from: '2030-01-01' });
  assert.equal(none.ids, []);
});

test('invalid input is 400 validation_failed, naming the parameter', async (ctx) => {
  const junkJson = Buffer.from('{"us":"12","id":"not-a-uuid"}').toString('base64url');
  const extra = encodeCursor({ us: '1', id: randomUUID() }).slice(0, -2) + '__';
  for (const [query, path] of [
    [{ profile: 'not-a-uuid' }, 'profile'],
    [{}, 'profile'],
    [{ profile: ctx.profile, cursor: 'xyz' }, 'cursor'],
    [{ profile: ctx.profile, cursor: 'not base64!' }, 'cursor'],
    [{ profile: ctx.profile, cursor: junkJson }, 'cursor'],
    [{ profile: ctx.profile, cursor: extra }, 'cursor'],
    [{ profile: ctx.profile, cursor: Buffer.from('[1,2]').toString('base64url') }, 'cursor'],
    // Outside years 1–9999 (the first instant of 10000, the last microsecond before year 1).
    [{ profile: ctx.profile, cursor: encodeCursor({ us: '253402300800000000', id: randomUUID() }) }, 'cursor'],
    [{ profile: ctx.profile, cursor: encodeCursor({ us: '-62135596800000001', id: randomUUID() }) }, 'cursor'],
    [{ profile: ctx.profile, limit: '0' }, 'limit'],
    [{ profile: ctx.profile, limit: '201' }, 'limit'],
    [{ profile: ctx.profile, limit: 'ten' }, 'limit'],
    [{ profile: ctx.profile, kind: 'results,gossip' }, 'kind'],
    [{ profile: ctx.profile, from: '2025-13-01' }, 'from'],
    [{ profile: ctx.profile, from: '2025-06-01', to: '2025-05-01' }, 'from'],
  ] as const) {
    const res = await get(ctx, 'owner', query as Record<string, string>);
    assert.is(res.status, 400, JSON.stringify(query));
    assert.is(res.body.code, 'validation_failed');
    assert.ok(res.body.errors.some((e: { in: string; path: string }) => e.in === 'query' && e.path.startsWith(path)), JSON.stringify(res.body.errors));
  }
  // The limit's bounds themselves are fine.
  assert.is((await get(ctx, 'owner', { profile: ctx.profile, limit: '200' })).status, 200);
  // A well-formed cursor that points past everything is just an empty page.
  const past = await get(ctx, 'owner', { profile: ctx.profile, cursor: encodeCursor({ us: '0', id: randomUUID() }) });
  assert.is(past.status, 200);
  assert.equal(past.body.timeline.entries, []);
  // So are the first and last instants a cursor can name.
  for (const us of ['-62135596800000000', '253402300799999999']) {
    const edge = await get(ctx, 'owner', { profile: ctx.profile, cursor: encodeCursor({ us, id: randomUUID() }) });
    assert.is(edge.status, 200, us);
    assert.is(edge.body.timeline.entries.length, us.startsWith('-') ? 0 : (await get(ctx, 'owner', { profile: ctx.profile })).body.timeline.entries.length, us);
  }
});

test('401 without a token, with an expired one and with a forged one', async (ctx) => {
  const path = `/api/healthcare-journey?profile=${ctx.profile}`;
  const none = await ctx.api.request.get(path);
  assert.is(none.status, 401);
  assert.is(none.body.code, 'token_missing');
  // mintToken refuses expiresInSeconds < 1, so the expired token is signed here: the
  // api's own secret and Supabase's claims, expired a minute ago.
  const now = Math.floor(Date.now() / 1000);
  const expiredToken = await new SignJWT({ role: 'authenticated' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(ctx.users.owner!).setAudience(ctx.api.auth.audience).setIssuedAt(now - 3600).setExpirationTime(now - 60)
    .sign(new TextEncoder().encode(ctx.api.auth.jwtSecret!));
  const expired = await ctx.api.request.get(path).set('authorization', `Bearer ${expiredToken}`);
  assert.is(expired.status, 401);
  assert.is(expired.body.code, 'token_expired');
  const forgedToken = await mintToken({ ...ctx.api.auth, jwtSecret: 'another-secret-that-is-long-enough-0123456789' }, { userId: ctx.users.owner! });
  const forged = await ctx.api.request.get(path).set('authorization', `Bearer ${forgedToken}`);
  assert.is(forged.status, 401);
  assert.is(forged.body.code, 'token_invalid');
  for (const res of [none, expired, forged]) {
    assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
    assert.is(res.headers['www-authenticate']?.startsWith('Bearer'), true);
    assert.not.ok(JSON.stringify(res.body).includes('Glucose'));
  }
});

test("404 for someone else's profile, with the same body as for a profile that does not exist", async (ctx) => {
  const other = await get(ctx, 'stranger', { profile: ctx.profile });
  const missing = await get(ctx, 'stranger', { profile: randomUUID() });
  assert.is(other.status, 404);
  assert.is(missing.status, 404);
  const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
  assert.equal(strip(other.body), strip(missing.body));
  assert.is(other.body.code, 'profile_not_found');
  // A provider never granted anything is a stranger too.
  const outsider = await get(ctx, 'outsider', { profile: ctx.profile });
  assert.equal(strip(outsider.body), strip(missing.body));
  const series = await get(ctx, 'stranger', { profile: ctx.profile }, '/api/healthcare-journey/series/name%3Aglucose');
  assert.is(series.status, 404);
  assert.is(series.body.code, 'profile_not_found');
});

test("a provider with an 'observations' grant sees results and series, no summary and no medications", async (ctx) => {
  const { entries } = await walk(ctx, 'labsOnly', { limit: '10' });
  assert.equal(entries.map((e) => e.id), await dbTimeline(ctx, `category = 'observations'`));
  assert.is(entries.length, 15);
  assert.ok(entries.every((e) => e.kind === 'results'));
  const res = await get(ctx, 'labsOnly', { profile: ctx.profile });
  assert.is(res.body.summary, null);
  assert.is(res.body.lab_series.length, 2);
  const meds = await get(ctx, 'labsOnly', { profile: ctx.profile, kind: 'medication_start' });
  assert.equal(meds.body.timeline.entries, []);

  // A medications-only grant: the medication entries, but no series and no summary.
  const medsOnly = await walk(ctx, 'medsOnly', {});
  assert.equal(medsOnly.entries.map((e) => e.kind), ['medication_start', 'medication_start', 'medication_start']);
  const medsBody = (await get(ctx, 'medsOnly', { profile: ctx.profile })).body;
  assert.equal(medsBody.lab_series, []);
  assert.is(medsBody.summary, null);
  const key = encodeURIComponent(res.body.lab_series[0].series_key);
  const hidden = await get(ctx, 'medsOnly', { profile: ctx.profile }, `/api/healthcare-journey/series/${key}`);
  assert.is(hidden.status, 404);
  assert.is(hidden.body.code, 'series_not_found');
});

test('one series: points newest first, paged by cursor, with the header', async (ctx) => {
  const headers = (await get(ctx, 'owner', { profile: ctx.profile })).body.lab_series as { series_key: string; name: string }[];
  const glucose = headers.find((s) => s.name === 'Glucose')!;
  const path = `/api/healthcare-journey/series/${encodeURIComponent(glucose.series_key)}`;
  const first = await get(ctx, 'owner', { profile: ctx.profile }, path);
  assert.is(first.status, 200, JSON.stringify(first.body));
  assert.is(first.body.series.series_key, glucose.series_key);
  assert.is(first.body.series.point_count, 12);
  assert.equal(first.body.points.entries.map((p: { effective_at: string }) => p.effective_at), GLUCOSE.map((g) => g.at).reverse());
  assert.equal(first.body.points.entries.map((p: { value: number }) => p.value), GLUCOSE.map((g) => g.value).reverse());
  assert.is(first.body.points.entries[0].document_id, ctx.document);
  assert.is(first.body.points.entries[0].reference_high, 5.5);
  assert.is(first.body.points.next_cursor, null);

  const seen: number[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(ctx, 'labsOnly', { profile: ctx.profile, limit: '5', ...(cursor ? { cursor } : {}) }, path);
    assert.is(res.status, 200);
    assert.ok(res.body.points.entries.length <= 5);
    seen.push(...res.body.points.entries.map((p: { value: number }) => p.value));
    cursor = res.body.points.next_cursor;
  } while (cursor);
  assert.equal(seen, GLUCOSE.map((g) => g.value).reverse());

  const unknown = await get(ctx, 'owner', { profile: ctx.profile }, '/api/healthcare-journey/series/name%3Anothing%20here');
  assert.is(unknown.status, 404);
  assert.is(unknown.body.code, 'series_not_found');
  const badCursor = await get(ctx, 'owner', { profile: ctx.profile, cursor: 'nope' }, path);
  assert.is(badCursor.status, 400);
  assert.is(badCursor.body.code, 'validation_failed');
});

test('a revoked grant stops access at once', async (ctx) => {
  assert.is((await get(ctx, 'full', { profile: ctx.profile })).status, 200);
  const full = await get(ctx, 'full', { profile: ctx.profile });
  assert.ok(full.body.summary, 'all four summarised categories granted');
  await ctx.db.pool.query(`update public.access_grants set revoked_at = now() where id = $1::uuid`, [ctx.grants.full]);
  const after = await get(ctx, 'full', { profile: ctx.profile });
  assert.is(after.status, 404);
  assert.is(after.body.code, 'profile_not_found');
});

test('journey reads are audited: who, as what, and the outcome', async (ctx) => {
  const audit = async (requestId: string) => (await ctx.db.pool.query<{
    action: string; outcome: string; actor_kind: string; provider_id: string | null; profile_id: string | null; actor_user_id: string;
  }>(`select action, outcome, actor_kind, provider_id, profile_id, actor_user_id from public.audit_log where request_id = $1`, [requestId])).rows;

  const owner = await get(ctx, 'owner', { profile: ctx.profile });
  assert.equal(await audit(owner.headers['x-request-id']!), [
    { action: 'journey.read', outcome: 'success', actor_kind: 'user', provider_id: null, profile_id: ctx.profile, actor_user_id: ctx.users.owner! },
  ]);
  const provider = await get(ctx, 'labsOnly', { profile: ctx.profile });
  assert.equal(await audit(provider.headers['x-request-id']!), [
    { action: 'journey.read', outcome: 'success', actor_kind: 'provider', provider_id: ctx.providers.labsOnly!, profile_id: ctx.profile, actor_user_id: ctx.users.labsOnly! },
  ]);
  const denied = await get(ctx, 'stranger', { profile: ctx.profile });
  const deniedRows = await audit(denied.headers['x-request-id']!);
  assert.is(deniedRows.length, 1);
  assert.is(deniedRows[0]!.outcome, 'denied');
  assert.is(deniedRows[0]!.actor_kind, 'user');
  const series = await get(ctx, 'labsOnly', { profile: ctx.profile }, '/api/healthcare-journey/series/name%3Aglucose');
  const seriesRows = await audit(series.headers['x-request-id']!);
  assert.is(seriesRows[0]!.action, 'journey.series.read');
  assert.is(seriesRows[0]!.actor_kind, 'provider');
});

test.run();
