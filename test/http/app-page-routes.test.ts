import * as assert from 'uvu/assert';
import request from 'supertest';
import { createApp } from '../../src/http/app.js';
import { appPageCsp } from '../../src/http/routes/app-page.js';
import { API_CSP } from '../../src/http/security-headers.js';
import { testAppDeps } from '../helpers/api.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('the /app page\'s files');

test('serves the page, its script, style and the supabase-js browser build under the page CSP', async ({ db }) => {
  const app = request(createApp((await testAppDeps(db.pool)).deps).callback());
  const expected: [string, RegExp, string][] = [
    ['/app', /^text\/html/, '<title>Guardian</title>'],
    ['/app/app.js', /^text\/javascript/, "supabase.createClient("],
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
  assert.equal(local.body, { realtime: { url: null, publishableKey: null } });
  const { deps } = await testAppDeps(db.pool, { http: { appRealtime: { url: 'https://abc.supabase.co', publishableKey: 'sb_publishable_0123456789abcdefghij' } } });
  const remote = await request(createApp(deps).callback()).get('/app/config.json');
  assert.equal(remote.body, { realtime: { url: 'https://abc.supabase.co', publishableKey: 'sb_publishable_0123456789abcdefghij' } });
  assert.match((await request(createApp(deps).callback()).get('/app')).headers['content-security-policy'] ?? '',
    "connect-src 'self' https://abc.supabase.co wss://abc.supabase.co;");
});

test.run();
