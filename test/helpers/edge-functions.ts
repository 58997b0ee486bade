/**
 * The Edge Functions under test, run by the real Deno runtime (the pinned devDependency)
 * through the same host `npm start` uses, against a test database, with tokens signed by
 * the test api's secret (test/helpers/api.ts) as Supabase would sign them.
 *
 * Deno fetches the functions' npm packages into its cache (DENO_DIR, .data/deno) on the
 * first run; later runs start in well under a second.
 */
import { SignJWT } from 'jose';
import { EdgeFunctionHost } from '../../src/functions/edge-function-host.js';
import { createLogger } from '../../src/log.js';
import type { TestApi } from './api.js';
import { config, type TestDatabase } from './database.js';

/** The project's secret key as Supabase gives it to functions (SUPABASE_SECRET_KEYS), e.g. for a database webhook. */
export const TEST_SECRET_KEY = 'sb_secret_test0123456789abcdefghijklmn';

export interface TestEdgeFunctions {
  host: EdgeFunctionHost;
  /** Calls a function directly on its Deno process, as Supabase's gateway would. */
  call(name: string, init?: RequestInit & { search?: string }): Promise<Response>;
  close(): Promise<void>;
}

export function startEdgeFunctions(db: TestDatabase, api: TestApi): TestEdgeFunctions {
  const settings = config.edgeFunctions;
  if (!settings) throw new Error('Deno is not installed (node_modules/.bin/deno): `npm install` adds the pinned devDependency');
  const secret = api.auth.jwtSecret;
  if (!secret) throw new Error('the test api has no JWT secret');
  const env = { SUPABASE_DB_URL: db.url, SUPABASE_JWT_SECRET: secret, SUPABASE_SECRET_KEYS: JSON.stringify({ default: TEST_SECRET_KEY }) };
  const host = new EdgeFunctionHost(settings, env, createLogger('silent'));
  return {
    host,
    async call(name, init = {}) {
      const { search = '', ...rest } = init;
      return fetch(`${await host.origin(name)}/${name}${search}`, rest);
    },
    close: () => host.close(),
  };
}

/** A user token signed with the test api's secret, with these claims over a user's usual ones. */
export async function tokenWith(api: TestApi, userId: string, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated', aud: 'authenticated', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(api.auth.jwtSecret));
}

/** A user token that expired `secondsAgo` ago (past the 30 s clock tolerance by default). */
export async function expiredToken(api: TestApi, userId: string, secondsAgo = 600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(now - 3600 - secondsAgo)
    .setExpirationTime(now - secondsAgo)
    .sign(new TextEncoder().encode(api.auth.jwtSecret));
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A problem+json answer's status and code. */
export async function problemOf(response: Response): Promise<{ status: number; code: unknown; type: string | null }> {
  const body = (await response.json()) as { code?: unknown };
  return { status: response.status, code: body.code, type: response.headers.get('content-type') };
}
