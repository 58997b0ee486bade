import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { loadConfig, type AuthSettings } from '../../src/config.js';
import {
  AuthError,
  AuthUnavailableError,
  bearerToken,
  createTokenVerifier,
  mintToken,
  resolveJwtSecret,
} from '../../src/auth/tokens.js';

const run = promisify(execFile);
const test = suite('auth tokens');

const ALEX = '00000000-0000-4000-8000-000000000001';
const SECRET = 'a-test-secret-that-is-at-least-32-characters-long';
const OTHER_SECRET = 'another-secret-that-is-also-32-characters-or-more';
const ISSUER = 'https://project.supabase.co/auth/v1';
const config = loadConfig({});
const base = config.auth;
const settings: AuthSettings = { ...base, jwtSecret: SECRET, jwksUrl: undefined, issuer: undefined, allowDevSecret: false };
const key = (s: string) => new TextEncoder().encode(s);
const now = () => Math.floor(Date.now() / 1000);

let tmp = '';
test.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'guardian-auth-'));
});
test.after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A Supabase-shaped user token; `claims` override or (undefined) remove fields. */
function userClaims(claims: Record<string, unknown> = {}): JWTPayload {
  const payload: Record<string, unknown> = { sub: ALEX, role: 'authenticated', aud: 'authenticated', email: 'alex@example.org', iat: now(), exp: now() + 3600, ...claims };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return payload;
}

async function hs256(payload: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key(secret));
}

async function rejects(promise: Promise<unknown>, code: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.is((error as { code?: string }).code, code, `expected ${code}, got ${(error as Error).message}`);
    return error as Error;
  }
  assert.unreachable(`expected a rejection with ${code}`);
  throw new Error('unreachable');
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

test('a good HS256 token gives the caller, the user id and the expiry', async () => {
  const verifier = await createTokenVerifier(settings);
  const exp = now() + 600;
  const result = await verifier.verify(await hs256(userClaims({ exp })));
  assert.is(result.caller.role, 'authenticated');
  assert.is(result.caller.claims.sub, ALEX);
  assert.is(result.caller.claims.email, 'alex@example.org');
  assert.is(result.userId, ALEX);
  assert.is(result.expiresAt?.getTime(), exp * 1000);
});

test('a missing Authorization header is no token; a malformed one is token_malformed', () => {
  assert.is(bearerToken(undefined), undefined);
  assert.is(bearerToken(''), undefined);
  assert.is(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  assert.is(bearerToken('bearer abc.def.ghi'), 'abc.def.ghi');
  for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'abc.def.ghi', 'Bearer "abc"']) {
    try {
      bearerToken(header);
      assert.unreachable(`accepted ${header}`);
    } catch (error) {
      assert.instance(error, AuthError);
      assert.is((error as AuthError).code, 'token_malformed');
      assert.is((error as AuthError).status, 401);
    }
  }
});

test('an empty token is token_missing and a non-JWT is token_malformed', async () => {
  const verifier = await createTokenVerifier(settings);
  await rejects(verifier.verify(''), 'token_missing');
  await rejects(verifier.verify('not-a-jwt'), 'token_malformed');
  await rejects(verifier.verify('a.b.c'), 'token_malformed');
});

test('an expired token is token_expired, one expired within the 30 s tolerance still passes', async () => {
  const verifier = await createTokenVerifier(settings);
  const error = await rejects(verifier.verify(await hs256(userClaims({ iat: now() - 7200, exp: now() - 120 }))), 'token_expired');
  assert.is((error as AuthError).status, 401);
  const result = await verifier.verify(await hs256(userClaims({ exp: now() - 10 })));
  assert.is(result.userId, ALEX);
});

test('a token without exp is rejected', async () => {
  const verifier = await createTokenVerifier(settings);
  await rejects(verifier.verify(await hs256(userClaims({ exp: undefined }))), 'token_invalid');
});

test('a token signed with another secret is token_invalid and the message never echoes the token', async () => {
  const verifier = await createTokenVerifier(settings);
  const token = await hs256(userClaims(), OTHER_SECRET);
  const error = await rejects(verifier.verify(token), 'token_invalid');
  for (const part of token.split('.')) assert.not.ok(error.message.includes(part));
});

test('a token with a tampered payload is token_invalid', async () => {
  const verifier = await createTokenVerifier(settings);
  const [header, , signature] = (await hs256(userClaims())).split('.');
  const forged = `${header}.${b64(userClaims({ sub: '00000000-0000-4000-8000-000000000002' }))}.${signature}`;
  await rejects(verifier.verify(forged), 'token_invalid');
});

test('alg none and algorithms Supabase never uses are token_invalid', async () => {
  const verifier = await createTokenVerifier(settings);
  await rejects(verifier.verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(userClaims())}.`), 'token_invalid');
  await rejects(verifier.verify(`${b64({ alg: 'NONE' })}.${b64(userClaims())}.c2ln`), 'token_invalid');
  const hs512 = await new SignJWT(userClaims()).setProtectedHeader({ alg: 'HS512' }).sign(key(SECRET));
  await rejects(verifier.verify(hs512), 'token_invalid');
});

test('HS256 tokens are rejected when there is no secret and the dev secret is not allowed', async () => {
  const verifier = await createTokenVerifier({ ...settings, jwtSecret: undefined, allowDevSecret: false });
  const error = await rejects(verifier.verify(await hs256(userClaims())), 'token_invalid');
  assert.match(error.message, /no JWT secret/);
});

test('a user token for another audience, or with none, is token_wrong_audience', async () => {
  const verifier = await createTokenVerifier(settings);
  await rejects(verifier.verify(await hs256(userClaims({ aud: 'someone-else' }))), 'token_wrong_audience');
  await rejects(verifier.verify(await hs256(userClaims({ aud: undefined }))), 'token_wrong_audience');
  const ok = await verifier.verify(await hs256(userClaims({ aud: ['other', 'authenticated'] })));
  assert.is(ok.userId, ALEX);
});

test('with an issuer configured, a user token from another or no issuer is token_invalid', async () => {
  const verifier = await createTokenVerifier({ ...settings, issuer: ISSUER });
  assert.is((await verifier.verify(await hs256(userClaims({ iss: ISSUER })))).userId, ALEX);
  await rejects(verifier.verify(await hs256(userClaims({ iss: 'https://evil.supabase.co/auth/v1' }))), 'token_invalid');
  await rejects(verifier.verify(await hs256(userClaims())), 'token_invalid');
  // Legacy service_role keys say iss "supabase": still accepted.
  const service = await verifier.verify(await hs256({ role: 'service_role', iss: 'supabase', iat: now(), exp: now() + 60 }));
  assert.is(service.caller.role, 'service_role');
});

test('a role outside anon, authenticated, service_role is token_role_invalid', async () => {
  const verifier = await createTokenVerifier(settings);
  await rejects(verifier.verify(await hs256(userClaims({ role: 'postgres' }))), 'token_role_invalid');
  await rejects(verifier.verify(await hs256(userClaims({ role: undefined }))), 'token_role_invalid');
  await rejects(verifier.verify(await hs256(userClaims({ role: ['authenticated'] }))), 'token_role_invalid');
});

test('an authenticated token whose sub is not a uuid is token_invalid', async () => {
  const verifier = await createTokenVerifier(settings);
  await rejects(verifier.verify(await hs256(userClaims({ sub: 'alex' }))), 'token_invalid');
  await rejects(verifier.verify(await hs256(userClaims({ sub: undefined }))), 'token_invalid');
});

test('service_role and anon tokens without aud are accepted, with no user id', async () => {
  const verifier = await createTokenVerifier(settings);
  const service = await verifier.verify(await hs256({ role: 'service_role', iat: now(), exp: now() + 60 }));
  assert.equal(service.caller.role, 'service_role');
  assert.is(service.userId, null);
  const anon = await verifier.verify(await hs256({ role: 'anon', iat: now(), exp: now() + 60 }));
  assert.is(anon.caller.role, 'anon');
  await rejects(verifier.verify(await hs256({ role: 'anon', aud: 'elsewhere', exp: now() + 60 })), 'token_wrong_audience');
});

// --- JWKS (RS256 / ES256) ------------------------------------------------------

interface JwksServer {
  url: string;
  keys: JWK[];
  requests: number;
  close(): Promise<void>;
}

async function jwksServer(keys: JWK[]): Promise<JwksServer> {
  const state = { keys, requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/auth/v1/.well-known/jwks.json`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const sign = (payload: JWTPayload, headerKid = kid) => new SignJWT(payload).setProtectedHeader({ alg, kid: headerKid, typ: 'JWT' }).sign(privateKey);
  return { jwk, sign };
}

test('RS256 and ES256 tokens verify against the JWKS', async () => {
  const rsa = await signingKey('RS256', 'rsa-1');
  const ec = await signingKey('ES256', 'ec-1');
  const server = await jwksServer([rsa.jwk, ec.jwk]);
  try {
    const verifier = await createTokenVerifier({ ...settings, jwksUrl: server.url });
    assert.is((await verifier.verify(await rsa.sign(userClaims()))).userId, ALEX);
    assert.is((await verifier.verify(await ec.sign(userClaims()))).caller.role, 'authenticated');
    // HS256 still works alongside the JWKS.
    assert.is((await verifier.verify(await hs256(userClaims()))).userId, ALEX);
  } finally {
    await server.close();
  }
});

test('a token signed by a key not in the JWKS is token_invalid (unknown kid, or known kid with another key)', async () => {
  const published = await signingKey('ES256', 'ec-1');
  const stranger = await signingKey('ES256', 'ec-stranger');
  const server = await jwksServer([published.jwk]);
  try {
    const verifier = await createTokenVerifier({ ...settings, jwksUrl: server.url });
    await rejects(verifier.verify(await stranger.sign(userClaims())), 'token_invalid');
    await rejects(verifier.verify(await stranger.sign(userClaims(), 'ec-1')), 'token_invalid');
  } finally {
    await server.close();
  }
});

test('an RS256 token is token_invalid when no JWKS URL is configured', async () => {
  const rsa = await signingKey('RS256', 'rsa-1');
  const verifier = await createTokenVerifier(settings);
  await rejects(verifier.verify(await rsa.sign(userClaims())), 'token_invalid');
});

test('key rotation: a new kid is picked up by one refetch, and the JWKS is not fetched per token', async () => {
  const first = await signingKey('RS256', 'key-1');
  const second = await signingKey('ES256', 'key-2');
  const server = await jwksServer([first.jwk]);
  try {
    // cooldown 0 so an unknown kid may refetch at once (30 s in production).
    const verifier = await createTokenVerifier({ ...settings, jwksUrl: server.url }, { cooldownMs: 0 });
    for (let i = 0; i < 5; i++) await verifier.verify(await first.sign(userClaims()));
    assert.is(server.requests, 1, 'five tokens, one fetch');
    server.keys = [first.jwk, second.jwk];
    assert.is((await verifier.verify(await second.sign(userClaims()))).userId, ALEX);
    assert.is(server.requests, 2, 'the unknown kid caused one refetch');
    await Promise.all(Array.from({ length: 10 }, async (_, i) => verifier.verify(await (i % 2 ? first : second).sign(userClaims()))));
    assert.is(server.requests, 2, 'both keys now come from the cache');
  } finally {
    await server.close();
  }
});

test('an unknown kid within the cooldown is rejected without refetching (made-up kids cannot flood the JWKS)', async () => {
  const first = await signingKey('ES256', 'key-1');
  const second = await signingKey('ES256', 'key-2');
  const server = await jwksServer([first.jwk]);
  try {
    const verifier = await createTokenVerifier({ ...settings, jwksUrl: server.url }, { cooldownMs: 60_000 });
    await verifier.verify(await first.sign(userClaims()));
    server.keys = [first.jwk, second.jwk];
    for (let i = 0; i < 5; i++) await rejects(verifier.verify(await second.sign(userClaims(), `made-up-${i}`)), 'token_invalid');
    assert.is(server.requests, 1);
  } finally {
    await server.close();
  }
});

test('JWKS server down is auth_unavailable (503), not a 401, with a clear message', async () => {
  const rsa = await signingKey('RS256', 'rsa-1');
  const server = await jwksServer([rsa.jwk]);
  const url = server.url;
  await server.close();
  const verifier = await createTokenVerifier({ ...settings, jwksUrl: url }, { fetchTimeoutMs: 1000 });
  const error = await rejects(verifier.verify(await rsa.sign(userClaims())), 'auth_unavailable');
  assert.instance(error, AuthUnavailableError);
  assert.is((error as AuthUnavailableError).status, 503);
  assert.match(error.message, /signing keys could not be fetched from the JWKS URL/);
});

// --- dev secret, minting, CLI ----------------------------------------------------

test('the dev secret file is created with mode 0600 (parent dir too) and reused', async () => {
  const file = path.join(tmp, 'nested', 'dir', 'jwt-secret');
  const dev: AuthSettings = { ...settings, jwtSecret: undefined, allowDevSecret: true, devSecretFile: file };
  const [a, b] = await Promise.all([resolveJwtSecret(dev), resolveJwtSecret(dev)]);
  assert.ok(a && b);
  assert.is(Buffer.from(a).toString(), Buffer.from(b).toString(), 'concurrent first uses agree on one secret');
  assert.is((await stat(file)).mode & 0o777, 0o600);
  assert.is((await readFile(file, 'utf8')).trim().length, 64);
  const again = await resolveJwtSecret(dev);
  assert.is(Buffer.from(again!).toString(), Buffer.from(a).toString());
  assert.is(await resolveJwtSecret({ ...dev, allowDevSecret: false }), undefined);
  // The configured secret wins over the file.
  assert.is(Buffer.from((await resolveJwtSecret({ ...dev, jwtSecret: SECRET }))!).toString(), SECRET);
});

test('a deployment that configures only a JWKS URL never creates nor trusts a local HS256 secret', async () => {
  const file = path.join(tmp, 'jwks-only', 'jwt-secret');
  // A development-signed token, as anyone with a checkout could make one.
  const forged = await mintToken({ ...settings, jwtSecret: undefined, allowDevSecret: true, devSecretFile: file }, { userId: ALEX });
  await rm(file);
  for (const defaultEnvironment of ['production', 'development'] as const) {
    const auth = { ...loadConfig({ SUPABASE_JWKS_URL: 'http://127.0.0.1:9/jwks.json' }, { defaultEnvironment }).auth, devSecretFile: file };
    const error = await (await createTokenVerifier(auth)).verify(forged).then(() => undefined, (e: Error) => e);
    assert.instance(error, AuthError);
    assert.is((error as AuthError).code, 'token_invalid');
    await stat(file).then(() => assert.unreachable('a dev secret was created'), () => undefined);
  }
});

test('minted tokens verify, with the dev secret or the configured one', async () => {
  const dev: AuthSettings = { ...settings, jwtSecret: undefined, allowDevSecret: true, devSecretFile: path.join(tmp, 'mint-secret') };
  const verifier = await createTokenVerifier(dev);
  const user = await verifier.verify(await mintToken(dev, { userId: ALEX, email: 'alex@example.org', expiresInSeconds: 120 }));
  assert.is(user.userId, ALEX);
  assert.is(user.caller.claims.aud, 'authenticated');
  assert.is(user.caller.claims.email, 'alex@example.org');
  assert.ok(Math.abs(user.expiresAt!.getTime() - (Date.now() + 120_000)) < 5000);
  const service = await verifier.verify(await mintToken(dev, { role: 'service_role' }));
  assert.is(service.caller.role, 'service_role');
  assert.is(service.caller.claims.aud, undefined);
  const withIssuer = { ...settings, issuer: ISSUER };
  const issued = await (await createTokenVerifier(withIssuer)).verify(await mintToken(withIssuer, { userId: ALEX }));
  assert.is(issued.caller.claims.iss, ISSUER);
  try {
    await mintToken(settings, { userId: 'alex' });
    assert.unreachable('minted a user token without a uuid');
  } catch (error) {
    assert.match((error as Error).message, /uuid/);
  }
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, SUPABASE_JWT_SECRET: SECRET };
  delete env.DATABASE_URL;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', 'cli', 'token.ts'), ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('the token CLI prints only a verifiable token, with no database', async () => {
  const { code, stdout, stderr } = await cli('--user', ALEX, '--email', 'alex@example.org', '--expires', '600');
  assert.is(code, 0, stderr);
  assert.match(stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  const verified = await (await createTokenVerifier(settings)).verify(stdout.trim());
  assert.is(verified.userId, ALEX);
  assert.is(verified.caller.claims.email, 'alex@example.org');
});

test('the token CLI rejects a non-uuid user, a missing user and a bad role with exit code 2', async () => {
  for (const args of [['--user', 'alex'], [], ['--user', ALEX, '--role', 'postgres'], ['--user', ALEX, '--expires', '0'], ['--bogus']]) {
    const { code, stdout, stderr } = await cli(...args);
    assert.is(code, 2, `args ${args.join(' ')}`);
    assert.is(stdout, '');
    assert.match(stderr, /usage: npm run -s token/);
  }
});

test.run();
