import * as assert from 'uvu/assert';
import { SignJWT } from 'jose';
import { mintToken } from '../../src/auth/tokens.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { createUser } from '../helpers/fixtures.js';
import { databaseSuite, until } from '../helpers/suite.js';

/** A token that expired two minutes ago (beyond the verifier's 30 s tolerance). */
async function expiredToken(api: TestApi, userId: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId).setIssuedAt(now - 3600).setExpirationTime(now - 120)
    .sign(new TextEncoder().encode(api.auth.jwtSecret!));
}

const test = databaseSuite<{ api: TestApi; user: string }>('api: the app around the routes');

test.before(async (ctx) => {
  ctx.api = await createTestApi(ctx.db, { http: { corsOrigins: ['https://app.example.test'], jsonLimitBytes: 2048 } });
  ctx.user = await createUser(ctx.db.pool);
});

test('401 for a missing, malformed, expired, forged or wrong-secret token, each with its own code', async (ctx) => {
  const get = (authorization?: string) => {
    const req = ctx.api.request.get('/api/profiles');
    return authorization ? req.set('Authorization', authorization) : req;
  };
  const good = await ctx.api.tokenFor(ctx.user);
  assert.is((await get(`Bearer ${good}`)).status, 200);
  const cases: [string | undefined, string][] = [
    [undefined, 'token_missing'],
    ['Basic dXNlcjpwYXNz', 'token_malformed'],
    [`Bearer ${await expiredToken(ctx.api, ctx.user)}`, 'token_expired'],
    [`Bearer ${await mintToken({ ...ctx.api.auth, jwtSecret: 'a-completely-different-secret-0123456789' }, { userId: ctx.user })}`, 'token_invalid'],
    [`Bearer ${good.slice(0, -4)}AAAA`, 'token_invalid'],
  ];
  for (const [header, code] of cases) {
    const res = await get(header);
    assert.is(res.status, 401, code);
    assert.is(res.body.code, code);
    assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
    assert.not.ok(JSON.stringify(res.body).includes(good.slice(20, 60)), 'the token is never echoed');
  }
});

test('a service-role token is refused on user endpoints', async (ctx) => {
  const res = await ctx.api.request.get('/api/profiles').set('Authorization', `Bearer ${await ctx.api.serviceToken()}`);
  assert.equal([res.status, res.body.code], [403, 'role_not_allowed']);
});

test('rate limits: the request over the per-user limit gets 429 with Retry-After', async (ctx) => {
  const api = await createTestApi(ctx.db, { http: { rateLimitPerUser: 3 } });
  const user = await createUser(ctx.db.pool);
  const token = await api.tokenFor(user);
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await api.request.get('/api/profiles').set('Authorization', `Bearer ${token}`)).status);
  assert.equal(statuses.slice(0, 3), [200, 200, 200]);
  const limited = await api.request.get('/api/profiles').set('Authorization', `Bearer ${token}`);
  assert.is(limited.status, 429);
  assert.is(limited.body.code, 'rate_limited');
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  // Another user is not affected: the limit is per user (and shared by every instance, in Postgres).
  const other = await api.tokenFor(await createUser(ctx.db.pool));
  assert.is((await api.request.get('/api/profiles').set('Authorization', `Bearer ${other}`)).status, 200);
});

test('the per-IP limit: X-Forwarded-For is ignored without trusted proxies, and bad tokens count too', async (ctx) => {
  const api = await createTestApi(ctx.db, { http: { rateLimitPerIp: 3 } });
  // Each request claims another address and carries a forged token: all from one socket.
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await api.request.get('/api/profiles').set('X-Forwarded-For', `203.0.113.${i}`).set('Authorization', 'Bearer a.b.c');
    statuses.push(r.status);
  }
  assert.equal(statuses, [401, 401, 401, 429]);
});

test('behind configured proxies the client address is the entry that many from the right; what the client wrote is ignored', async (ctx) => {
  const api = await createTestApi(ctx.db, { http: { rateLimitPerIp: 2, trustProxyHops: 2 } });
  const token = await api.tokenFor(await createUser(ctx.db.pool));
  const from = (xff: string) => api.request.get('/api/profiles').set('X-Forwarded-For', xff).set('Authorization', `Bearer ${token}`);
  // A client forging entries to the left of what Render's two proxies appended.
  const statuses = [];
  for (const forged of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) statuses.push((await from(`${forged}, 198.51.100.7, 104.22.17.40`)).status);
  assert.equal(statuses, [200, 200, 429]);
  // Another real client (another address where the proxies put it) has its own budget.
  assert.is((await from('198.51.100.8, 104.22.17.40')).status, 200);
});

test('rate limits are shared by api instances through Postgres', async (ctx) => {
  const a = await createTestApi(ctx.db, { http: { rateLimitPerUser: 4 } });
  const b = await createTestApi(ctx.db, { http: { rateLimitPerUser: 4 } });
  const user = await createUser(ctx.db.pool);
  const tokenA = await a.tokenFor(user);
  for (let i = 0; i < 3; i++) assert.is((await a.request.get('/api/profiles').set('Authorization', `Bearer ${tokenA}`)).status, 200);
  // Instance A syncs its 3 hits; instance B learns the total at its own next sync.
  await until(async () => (await ctx.db.pool.query(`select coalesce(sum(hits), 0)::int as n from private.rate_limits where key = $1::text`, [`user:${user}`])).rows[0].n === 3);
  const tokenB = await b.tokenFor(user);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    statuses.push((await b.request.get('/api/profiles').set('Authorization', `Bearer ${tokenB}`)).status);
    await until(async () => (await ctx.db.pool.query(`select coalesce(sum(hits), 0)::int as n from private.rate_limits where key = $1::text`, [`user:${user}`])).rows[0].n === 4 + i);
  }
  assert.equal(statuses, [200, 429, 429], 'the 5th request overall is refused by the other instance');
});

test('a JSON body over the limit is 413; a wrong content type for JSON routes is a 400/415 problem', async (ctx) => {
  const token = await ctx.api.tokenFor(ctx.user);
  const big = await ctx.api.request.post('/api/profiles').set('Authorization', `Bearer ${token}`)
    .send({ display_name: 'x'.repeat(5000), relationship: 'self' });
  assert.equal([big.status, big.body.code], [413, 'payload_too_large']);
  const text = await ctx.api.request.post('/api/profiles').set('Authorization', `Bearer ${token}`).set('Content-Type', 'text/plain').send('hello');
  assert.ok([400, 415].includes(text.status), `status ${text.status}`);
  assert.match(text.headers['content-type'] ?? '', /application\/problem\+json/);
});

test('security headers on every answer; CORS only for the configured origin', async (ctx) => {
  const res = await ctx.api.request.get('/healthz').set('Origin', 'https://app.example.test');
  assert.is(res.headers['cache-control'], 'no-store');
  assert.is(res.headers['x-content-type-options'], 'nosniff');
  assert.is(res.headers['x-frame-options'], 'DENY');
  assert.match(res.headers['content-security-policy'] ?? '', /default-src 'none'/);
  assert.match(res.headers['strict-transport-security'] ?? '', /max-age=\d+/);
  assert.is(res.headers['access-control-allow-origin'], 'https://app.example.test');
  const foreign = await ctx.api.request.get('/healthz').set('Origin', 'https://evil.example.test');
  assert.is(foreign.headers['access-control-allow-origin'], undefined);
  const preflight = await ctx.api.request.options('/api/profiles').set('Origin', 'https://app.example.test').set('Access-Control-Request-Method', 'POST');
  assert.is(preflight.status, 204);
  assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/);
});

test('the OpenAPI document is generated from the routes, with schemas, auth and problems', async (ctx) => {
  const res = await ctx.api.request.get('/openapi.json');
  assert.is(res.status, 200);
  const doc = res.body;
  assert.is(doc.openapi, '3.1.0');
  assert.is(doc.components.securitySchemes.bearer.scheme, 'bearer');
  const list = doc.paths['/api/profiles'].get;
  assert.is(list.operationId, 'listProfiles');
  assert.ok(list.responses['200'].content['application/json'].schema.properties.profiles);
  assert.ok(list.responses['401']);
  const update = doc.paths['/api/profiles/{profileId}'].patch;
  assert.equal(update.parameters.map((p: { name: string; in: string }) => [p.name, p.in]), [['profileId', 'path']]);
  assert.ok(update.requestBody.content['application/json'].schema.properties.display_name);
  assert.equal(doc.paths['/healthz'], undefined, 'health probes are not part of the api document');
});

test('metrics: request latency is labelled by route pattern, never by a path with ids', async (ctx) => {
  const token = await ctx.api.tokenFor(ctx.user);
  await ctx.api.request.get('/api/profiles/00000000-0000-4000-8000-00000000abcd').set('Authorization', `Bearer ${token}`);
  const res = await ctx.api.request.get('/metrics');
  assert.is(res.status, 200);
  assert.match(res.text, /guardian_http_request_duration_seconds_bucket\{[^}]*route="\/api\/profiles\/:profileId"/);
  assert.not.match(res.text, /00000000-0000-4000-8000-00000000abcd/);
});

test.run();
