/**
 * The functions verify tokens signed with a project's asymmetric signing keys (RS256,
 * ES256): from SUPABASE_JWKS when the platform gives it inline, else fetched from
 * SUPABASE_URL's JWKS endpoint; with no JWT secret set, HS256 is refused.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import * as assert from 'uvu/assert';
import { EdgeFunctionHost } from '../../src/functions/edge-function-host.js';
import { createLogger } from '../../src/log.js';
import { config } from '../helpers/database.js';
import { bearer, problemOf } from '../helpers/edge-functions.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite, type DatabaseContext } from '../helpers/suite.js';

interface SigningKey { jwk: JWK; sign(userId: string, kid?: string): Promise<string> }
interface Ctx { user: string; rsa: SigningKey; ec: SigningKey; impostor: SigningKey; projectUrl: string; server: http.Server; hosts: EdgeFunctionHost[] }
type C = Ctx & DatabaseContext;

const test = databaseSuite<Ctx>('functions: tokens signed with the project\'s signing keys');

async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    sign: (userId, headerKid = kid) => new SignJWT({ role: 'authenticated', aud: 'authenticated' })
      .setProtectedHeader({ alg, kid: headerKid, typ: 'JWT' }).setSubject(userId).setIssuedAt().setExpirationTime('1h').sign(privateKey),
  };
}

test.before(async (ctx) => {
  ctx.user = await createUser(ctx.db.pool);
  await createProfile(ctx.db.pool, ctx.user);
  ctx.rsa = await signingKey('RS256', 'rsa-1');
  ctx.ec = await signingKey('ES256', 'ec-1');
  ctx.impostor = await signingKey('ES256', 'ec-1');
  const keys = { keys: [ctx.rsa.jwk, ctx.ec.jwk] };
  ctx.server = http.createServer((req, res) => {
    const found = req.url === '/auth/v1/.well-known/jwks.json';
    res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
    res.end(found ? JSON.stringify(keys) : '{}');
  });
  await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
  ctx.projectUrl = `http://127.0.0.1:${(ctx.server.address() as AddressInfo).port}`;
  ctx.hosts = [];
});

test.after(async (ctx) => {
  await Promise.all((ctx.hosts ?? []).map((h) => h.close()));
  await new Promise<void>((resolve) => (ctx.server ? ctx.server.close(() => resolve()) : resolve()));
});

function search(ctx: C, env: Record<string, string>) {
  const host = new EdgeFunctionHost(config.edgeFunctions!, { SUPABASE_DB_URL: ctx.db.url, ...env }, createLogger('silent'));
  ctx.hosts.push(host);
  return async (token: string) => fetch(`${await host.origin('quick-search')}/quick-search?q=anything`, { headers: bearer(token) });
}

test('RS256 and ES256 tokens verify against the JWKS fetched from SUPABASE_URL; HS256 is refused without a secret', async (ctx) => {
  const call = search(ctx, { SUPABASE_URL: ctx.projectUrl });
  for (const key of [ctx.rsa, ctx.ec]) {
    const response = await call(await key.sign(ctx.user));
    assert.is(response.status, 200, key.jwk.alg);
    assert.equal(await response.json(), { results: [] });
  }
  assert.equal(await problemOf(await call(await ctx.impostor.sign(ctx.user))), { status: 401, code: 'token_invalid', type: 'application/problem+json' });
  assert.equal((await problemOf(await call(await ctx.ec.sign(ctx.user, 'unknown-kid')))).code, 'token_invalid');
  const hs256 = await new SignJWT({ role: 'authenticated', aud: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setSubject(ctx.user).setExpirationTime('1h')
    .sign(new TextEncoder().encode('x'.repeat(40)));
  assert.equal((await problemOf(await call(hs256))).code, 'token_invalid');
});

test('SUPABASE_JWKS given inline is used without fetching', async (ctx) => {
  const call = search(ctx, { SUPABASE_JWKS: JSON.stringify({ keys: [ctx.ec.jwk] }), SUPABASE_URL: 'http://127.0.0.1:9' });
  assert.is((await call(await ctx.ec.sign(ctx.user))).status, 200);
  assert.equal((await problemOf(await call(await ctx.impostor.sign(ctx.user)))).code, 'token_invalid');
});

test('signing keys that cannot be fetched are a 503 auth_unavailable, not a 401 that would end the session', async (ctx) => {
  const call = search(ctx, { SUPABASE_URL: 'http://127.0.0.1:9' });
  const response = await call(await ctx.ec.sign(ctx.user));
  assert.is(response.headers.get('retry-after'), '30');
  assert.equal(await problemOf(response), { status: 503, code: 'auth_unavailable', type: 'application/problem+json' });
});

test.run();
