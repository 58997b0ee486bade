import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import supertest from 'supertest';
import { mintToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/log.js';
import { errorMiddleware } from '../../src/http/problem.js';
import { PROBLEM_CODES, PROBLEM_TYPES } from '../../src/http/problem-types.js';
import { PAGE_CSP } from '../../src/http/security-headers.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite<{ api: TestApi }>('problem+json answers and the error pages they link to');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db);
});

test('a problem carries the human message in detail, the code\'s title, and a type that resolves to its page', async (ctx) => {
  const res = await ctx.api.request.get('/api/profiles');
  assert.is(res.status, 401);
  assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
  assert.equal(
    { type: res.body.type, title: res.body.title, status: res.body.status, code: res.body.code },
    { type: '/problems/token_missing', title: 'Sign-in required', status: 401, code: 'token_missing' },
  );
  assert.match(res.body.detail, /Authorization: Bearer/);
  const page = await ctx.api.request.get(res.body.type);
  assert.is(page.status, 200);
  assert.match(page.headers['content-type'] ?? '', /^text\/html/);
  assert.ok(page.text.includes('<h1>Sign-in required</h1>'));
});

test('an error of another layer keeps its code and message (a token signed with another secret)', async (ctx) => {
  const forged = await mintToken({ ...ctx.api.auth, jwtSecret: 'another-secret-another-secret-0123456789' }, { userId: randomUUID() });
  const res = await ctx.api.request.get('/api/profiles').set('Authorization', `Bearer ${forged}`);
  assert.equal([res.status, res.body.code, res.body.title, res.body.type], [401, 'token_invalid', 'Token invalid', '/problems/token_invalid']);
  assert.is(res.body.detail, 'token signature does not match');
});

test('a 500 says only the catalogue\'s sentence: the message stays in the log', async () => {
  const app = new Koa();
  app.silent = true;
  app.use(errorMiddleware(createLogger('silent')));
  app.use(() => {
    throw new Error('a table name and a patient\'s name');
  });
  const res = await supertest(app.callback()).get('/anything');
  assert.is(res.status, 500);
  assert.equal([res.body.code, res.body.title, res.body.detail, res.body.type],
    ['internal_error', 'Internal server error', PROBLEM_TYPES.internal_error.meaning, '/problems/internal_error']);
  assert.not.match(JSON.stringify(res.body), /table|patient/);
});

test('every code has a page that answers 200, and /problems lists them all', async (ctx) => {
  const index = await ctx.api.request.get('/problems');
  assert.is(index.status, 200);
  assert.is(index.headers['content-security-policy'], PAGE_CSP);
  for (const code of PROBLEM_CODES) {
    assert.ok(index.text.includes(`href="/problems/${code}"`), `/problems links ${code}`);
    const page = await ctx.api.request.get(`/problems/${code}`);
    assert.is(page.status, 200, code);
    assert.ok(page.text.includes(PROBLEM_TYPES[code].title.replaceAll("'", '&#39;')), code);
  }
  const unknown = await ctx.api.request.get('/problems/no_such_code');
  assert.equal([unknown.status, unknown.body.code], [404, 'not_found']);
});

test('the OpenAPI document describes the problem as it is answered', async (ctx) => {
  const schema = (await ctx.api.request.get('/openapi.json')).body.components.schemas.Problem;
  assert.equal(schema.required, ['type', 'title', 'status', 'detail', 'code']);
  assert.equal(schema.properties.code.enum, PROBLEM_CODES);
});

test.run();
