import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { recomputeJourney } from '../../src/consumers/journey/recompute.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { insertRecord } from '../helpers/clinical.js';
import { addMember, createDocument, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite<{ api: TestApi; owner: string; token: string }>('api: profiles');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db);
  ctx.owner = await createUser(ctx.db.pool);
  ctx.token = await ctx.api.tokenFor(ctx.owner);
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

test('a user creates profiles and lists them with their summary (the profile switcher)', async (ctx) => {
  const created = await ctx.api.request.post('/api/profiles').set(auth(ctx.token))
    .send({ display_name: 'Sam', relationship: 'child', birth_date: '2019-09-03', sex: 'male' });
  assert.is(created.status, 201);
  assert.equal([created.body.display_name, created.body.role, created.body.birth_date, created.body.open_alerts], ['Sam', 'owner', '2019-09-03', 0]);
  await insertRecord(ctx.db.pool, 'medications', created.body.id, { name: 'Salbutamol' });
  await createDocument(ctx.db.pool, created.body.id, ctx.owner);
  await recomputeJourney(ctx.db.pool, created.body.id);

  const list = await ctx.api.request.get('/api/profiles').set(auth(ctx.token));
  assert.is(list.status, 200);
  const sam = list.body.profiles.find((p: { id: string }) => p.id === created.body.id);
  assert.equal([sam.documents_in_progress, sam.counts.medications, sam.role], [1, 1, 'owner']);
  assert.ok(sam.last_activity_at);
  const stranger = await ctx.api.tokenFor(await createUser(ctx.db.pool));
  const theirs = await ctx.api.request.get('/api/profiles').set(auth(stranger));
  assert.equal(theirs.body.profiles, []);
});

test('updating and archiving: owners and managers may, viewers get 403, strangers 404 like a missing profile', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner, { displayName: 'Pat' });
  const viewer = await createUser(ctx.db.pool);
  const manager = await createUser(ctx.db.pool);
  await addMember(ctx.db.pool, profile, viewer, 'viewer');
  await addMember(ctx.db.pool, profile, manager, 'manager');

  const byManager = await ctx.api.request.patch(`/api/profiles/${profile}`).set(auth(await ctx.api.tokenFor(manager))).send({ display_name: 'Patricia' });
  assert.equal([byManager.status, byManager.body.display_name, byManager.body.role], [200, 'Patricia', 'manager']);
  const byViewer = await ctx.api.request.patch(`/api/profiles/${profile}`).set(auth(await ctx.api.tokenFor(viewer))).send({ display_name: 'X' });
  assert.equal([byViewer.status, byViewer.body.code], [403, 'profile_read_only']);
  const stranger = await ctx.api.tokenFor(await createUser(ctx.db.pool));
  const hidden = await ctx.api.request.patch(`/api/profiles/${profile}`).set(auth(stranger)).send({ display_name: 'X' });
  const missing = await ctx.api.request.patch(`/api/profiles/${randomUUID()}`).set(auth(stranger)).send({ display_name: 'X' });
  assert.equal([hidden.status, hidden.body.code, hidden.body.detail], [404, 'profile_not_found', missing.body.detail]);
  assert.is(missing.status, 404);

  const archived = await ctx.api.request.post(`/api/profiles/${profile}/archive`).set(auth(ctx.token));
  assert.is(archived.status, 200);
  assert.ok(archived.body.archived_at);
  const list = await ctx.api.request.get('/api/profiles').set(auth(ctx.token));
  assert.not.ok(list.body.profiles.some((p: { id: string }) => p.id === profile));
  const all = await ctx.api.request.get('/api/profiles?include_archived=true').set(auth(ctx.token));
  assert.ok(all.body.profiles.some((p: { id: string }) => p.id === profile));
});

test('a provider with a grant reads the profile without a role; the grant revoked, it is gone at once', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const doctor = await createUser(ctx.db.pool);
  const grant = await grantAccess(ctx.db.pool, { profileId: profile, providerId: await createProvider(ctx.db.pool, doctor), grantedBy: ctx.owner, categories: ['observations'] });
  const token = await ctx.api.tokenFor(doctor);
  const seen = await ctx.api.request.get(`/api/profiles/${profile}`).set(auth(token));
  assert.equal([seen.status, seen.body.role], [200, null]);
  await ctx.db.pool.query(`update public.access_grants set revoked_at = now() where id = $1::uuid`, [grant]);
  assert.is((await ctx.api.request.get(`/api/profiles/${profile}`).set(auth(token))).status, 404);
});

test('invitations: the owner invites an email, that person accepts and becomes a member; others cannot accept', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const invited = await ctx.api.request.post(`/api/profiles/${profile}/invitations`).set(auth(ctx.token)).send({ email: 'Jordan@Example.test', role: 'manager' });
  assert.equal([invited.status, invited.body.email, invited.body.role], [201, 'jordan@example.test', 'manager']);
  const jordan = await createUser(ctx.db.pool, 'jordan@example.test');
  const mallory = await createUser(ctx.db.pool, 'mallory@example.test');
  const stolen = await ctx.api.request.post(`/api/invitations/${invited.body.id}/accept`).set(auth(await ctx.api.tokenFor(mallory, { email: 'mallory@example.test' })));
  assert.equal([stolen.status, stolen.body.code], [404, 'invitation_not_found']);
  const accepted = await ctx.api.request.post(`/api/invitations/${invited.body.id}/accept`).set(auth(await ctx.api.tokenFor(jordan, { email: 'jordan@example.test' })));
  assert.equal([accepted.status, accepted.body.profile_id], [200, profile]);
  const role = (await ctx.db.pool.query(`select role from public.profile_members where profile_id = $1::uuid and user_id = $2::uuid`, [profile, jordan])).rows[0]?.role;
  assert.is(role, 'manager');
  const manager = await ctx.api.tokenFor(jordan, { email: 'jordan@example.test' });
  const reinvite = await ctx.api.request.post(`/api/profiles/${profile}/invitations`).set(auth(manager)).send({ email: 'x@example.test', role: 'viewer' });
  assert.equal([reinvite.status, reinvite.body.code], [403, 'owner_only']);
});

test('invalid input is a 400 problem listing each field', async (ctx) => {
  const res = await ctx.api.request.post('/api/profiles').set(auth(ctx.token)).send({ display_name: '', relationship: 'cousin', birth_date: '2020-13-45' });
  assert.is(res.status, 400);
  assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
  assert.is(res.body.code, 'validation_failed');
  assert.equal(res.body.errors.map((e: { path: string }) => e.path).sort(), ['birth_date', 'display_name', 'relationship']);
  const badId = await ctx.api.request.get('/api/profiles/not-a-uuid').set(auth(ctx.token));
  assert.equal([badId.status, badId.body.errors[0].in], [400, 'path']);
});

test('reads and changes are audited with the request id and outcome, denied ones too', async (ctx) => {
  const profile = await createProfile(ctx.db.pool, ctx.owner);
  const read = await ctx.api.request.get(`/api/profiles/${profile}`).set(auth(ctx.token));
  const stranger = await createUser(ctx.db.pool);
  const denied = await ctx.api.request.get(`/api/profiles/${profile}`).set(auth(await ctx.api.tokenFor(stranger)));
  const rows = async (requestId: string) => (await ctx.db.pool.query(
    `select actor_user_id, actor_kind, profile_id, action, outcome from public.audit_log where request_id = $1::text`, [requestId])).rows;
  assert.equal(await rows(read.headers['x-request-id']!), [{ actor_user_id: ctx.owner, actor_kind: 'user', profile_id: profile, action: 'profile.read', outcome: 'success' }]);
  assert.equal(await rows(denied.headers['x-request-id']!), [{ actor_user_id: stranger, actor_kind: 'user', profile_id: profile, action: 'profile.read', outcome: 'denied' }]);
});

test.run();
