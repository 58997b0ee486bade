import * as assert from 'uvu/assert';
import { insertRecord, lab } from '../helpers/clinical.js';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

interface Entry {
  id: string; occurred_at: string; actor_kind: string; actor_user_id: string | null; actor_is_me: boolean;
  provider: { id: string; display_name: string | null; organization: string | null } | null;
  action: string; resource_type: string | null; resource_id: string | null; outcome: string; request_id: string | null;
  details: Record<string, unknown>;
}

interface Ctx {
  api: TestApi;
  users: Record<'owner' | 'manager' | 'stranger' | 'doctor', string>;
  tokens: Record<'owner' | 'manager' | 'stranger' | 'doctor', string>;
  profile: string;
  provider: string;
  /** x-request-id of each request the setup made, by name. */
  requests: Record<'ownerRead' | 'providerRead' | 'providerDenied' | 'strangerRead', string>;
}

const test = databaseSuite<Ctx>('http: audit trail');
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  const users = {} as Ctx['users'];
  const tokens = {} as Ctx['tokens'];
  for (const name of ['owner', 'manager', 'stranger', 'doctor'] as const) {
    users[name] = await createUser(pool);
    tokens[name] = await ctx.api.tokenFor(users[name]);
  }
  ctx.users = users;
  ctx.tokens = tokens;
  ctx.profile = await createProfile(pool, users.owner, { displayName: 'Audited Person' });
  await addMember(pool, ctx.profile, users.manager, 'manager');
  ctx.provider = await createProvider(pool, users.doctor);
  await grantAccess(pool, { profileId: ctx.profile, providerId: ctx.provider, grantedBy: users.owner, categories: ['observations'] });
  await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', 5.4, 'mmol/L', '2026-01-15T08:00:00Z'));

  const id = (res: { headers: Record<string, string> }) => res.headers['x-request-id']!;
  const ownerRead = await ctx.api.request.get(`/api/profiles/${ctx.profile}`).set(bearer(tokens.owner));
  assert.is(ownerRead.status, 200);
  const providerRead = await ctx.api.request.get(`/api/provider/patients/${ctx.profile}/records?category=observations`).set(bearer(tokens.doctor));
  assert.is(providerRead.status, 200);
  const providerDenied = await ctx.api.request.get(`/api/provider/patients/${ctx.profile}/records?category=medications`).set(bearer(tokens.doctor));
  assert.is(providerDenied.status, 403);
  const strangerRead = await ctx.api.request.get(`/api/profiles/${ctx.profile}`).set(bearer(tokens.stranger));
  assert.is(strangerRead.status, 404);
  ctx.requests = { ownerRead: id(ownerRead), providerRead: id(providerRead), providerDenied: id(providerDenied), strangerRead: id(strangerRead) };
});

async function trail(ctx: Ctx, query = ''): Promise<{ entries: Entry[]; next_before: string | null }> {
  const res = await ctx.api.request.get(`/api/profiles/${ctx.profile}/audit${query}`).set(bearer(ctx.tokens.owner));
  assert.is(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const byRequest = (entries: Entry[], requestId: string) => entries.filter((e) => e.request_id === requestId);

test("the provider's reads show actor_kind provider with the provider's name and organisation", async (ctx) => {
  const { entries } = await trail(ctx);
  const [read] = byRequest(entries, ctx.requests.providerRead);
  assert.ok(read, 'the read is in the trail');
  assert.is(read.actor_kind, 'provider');
  assert.is(read.actor_user_id, ctx.users.doctor);
  assert.is(read.actor_is_me, false);
  assert.equal(read.provider, { id: ctx.provider, display_name: 'Dr Test', organization: 'Test Clinic' });
  assert.equal([read.action, read.resource_type, read.outcome, read.details], ['provider.records.read', 'observations', 'success', { category: 'observations' }]);
  assert.ok(Math.abs(Date.parse(read.occurred_at) - Date.now()) < 60_000);
});

test("the owner's own reads show actor_kind user, marked as mine, with no provider", async (ctx) => {
  const { entries } = await trail(ctx);
  const [read] = byRequest(entries, ctx.requests.ownerRead);
  assert.ok(read);
  assert.equal([read.actor_kind, read.actor_user_id, read.actor_is_me, read.provider], ['user', ctx.users.owner, true, null]);
  assert.equal([read.action, read.resource_type, read.resource_id, read.outcome], ['profile.read', 'profile', ctx.profile, 'success']);
});

test('denied reads are listed with outcome denied: a category not granted, and a stranger probing the profile', async (ctx) => {
  const { entries } = await trail(ctx);
  const [denied] = byRequest(entries, ctx.requests.providerDenied);
  assert.equal([denied?.actor_kind, denied?.provider?.display_name, denied?.action, denied?.details, denied?.outcome],
    ['provider', 'Dr Test', 'provider.records.read', { category: 'medications' }, 'denied']);
  const [probe] = byRequest(entries, ctx.requests.strangerRead);
  assert.equal([probe?.actor_kind, probe?.actor_user_id, probe?.action, probe?.outcome], ['user', ctx.users.stranger, 'profile.read', 'denied']);
});

test('entries come newest first and page with limit and before, without gaps or repeats', async (ctx) => {
  const all = (await trail(ctx, '?limit=200')).entries;
  assert.ok(all.length >= 4, `${all.length} entries`);
  const ids = all.map((e) => BigInt(e.id));
  assert.equal(ids, [...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)), 'newest (highest id) first');
  const order = [ctx.requests.ownerRead, ctx.requests.providerRead, ctx.requests.providerDenied, ctx.requests.strangerRead]
    .map((r) => all.findIndex((e) => e.request_id === r));
  assert.equal(order, [...order].sort((a, b) => b - a), 'the setup requests appear in reverse order');

  const paged: string[] = [];
  let before: string | null = null;
  let pages = 0;
  do {
    const page: { entries: Entry[]; next_before: string | null } = await trail(ctx, `?limit=2${before ? `&before=${before}` : ''}`);
    assert.ok(page.entries.length <= 2);
    paged.push(...page.entries.map((e) => e.id));
    before = page.next_before;
    pages++;
  } while (before && pages < 50);
  // Each page is itself a read of the trail, appended after the request: only entries
  // that existed when paging began must all be seen, in order.
  const original = all.map((e) => e.id);
  assert.equal(paged.filter((id) => original.includes(id)), original);
  assert.equal(new Set(paged).size, paged.length, 'no repeats');
});

test('reading the trail is itself audited (audit.read by the owner)', async (ctx) => {
  const res = await ctx.api.request.get(`/api/profiles/${ctx.profile}/audit?limit=1`).set(bearer(ctx.tokens.owner));
  const { entries } = await trail(ctx, '?limit=200');
  const [entry] = byRequest(entries, res.headers['x-request-id']!);
  assert.equal([entry?.action, entry?.actor_kind, entry?.outcome], ['audit.read', 'user', 'success']);
});

test('a manager gets 403 owner_only, an unrelated user and a provider with a grant 404 or 403, no token 401', async (ctx) => {
  const url = `/api/profiles/${ctx.profile}/audit`;
  const manager = await ctx.api.request.get(url).set(bearer(ctx.tokens.manager));
  assert.equal([manager.status, manager.body.code], [403, 'owner_only']);
  const stranger = await ctx.api.request.get(url).set(bearer(ctx.tokens.stranger));
  assert.equal([stranger.status, stranger.body.code], [404, 'profile_not_found']);
  const doctor = await ctx.api.request.get(url).set(bearer(ctx.tokens.doctor));
  assert.equal([doctor.status, doctor.body.code], [403, 'owner_only'], 'a granted provider sees the profile, not its trail');
  const anonymous = await ctx.api.request.get(url);
  assert.equal([anonymous.status, anonymous.body.code], [401, 'token_missing']);
});

test('bad limit and before are 400 validation_failed', async (ctx) => {
  for (const query of ['?limit=0', '?limit=201', '?before=abc', '?before=-1']) {
    const res = await ctx.api.request.get(`/api/profiles/${ctx.profile}/audit${query}`).set(bearer(ctx.tokens.owner));
    assert.equal([res.status, res.body.code], [400, 'validation_failed'], query);
  }
});

test('RLS decides: as the manager the table shows none of the profile\'s entries, as the owner all of them', async (ctx) => {
  const count = (user: string) => ctx.db.asUser(user, async (c) =>
    (await c.query<{ n: number }>(`select count(*)::int as n from public.audit_log where profile_id = $1::uuid`, [ctx.profile])).rows[0]!.n);
  const { rows } = await ctx.db.pool.query<{ n: number }>(`select count(*)::int as n from public.audit_log where profile_id = $1::uuid`, [ctx.profile]);
  assert.is(await count(ctx.users.owner), rows[0]!.n);
  assert.is(await count(ctx.users.manager), 0);
  assert.is(await count(ctx.users.doctor), 0);
});

test('audit rows cannot be altered: UPDATE and DELETE fail as the owner, and even as the superuser', async (ctx) => {
  const { entries } = await trail(ctx);
  const target = byRequest(entries, ctx.requests.providerDenied)[0]!;
  const attempt = async (sql: string, asOwner: boolean) => {
    try {
      if (asOwner) await ctx.db.asUser(ctx.users.owner, (c) => c.query(sql, [target.id]));
      else await ctx.db.pool.query(sql, [target.id]);
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return 'succeeded';
  };
  const insufficientPrivilege = '42501';
  assert.is(await attempt(`update public.audit_log set outcome = 'success' where id = $1::bigint`, true), insufficientPrivilege);
  assert.is(await attempt(`delete from public.audit_log where id = $1::bigint`, true), insufficientPrivilege);
  assert.is(await attempt(`update public.audit_log set outcome = 'success' where id = $1::bigint`, false), insufficientPrivilege, 'the trigger refuses the superuser too');
  const { rows } = await ctx.db.pool.query(`select outcome from public.audit_log where id = $1::bigint`, [target.id]);
  assert.is(rows[0].outcome, 'denied');
});

test.run();
