import * as assert from 'uvu/assert';
import supertest from 'supertest';
import { createApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';
import { testAppDeps } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('request log lines');

test("the /app page's files are not a line each at info; api requests are", async ({ db }) => {
  const records: Record<string, unknown>[] = [];
  const stream = { write: (text: string) => void records.push(JSON.parse(text) as Record<string, unknown>) };
  const { deps } = await testAppDeps(db.pool);
  const request = supertest(createApp({ ...deps, log: createLogger('info', 'guardian-test', { stream }) }).callback());

  for (const file of ['/app', '/app/app.js', '/app/app.css', '/app/config.json']) assert.is((await request.get(file)).status, 200, file);
  assert.equal(records.filter((r) => r.msg === 'request'), [], 'no line for the page and its files');

  assert.is((await request.get('/healthz')).status, 200);
  assert.is((await request.get('/api/profiles')).status, 401);
  assert.is((await request.get('/app/missing.js')).status, 404);
  const logged = records.filter((r) => r.msg === 'request').map((r) => [r.method, r.status]);
  assert.equal(logged, [['GET', 200], ['GET', 401], ['GET', 404]], 'a health check, an api call and a missing file are each a line');
});

test.run();
