import * as assert from 'uvu/assert';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../../src/http/app.js';
import { testAppDeps } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('GET /healthz');

test('answers 200 with the database up and no migration pending', async ({ db }) => {
  const app = createApp((await testAppDeps(db.pool)).deps);
  const res = await request(app.callback()).get('/healthz');
  assert.is(res.status, 200);
  assert.is(res.body.status, 'ok');
  assert.is(res.body.database.status, 'up');
  assert.equal(res.body.database.migrations.pending, []);
  assert.ok(res.body.database.migrations.applied >= 6);
  assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
});

test('answers 503 when the database is unreachable', async () => {
  const dead = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
  const app = createApp((await testAppDeps(dead)).deps);
  const res = await request(app.callback()).get('/healthz');
  assert.is(res.status, 503);
  assert.equal(res.body, { status: 'database_unreachable', database: { status: 'down' } });
  await dead.end();
});

test('an unknown route is a problem+json 404 with a stable code', async ({ db }) => {
  const app = createApp((await testAppDeps(db.pool)).deps);
  const res = await request(app.callback()).get('/nope').set('x-request-id', 'req-123');
  assert.is(res.status, 404);
  assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
  assert.is(res.body.code, 'not_found');
  assert.is(res.body.request_id, 'req-123');
});

test.run();
