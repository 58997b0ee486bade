import * as assert from 'uvu/assert';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

interface Ctx {
  api: TestApi;
  users: Record<'owner' | 'manager' | 'viewer' | 'stranger' | 'doctor', string>;
  tokens: Record<'owner' | 'manager' | 'viewer' | 'stranger' | 'doctor', string>;
  profile: string;
  provider: string;
}

const test = databaseSuite<Ctx>('http: access grants and the provider directory');
const IN_A_WEEK = () => new Date(Date.now() + 7 * 86_400_000).toISOString();
const YESTERDAY = () => new Date(Date.now() - 86_400_000).toISOString();

test.before(async (ctx) => {
  const { pool } = ctx.db;
  ctx.api = await createTestApi(ctx.db);
  const users = {} as Ctx['users'];
  const tokens = {} as Ctx['tokens'];
  for (const name of ['owner', 'manager', 'viewer', 'stranger', 'doctor'] as const) {
    users[name] = await createUser(pool);
    tokens[name] = await ctx.api.tokenFor(users[name]);
  }
  ctx.users = users;
  ctx.tokens = tokens;
  ctx.profile = await createProfile(pool, users.owner, { displayName: 'Grace Owner' });
  await addMember(pool, ctx.profile, users.manager, 'manager');
  await addMember(pool, ctx.profile, users.viewer, 'viewer');
  ctx.provider = await createProvider(pool, users.doctor);
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

test('the owner grants observations to a provider: 201 with the provider, categories, expiry and status live', async (ctx) => {
  const expires = IN_A_WEEK();
  const res = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: ctx.provider, categories: ['medications', 'observations', 'observations'], expires_at: expires });
  assert.is(res.status, 201, JSON.stringify(res.body));
  assert.is(res.body.profile_id, ctx.profile);
  assert.equal(res.body.provider, { id: ctx.provider, display_name: 'Dr Test', organization: 'Test Clinic', identifier: null });
  assert.equal(res.body.categories, ['observations', 'medications'], 'deduplicated, in the fixed category order');
  assert.is(res.body.status, 'live');
  assert.is(res.body.expires_at, expires);
  assert.is(res.body.revoked_at, null);
  assert.is(res.body.granted_by, ctx.users.owner);
  const { rows } = await ctx.db.pool.query(`select profile_id, provider_id, categories, granted_by from public.access_grants where id = $1::uuid`, [res.body.id]);
  assert.equal(rows[0], { profile_id: ctx.profile, provider_id: ctx.provider, categories: ['observations', 'medications'], granted_by: ctx.users.owner });
});

test('a grant without expires_at lasts until revoked (expires_at null)', async (ctx) => {
  const res = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: ctx.provider, categories: ['allergies'] });
  assert.is(res.status, 201);
  assert.is(res.body.expires_at, null);
  assert.is(res.body.status, 'live');
});

test('the owner lists grants with the provider name and status live, expired and revoked; ?status filters', async (ctx) => {
  const { pool } = ctx.db;
  const profile = await createProfile(pool, ctx.users.owner, { displayName: 'Listed' });
  const base = { profileId: profile, providerId: ctx.provider, grantedBy: ctx.users.owner };
  const live = await grantAccess(pool, { ...base, categories: ['observations'] });
  const expired = await grantAccess(pool, { ...base, categories: ['conditions'], expiresAt: YESTERDAY() });
  const revoked = await grantAccess(pool, { ...base, categories: ['documents'], revoked: true });

  const res = await ctx.api.request.get(`/api/profiles/${profile}/grants`).set(bearer(ctx.tokens.owner));
  assert.is(res.status, 200);
  const byId = new Map<string, { status: string; categories: string[]; provider: { display_name: string; organization: string } }>(
    res.body.grants.map((g: { id: string }) => [g.id, g]),
  );
  assert.is(byId.size, 3);
  assert.is(byId.get(live)!.status, 'live');
  assert.is(byId.get(expired)!.status, 'expired');
  assert.is(byId.get(revoked)!.status, 'revoked');
  assert.equal(byId.get(live)!.categories, ['observations']);
  assert.is(byId.get(live)!.provider.display_name, 'Dr Test');
  assert.is(byId.get(live)!.provider.organization, 'Test Clinic');

  const onlyLive = await ctx.api.request.get(`/api/profiles/${profile}/grants?status=live`).set(bearer(ctx.tokens.owner));
  assert.equal(onlyLive.body.grants.map((g: { id: string }) => g.id), [live]);
});

test('a manager and a viewer can neither grant nor list grants: 403 owner_only', async (ctx) => {
  for (const who of ['manager', 'viewer'] as const) {
    const post = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens[who]))
      .send({ provider_id: ctx.provider, categories: ['observations'] });
    assert.is(post.status, 403, who);
    assert.is(post.body.code, 'owner_only');
    const list = await ctx.api.request.get(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens[who]));
    assert.is(list.status, 403, who);
    assert.is(list.body.code, 'owner_only');
  }
  const { rows } = await ctx.db.pool.query(`select count(*)::int as n from public.access_grants where granted_by <> $1::uuid`, [ctx.users.owner]);
  assert.is(rows[0].n, 0, 'no grant was written by anyone else');
});

test('an unrelated user gets 404 for the profile (as for one that does not exist) and for its grants', async (ctx) => {
  const grant = await grantAccess(ctx.db.pool, { profileId: ctx.profile, providerId: ctx.provider, grantedBy: ctx.users.owner, categories: ['observations'] });
  const post = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.stranger))
    .send({ provider_id: ctx.provider, categories: ['observations'] });
  assert.is(post.status, 404);
  assert.is(post.body.code, 'profile_not_found');
  const missing = await ctx.api.request.post(`/api/profiles/00000000-0000-4000-8000-000000000000/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: ctx.provider, categories: ['observations'] });
  assert.equal([missing.status, missing.body.code], [404, 'profile_not_found'], 'same answer for a profile that does not exist');
  const list = await ctx.api.request.get(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.stranger));
  assert.equal([list.status, list.body.code], [404, 'profile_not_found']);
  for (const res of [
    await ctx.api.request.post(`/api/grants/${grant}/revoke`).set(bearer(ctx.tokens.stranger)),
    await ctx.api.request.patch(`/api/grants/${grant}`).set(bearer(ctx.tokens.stranger)).send({ expires_at: IN_A_WEEK() }),
    await ctx.api.request.post(`/api/grants/${grant}/revoke`).set(bearer(ctx.tokens.manager)),
  ]) {
    assert.equal([res.status, res.body.code], [404, 'grant_not_found']);
  }
  const { rows } = await ctx.db.pool.query(`select revoked_at from public.access_grants where id = $1::uuid`, [grant]);
  assert.is(rows[0].revoked_at, null);
});

test('unknown categories, no categories, a past expiry and a malformed provider id are 400 validation_failed', async (ctx) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ provider_id: ctx.provider, categories: ['observations', 'genome'] }, 'categories.1'],
    [{ provider_id: ctx.provider, categories: [] }, 'categories'],
    [{ provider_id: ctx.provider, categories: ['observations'], expires_at: YESTERDAY() }, 'expires_at'],
    [{ provider_id: ctx.provider, categories: ['observations'], expires_at: 'next tuesday' }, 'expires_at'],
    [{ provider_id: 'dr-who', categories: ['observations'] }, 'provider_id'],
  ];
  for (const [body, path] of cases) {
    const res = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner)).send(body);
    assert.is(res.status, 400, JSON.stringify(body));
    assert.is(res.body.code, 'validation_failed');
    assert.ok(res.body.errors.some((e: { in: string; path: string }) => e.in === 'body' && e.path === path), `${path} in ${JSON.stringify(res.body.errors)}`);
  }
  const badPath = await ctx.api.request.get(`/api/profiles/not-a-uuid/grants`).set(bearer(ctx.tokens.owner));
  assert.equal([badPath.status, badPath.body.code], [400, 'validation_failed']);
  const badStatus = await ctx.api.request.get(`/api/profiles/${ctx.profile}/grants?status=maybe`).set(bearer(ctx.tokens.owner));
  assert.equal([badStatus.status, badStatus.body.code], [400, 'validation_failed']);
});

test('a provider id that is not in the directory is 400 provider_not_found', async (ctx) => {
  const res = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: '00000000-0000-4000-8000-00000000beef', categories: ['observations'] });
  assert.equal([res.status, res.body.code], [400, 'provider_not_found']);
});

test('every grant and directory route answers 401 token_missing without a token', async (ctx) => {
  const grant = '00000000-0000-4000-8000-000000000001';
  const responses = [
    await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).send({ provider_id: ctx.provider, categories: ['observations'] }),
    await ctx.api.request.get(`/api/profiles/${ctx.profile}/grants`),
    await ctx.api.request.post(`/api/grants/${grant}/revoke`),
    await ctx.api.request.patch(`/api/grants/${grant}`).send({ expires_at: null }),
    await ctx.api.request.get('/api/providers?q=test'),
  ];
  for (const res of responses) {
    assert.is(res.status, 401);
    assert.is(res.body.code, 'token_missing');
  }
});

test('revoke sets revoked_at and status revoked; revoking again is 200 with the same revoked_at', async (ctx) => {
  const created = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: ctx.provider, categories: ['observations'], expires_at: IN_A_WEEK() });
  const first = await ctx.api.request.post(`/api/grants/${created.body.id}/revoke`).set(bearer(ctx.tokens.owner));
  assert.is(first.status, 200);
  assert.is(first.body.status, 'revoked');
  assert.ok(Math.abs(Date.parse(first.body.revoked_at) - Date.now()) < 60_000);
  const again = await ctx.api.request.post(`/api/grants/${created.body.id}/revoke`).set(bearer(ctx.tokens.owner));
  assert.is(again.status, 200);
  assert.is(again.body.revoked_at, first.body.revoked_at);
  const { rows } = await ctx.db.pool.query(`select revoked_at from public.access_grants where id = $1::uuid`, [created.body.id]);
  assert.is(rows[0].revoked_at.toISOString(), first.body.revoked_at);
});

test('PATCH shortens and extends a live grant, and null makes it last until revoked', async (ctx) => {
  const created = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: ctx.provider, categories: ['observations'], expires_at: IN_A_WEEK() });
  const sooner = new Date(Date.now() + 3_600_000).toISOString();
  const shortened = await ctx.api.request.patch(`/api/grants/${created.body.id}`).set(bearer(ctx.tokens.owner)).send({ expires_at: sooner });
  assert.is(shortened.status, 200);
  assert.is(shortened.body.expires_at, sooner);
  const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
  const extended = await ctx.api.request.patch(`/api/grants/${created.body.id}`).set(bearer(ctx.tokens.owner)).send({ expires_at: later });
  assert.is(extended.body.expires_at, later);
  const open = await ctx.api.request.patch(`/api/grants/${created.body.id}`).set(bearer(ctx.tokens.owner)).send({ expires_at: null });
  assert.equal([open.status, open.body.expires_at, open.body.status], [200, null, 'live']);
  const past = await ctx.api.request.patch(`/api/grants/${created.body.id}`).set(bearer(ctx.tokens.owner)).send({ expires_at: YESTERDAY() });
  assert.equal([past.status, past.body.code], [400, 'validation_failed'], 'use revoke to end a grant now');
  const missing = await ctx.api.request.patch(`/api/grants/${created.body.id}`).set(bearer(ctx.tokens.owner)).send({});
  assert.equal([missing.status, missing.body.code], [400, 'validation_failed']);
});

test('a revoked or expired grant cannot be changed: 409 grant_not_live, the row unchanged', async (ctx) => {
  const { pool } = ctx.db;
  const base = { profileId: ctx.profile, providerId: ctx.provider, grantedBy: ctx.users.owner, categories: ['observations'] };
  const revoked = await grantAccess(pool, { ...base, revoked: true });
  const expiredAt = YESTERDAY();
  const expired = await grantAccess(pool, { ...base, expiresAt: expiredAt });
  const r = await ctx.api.request.patch(`/api/grants/${revoked}`).set(bearer(ctx.tokens.owner)).send({ expires_at: IN_A_WEEK() });
  assert.equal([r.status, r.body.code, r.body.status_of_grant], [409, 'grant_not_live', 'revoked']);
  const e = await ctx.api.request.patch(`/api/grants/${expired}`).set(bearer(ctx.tokens.owner)).send({ expires_at: null });
  assert.equal([e.status, e.body.code, e.body.status_of_grant], [409, 'grant_not_live', 'expired']);
  const { rows } = await pool.query(`select id, expires_at from public.access_grants where id = any($1::uuid[]) order by id`, [[revoked, expired]]);
  const byId = new Map(rows.map((row: { id: string; expires_at: Date | null }) => [row.id, row.expires_at]));
  assert.is(byId.get(revoked), null);
  assert.is(byId.get(expired)!.toISOString(), expiredAt);
});

test('the provider sees the grant but may not revoke or change it: 403 owner_only', async (ctx) => {
  const grant = await grantAccess(ctx.db.pool, { profileId: ctx.profile, providerId: ctx.provider, grantedBy: ctx.users.owner, categories: ['observations'] });
  const revoke = await ctx.api.request.post(`/api/grants/${grant}/revoke`).set(bearer(ctx.tokens.doctor));
  assert.equal([revoke.status, revoke.body.code], [403, 'owner_only']);
  const patch = await ctx.api.request.patch(`/api/grants/${grant}`).set(bearer(ctx.tokens.doctor)).send({ expires_at: null });
  assert.equal([patch.status, patch.body.code], [403, 'owner_only']);
  const list = await ctx.api.request.get(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.doctor));
  assert.equal([list.status, list.body.code], [403, 'owner_only'], 'a granted provider sees the profile, not its grant list');
  const { rows } = await ctx.db.pool.query(`select revoked_at from public.access_grants where id = $1::uuid`, [grant]);
  assert.is(rows[0].revoked_at, null);
});

test('the provider directory matches name or organisation, case-insensitively and literally, at most 20, without user ids', async (ctx) => {
  const { pool } = ctx.db;
  for (let i = 0; i < 25; i++) {
    await pool.query(`insert into public.providers (display_name, organization) values ($1::text, 'Harbour Health')`, [`Dr Zed ${String(i).padStart(2, '0')}`]);
  }
  await pool.query(`insert into public.providers (display_name, organization, identifier) values ('Ana Percent', 'The 100% Clinic', 'MED0001')`);

  const byName = await ctx.api.request.get('/api/providers?q=zed').set(bearer(ctx.tokens.owner));
  assert.is(byName.status, 200);
  assert.is(byName.body.providers.length, 20, 'capped at 20 of 25');
  assert.equal(byName.body.providers.slice(0, 2).map((p: { display_name: string }) => p.display_name), ['Dr Zed 00', 'Dr Zed 01'], 'by name');
  assert.equal(Object.keys(byName.body.providers[0]).sort(), ['display_name', 'id', 'identifier', 'organization']);

  const byOrganisation = await ctx.api.request.get('/api/providers?q=100%25').set(bearer(ctx.tokens.owner));
  assert.equal(byOrganisation.body.providers, [{ id: byOrganisation.body.providers[0].id, display_name: 'Ana Percent', organization: 'The 100% Clinic', identifier: 'MED0001' }]);
  const wildcard = await ctx.api.request.get('/api/providers?q=%25').set(bearer(ctx.tokens.owner));
  assert.equal(wildcard.body.providers.map((p: { display_name: string }) => p.display_name), ['Ana Percent'], '% is matched literally, not as a wildcard');
  const none = await ctx.api.request.get('/api/providers?q=nobody-by-this-name').set(bearer(ctx.tokens.owner));
  assert.equal(none.body.providers, []);
  const tooLong = await ctx.api.request.get(`/api/providers?q=${'x'.repeat(101)}`).set(bearer(ctx.tokens.owner));
  assert.equal([tooLong.status, tooLong.body.code], [400, 'validation_failed']);
});

test("grant changes are in the owner's audit trail with the grant's profile, including a refused revoke", async (ctx) => {
  const created = await ctx.api.request.post(`/api/profiles/${ctx.profile}/grants`).set(bearer(ctx.tokens.owner))
    .send({ provider_id: ctx.provider, categories: ['observations'] });
  await ctx.api.request.post(`/api/grants/${created.body.id}/revoke`).set(bearer(ctx.tokens.doctor));
  await ctx.api.request.post(`/api/grants/${created.body.id}/revoke`).set(bearer(ctx.tokens.owner));
  const { rows } = await ctx.db.pool.query(
    `select action, actor_user_id, profile_id, resource_id, outcome from public.audit_log
     where action in ('grant.create', 'grant.revoke') and resource_id = $1::text
     order by id`,
    [created.body.id],
  );
  assert.equal(rows, [
    { action: 'grant.create', actor_user_id: ctx.users.owner, profile_id: ctx.profile, resource_id: created.body.id, outcome: 'success' },
    { action: 'grant.revoke', actor_user_id: ctx.users.doctor, profile_id: ctx.profile, resource_id: created.body.id, outcome: 'denied' },
    { action: 'grant.revoke', actor_user_id: ctx.users.owner, profile_id: ctx.profile, resource_id: created.body.id, outcome: 'success' },
  ]);
});

test.run();
