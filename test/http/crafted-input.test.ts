/**
 * Crafted input is the client's error (400 or 401 problem+json), never
 * a 500, and a 500's log line never repeats what the request carried.
 */
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import { pino } from 'pino';
import supertest from 'supertest';
import { errorMiddleware } from '../../src/http/problem.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite<{ api: TestApi; owner: string; token: string; profile: string }>('api: crafted input');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db);
  ctx.owner = await createUser(ctx.db.pool);
  ctx.token = await ctx.api.tokenFor(ctx.owner);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner);
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const problem = (r: { status: number; type: string; body: { code?: string } }) => [r.status, r.type, r.body.code];

test('NUL bytes in names, query text and path parameters are 400 validation_failed, naming the field', async ({ api, token, profile }) => {
  const created = await api.request.post('/api/profiles').set(auth(token)).send({ display_name: 'Sam\u0000', relationship: 'child' });
  assert.equal(problem(created), [400, 'application/problem+json', 'validation_failed']);
  assert.equal(created.body.errors, [{ in: 'body', path: 'display_name', message: 'must not contain a NUL character' }]);
  const renamed = await api.request.patch(`/api/profiles/${profile}`).set(auth(token)).send({ display_name: 'a\u0000b' });
  assert.equal(problem(renamed), [400, 'application/problem+json', 'validation_failed']);
  const search = await api.request.get('/api/providers').query({ q: 'Dr\u0000' }).set(auth(token));
  assert.equal(problem(search), [400, 'application/problem+json', 'validation_failed']);
  const series = await api.request.get(`/api/healthcare-journey/series/name:glucose%00x?profile=${profile}`).set(auth(token));
  assert.equal(problem(series), [400, 'application/problem+json', 'validation_failed']);
  const dismiss = await api.request.post(`/api/alerts/${randomUUID()}/dismiss`).set(auth(token)).send({ reason: '\u0000' });
  assert.equal(problem(dismiss), [400, 'application/problem+json', 'validation_failed']);
});

test('dates Postgres cannot hold (year 0000, day 31 of February) and birth dates outside a life are 400', async ({ api, token, profile }) => {
  for (const before of ['0000-01-01T00:00:00Z', '2026-02-31T00:00:00Z']) {
    const r = await api.request.get(`/api/profiles/${profile}/documents`).query({ before }).set(auth(token));
    assert.equal(problem(r), [400, 'application/problem+json', 'validation_failed'], before);
  }
  for (const from of ['0000-01-01', '2026-02-30']) {
    const r = await api.request.get('/api/healthcare-journey').query({ profile, from }).set(auth(token));
    assert.equal(problem(r), [400, 'application/problem+json', 'validation_failed'], from);
  }
  for (const birth_date of ['0000-01-01', '1000-06-01', '2999-01-01']) {
    const r = await api.request.post('/api/profiles').set(auth(token)).send({ display_name: 'Old', relationship: 'parent', birth_date });
    assert.equal(problem(r), [400, 'application/problem+json', 'validation_failed'], birth_date);
    const p = await api.request.patch(`/api/profiles/${profile}`).set(auth(token)).send({ birth_date });
    assert.equal(problem(p), [400, 'application/problem+json', 'validation_failed'], birth_date);
  }
  const ok = await api.request.post('/api/profiles').set(auth(token)).send({ display_name: 'Gran', relationship: 'parent', birth_date: '1931-02-28' });
  assert.is(ok.status, 201);
});

test('a malformed cursor is 400, whatever it decodes to', async ({ api, token, profile }) => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  for (const cursor of [
    encode({ us: 'abc', id: randomUUID() }),
    encode({ us: '1e9', id: randomUUID() }),
    encode({ us: '9'.repeat(18), id: randomUUID() }),
    encode({ us: '12', id: 'nope' }),
    encode(['x']),
    'not base64url!',
    encode({ us: '12', id: randomUUID(), extra: 1 }),
  ]) {
    const r = await api.request.get('/api/healthcare-journey').query({ profile, cursor }).set(auth(token));
    assert.equal(problem(r), [400, 'application/problem+json', 'validation_failed'], cursor);
  }
});

test('a valid token for a user who is not (or no longer) in auth.users is 401, not a foreign-key 500', async ({ api, db }) => {
  const ghost = await api.tokenFor(randomUUID());
  const r = await api.request.post('/api/profiles').set(auth(ghost)).send({ display_name: 'Ghost', relationship: 'self' });
  assert.equal(problem(r), [401, 'application/problem+json', 'user_not_found']);
  assert.is((await db.pool.query(`select count(*)::int as n from public.profiles where display_name = 'Ghost'`)).rows[0].n, 0);
});

test('a 500 is logged by class, SQLSTATE and place, never with the message or detail that repeat the input', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const app = new Koa();
  app.silent = true;
  app.use(errorMiddleware(log));
  app.use((ctx) => {
    if (ctx.path === '/pg') {
      throw Object.assign(new Error('duplicate key value violates unique constraint "x_key"'), {
        code: '23505', constraint: 'x_key', detail: 'Key (name)=(Jane Citizen HIV positive) already exists.',
      });
    }
    throw new RangeError('Cannot convert Jane Citizen HIV positive to a BigInt');
  });
  for (const route of ['/pg', '/js']) {
    const r = await supertest(app.callback()).get(route);
    assert.equal([r.status, r.body.code, r.body.title], [500, 'internal_error', 'Internal server error']);
  }
  assert.is(lines.length, 2);
  for (const line of lines) assert.not.match(line, /Jane|HIV|Key \(|convert/);
  const [pg, js] = lines.map((line) => JSON.parse(line).err);
  assert.equal([pg.name, pg.code, pg.constraint], ['Error', '23505', 'x_key']);
  assert.is(js.name, 'RangeError');
  assert.ok(Array.isArray(js.at) && js.at.length > 0, 'where it was thrown');
});

test.run();
