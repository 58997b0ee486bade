import * as assert from 'uvu/assert';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { addMember, createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite<{ api: TestApi }>('GET /api/me: who is signed in');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db);
});

const me = async (api: TestApi, userId: string, email?: string) =>
  api.request.get('/api/me').set('Authorization', `Bearer ${await api.tokenFor(userId, { email })}`);

test('the person is called by the name of the profile they keep for themselves', async ({ api, db }) => {
  const user = await createUser(db.pool);
  await createProfile(db.pool, user, { displayName: 'Kim Example', relationship: 'self' });
  await createProfile(db.pool, user, { displayName: 'Lee Example', relationship: 'child' });
  const res = await me(api, user, 'kim@example.test');
  assert.is(res.status, 200);
  assert.equal(res.body, { id: user, name: 'Kim Example', email: 'kim@example.test' });
});

test('someone else\'s profile is never the name, even one the person manages', async ({ api, db }) => {
  const parent = await createUser(db.pool);
  const carer = await createUser(db.pool);
  const parentsOwn = await createProfile(db.pool, parent, { displayName: 'Pat Parent', relationship: 'self' });
  await addMember(db.pool, parentsOwn, carer, 'manager');
  assert.equal((await me(api, carer)).body, { id: carer, name: null, email: null });
});

test('without a token it is a 401 problem', async ({ api }) => {
  const res = await api.request.get('/api/me');
  assert.equal([res.status, res.body.code], [401, 'token_missing']);
});

test.run();
