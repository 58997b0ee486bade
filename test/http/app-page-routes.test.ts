import * as assert from 'uvu/assert';
import request from 'supertest';
import { createApp } from '../../src/http/app.js';
import { appPageCsp } from '../../src/http/routes/app-page.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTokenVerifier } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config.js';
import { DEMO_USER } from '../../src/db/demo-data.js';
import { demoSignInFor } from '../../src/http/demo-sign-in.js';
import { API_CSP, PAGE_CSP } from '../../src/http/security-headers.js';
import { testAppDeps } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('the /app page\'s files');

test('serves the page, its script, style and the supabase-js browser build under the page CSP', async ({ db }) => {
  const app = request(createApp((await testAppDeps(db.pool)).deps).callback());
  const expected: [string, RegExp, string][] = [
    ['/app', /^text\/html/, '<title>Guardian</title>'],
    ['/app/app.js', /^text\/javascript/, "supabase.createClient("],
    ['/app/format.js', /^text\/javascript/, 'export function displayUnit('],
    ['/app/app.css', /^text\/css/, '.live'],
    ['/app/supabase.js', /^text\/javascript/, 'createClient'],
  ];
  for (const [path, type, contains] of expected) {
    const res = await app.get(path).buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      r.on('end', () => done(null, text));
    });
    assert.is(res.status, 200, path);
    assert.match(res.headers['content-type'] ?? '', type, path);
    assert.is(res.headers['content-security-policy'], appPageCsp(undefined), path);
    assert.is(res.headers['cache-control'], 'no-store', path);
    assert.ok((res.body as string).includes(contains), `${path} holds ${contains}`);
  }
  // Everything else keeps the api's own CSP.
  assert.is((await app.get('/healthz')).headers['content-security-policy'], API_CSP);
  assert.match((await app.get('/app/')).headers['content-type'] ?? '', /^text\/html/); // links are absolute, so both work
  assert.is((await app.get('/app/nothing.js')).status, 404);
});

test('the page config names the gateway by default, Supabase when configured', async ({ db }) => {
  const local = await request(createApp((await testAppDeps(db.pool)).deps).callback()).get('/app/config.json');
  assert.equal(local.body, { realtime: { url: null, publishableKey: null }, demoSignIn: false });
  const { deps } = await testAppDeps(db.pool, { http: { appRealtime: { url: 'https://abc.supabase.co', publishableKey: 'sb_publishable_0123456789abcdefghij' } } });
  const remote = await request(createApp(deps).callback()).get('/app/config.json');
  assert.equal(remote.body, { realtime: { url: 'https://abc.supabase.co', publishableKey: 'sb_publishable_0123456789abcdefghij' }, demoSignIn: false });
  assert.match((await request(createApp(deps).callback()).get('/app')).headers['content-security-policy'] ?? '',
    "connect-src 'self' https://abc.supabase.co wss://abc.supabase.co;");
});

/** A configuration as `npm start` reads it, with the dev secret kept out of the checkout's .data. */
async function localConfig(env: Record<string, string> = {}, defaultEnvironment: 'development' | 'production' = 'development') {
  const config = loadConfig(env, { defaultEnvironment });
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-demo-'));
  return { ...config, auth: { ...config.auth, devSecretFile: path.join(dir, 'jwt-secret') } };
}

test('the demo sign-in exists only locally: development, demo data, the dev secret', async () => {
  assert.ok(demoSignInFor(await localConfig()));
  assert.is(demoSignInFor(await localConfig({}, 'production')), undefined);
  assert.is(demoSignInFor(await localConfig({ GUARDIAN_ENV: 'production' })), undefined);
  assert.is(demoSignInFor(await localConfig({ SEED_DEMO_DATA: 'false' })), undefined);
  assert.is(demoSignInFor(await localConfig({ SUPABASE_JWT_SECRET: 'a-real-project-secret-0123456789abcdef' })), undefined);
  assert.is(demoSignInFor(await localConfig({ SUPABASE_URL: 'https://abc.supabase.co', SUPABASE_SECRET_KEY: 'sb_secret_0123456789abcdefghij' })), undefined);
});

test('locally the page mints a demo token the api accepts; in production the route is a 404', async ({ db }) => {
  const config = await localConfig();
  const { deps } = await testAppDeps(db.pool, { auth: config.auth });
  const local = request(createApp({ ...deps, demo: demoSignInFor(config) }).callback());
  assert.is((await local.get('/app/config.json')).body.demoSignIn, true);
  assert.is((await local.get('/app/demo-token')).status, 405, 'a GET (a link, a prefetch) mints nothing');
  const minted = await local.post('/app/demo-token');
  assert.is(minted.status, 200);
  assert.is(minted.body.user_id, DEMO_USER);
  const verified = await (await createTokenVerifier(config.auth)).verify(minted.body.access_token);
  assert.is(verified.userId, DEMO_USER);
  const fromElsewhere = await local.post('/app/demo-token').set('Sec-Fetch-Site', 'cross-site');
  assert.equal([fromElsewhere.status, fromElsewhere.body.code, fromElsewhere.body.access_token], [403, 'forbidden', undefined]);
  assert.is((await local.post('/app/demo-token').set('Sec-Fetch-Site', 'same-origin')).status, 200);

  const production = await localConfig({}, 'production');
  const { deps: productionDeps } = await testAppDeps(db.pool, { auth: production.auth });
  const deployed = request(createApp({ ...productionDeps, demo: demoSignInFor(production) }).callback());
  assert.is((await deployed.get('/app/config.json')).body.demoSignIn, false);
  const refused = await deployed.post('/app/demo-token');
  assert.equal([refused.status, refused.body.code], [404, 'not_found']);
  assert.not.ok(JSON.stringify(refused.body).includes('access_token'));
});

test('the landing page says what Guardian is and links the app and the API reference', async ({ db }) => {
  const app = request(createApp((await testAppDeps(db.pool)).deps).callback());
  const res = await app.get('/');
  assert.is(res.status, 200);
  assert.match(res.headers['content-type'] ?? '', /^text\/html/);
  assert.is(res.headers['content-security-policy'], PAGE_CSP);
  assert.match(res.text, /health records/);
  for (const link of ['href="/app"', 'href="/docs"', 'href="/problems"']) assert.ok(res.text.includes(link), link);
});

test('/docs lists every operation of the OpenAPI document, with no script', async ({ db }) => {
  const app = request(createApp((await testAppDeps(db.pool)).deps).callback());
  const openapi = (await app.get('/openapi.json')).body as { paths: Record<string, Record<string, { operationId: string }>> };
  const res = await app.get('/docs');
  assert.is(res.status, 200);
  assert.is(res.headers['content-security-policy'], PAGE_CSP);
  assert.not.match(res.text, /<script/i);
  let operations = 0;
  for (const [route, methods] of Object.entries(openapi.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      operations++;
      assert.ok(res.text.includes(`id="${op.operationId}"`), op.operationId);
      assert.ok(res.text.includes(`<span class="method method-${method}">${method}</span> <code>${route}</code>`), `${method} ${route}`);
    }
  }
  assert.ok(operations > 30, `${operations} operations`);
});

test.run();
