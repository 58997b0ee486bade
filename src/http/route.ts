/**
 * Routes as data: each one declares its method, path, auth, input and output schemas
 * (zod) and a handler. `mountRoutes` turns them into @koa/router routes with one
 * pipeline — authenticate, rate-limit, validate, run, audit — and `openapi.ts` turns
 * the same declarations into the OpenAPI document, so the docs cannot drift from the
 * code.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import type { ZodType } from 'zod';
import { withCaller, type Caller } from '../db/as-caller.js';
import { PG } from '../db/postgres-errors.js';
import type { CallerPool } from '../db/caller-pool.js';
import type { Pool, PoolClient } from '../db/pool.js';
import { inTransaction } from '../db/transaction.js';
import type { QueryResult, QueryResultRow } from 'pg';
import type { Logger } from '../log.js';
import { outcomeOf, type AuditEntry, type AuditOutcome, type AuditWriter } from './audit.js';
import { isApiKey } from '../auth/api-keys.js';
import { AuthUnavailableError, bearerToken, type TokenVerifier } from '../auth/tokens.js';
import { HttpProblem } from './problem.js';
import type { RateLimiter, RateLimitKey } from './rate-limit.js';

/** user: a signed-in person (role authenticated); service: the service role only; public: no token needed. */
export type AuthMode = 'user' | 'service' | 'public';

export interface RouteResponse {
  description: string;
  schema?: ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface RouteContext<P, Q, B> {
  koa: Koa.Context;
  params: P;
  query: Q;
  body: B;
  caller: Caller | null;
  /** The signed-in user's id (null for public routes and service tokens). */
  userId: string | null;
  /** Runs `work` in one transaction as the caller: RLS decides what it sees and may change. */
  db<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
  /**
   * One read statement as the caller: the cheapest path (often one round trip). A
   * `name` makes it a prepared statement on each connection, so Postgres stops
   * planning it on every call (hot routes: planning was half the journey query's cost).
   */
  read<R extends QueryResultRow>(sql: string, params: unknown[], name?: string): Promise<QueryResult<R>>;
  /**
   * Runs `work` as the api's own database role, bypassing RLS. Only for what the
   * route has already authorised under RLS and the caller's role may not do itself
   * (enqueue a job, write a document's storage path): each use says why.
   */
  asService<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
  audit(entry: AuditEntry): void;
}

export interface RouteDefinition<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  /** @koa/router path, e.g. /api/profiles/:profileId */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  auth: AuthMode;
  params?: ZodType<P>;
  query?: ZodType<Q>;
  body?: ZodType<B>;
  /** A multipart/form-data body (documented; the handler reads the stream itself). */
  multipart?: { fileField: string; description: string };
  responses: Record<number, RouteResponse>;
  /** Extra per-user limit for expensive routes (uploads). */
  rateLimit?: 'upload';
  handle(ctx: RouteContext<P, Q, B>): Promise<void>;
}

// Route lists mix definitions of different input types; each is checked where it is written.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDefinition<any, any, any>;

export function defineRoute<P = unknown, Q = unknown, B = unknown>(route: RouteDefinition<P, Q, B>): AnyRoute {
  return route as AnyRoute;
}

export interface RouteDeps {
  pool: Pool;
  callerPool: CallerPool;
  auditWriter: AuditWriter;
  rateLimiter: RateLimiter;
  log: Logger;
  verifier: TokenVerifier;
  limits: { perUser: number; perIp: number; uploadsPerUser: number };
}

/**
 * The dotted path of the first string (or key) in `value` that holds a NUL character:
 * Postgres text cannot, and would answer a 500 (22021) for what is the client's mistake.
 * Iterative, so a deeply nested body cannot exhaust the stack.
 */
export function nulCharacterAt(value: unknown): string | undefined {
  const pending: [unknown, string[]][] = [[value, []]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return path.join('.');
    } else if (Array.isArray(item)) {
      item.forEach((element, i) => pending.push([element, [...path, String(i)]]));
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, element] of Object.entries(item)) {
        if (key.includes('\u0000')) return [...path, key.replace(/\u0000/g, '')].join('.');
        pending.push([element, [...path, key]]);
      }
    }
  }
  return undefined;
}

function parse<T>(schema: ZodType<T> | undefined, value: unknown, where: 'path' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const nul = nulCharacterAt(value);
  if (nul !== undefined) {
    throw new HttpProblem(400, 'validation_failed', `invalid ${where === 'path' ? 'path parameter' : where}`, {
      errors: [{ in: where, path: nul, message: 'must not contain a NUL character' }],
    });
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpProblem(400, 'validation_failed', `invalid ${where === 'path' ? 'path parameter' : where}`, {
    errors: result.error.issues.map((issue) => ({ in: where, path: issue.path.join('.'), message: issue.message })),
  });
}

async function authenticate(route: AnyRoute, koa: Koa.Context, verifier: TokenVerifier): Promise<{ caller: Caller | null; userId: string | null }> {
  if (route.auth === 'public') return { caller: null, userId: null };
  // Supabase clients and curl users send a project API key (sb_secret_…, sb_publishable_…)
  // in an `apikey` header; it counts when no Authorization header says otherwise.
  const apikey = koa.get('apikey');
  const token = bearerToken(koa.get('authorization') || undefined) ?? (isApiKey(apikey) ? apikey : undefined);
  if (!token) throw new HttpProblem(401, 'token_missing', 'sign in: an Authorization: Bearer <token> header is required');
  let verified;
  try {
    verified = await verifier.verify(token);
  } catch (error) {
    // Signing keys unreachable: a 503 (retry), not a 401 that would end a valid session.
    if (error instanceof AuthUnavailableError) {
      throw new HttpProblem(503, 'auth_unavailable', 'sign-in keys are temporarily unavailable; retry shortly')
        .withHeaders({ 'Retry-After': String(error.retryAfterSeconds) });
    }
    throw error;
  }
  const role = verified.caller.role;
  if (route.auth === 'user' && role !== 'authenticated') {
    throw new HttpProblem(403, 'role_not_allowed', `this endpoint is for signed-in users, not the ${role} role`);
  }
  if (route.auth === 'service' && role !== 'service_role') {
    throw new HttpProblem(403, 'service_role_required', 'this endpoint is for the service role only');
  }
  return { caller: verified.caller, userId: verified.userId };
}

/**
 * A foreign-key violation naming a user who is not in auth.users: a valid token for an
 * account that was deleted (or never existed here). That is the credential's fault, a
 * 401, not a 500; any other foreign-key failure stays what it was.
 */
async function unknownUser(error: unknown, userId: string | null, pool: Pool): Promise<HttpProblem | undefined> {
  if ((error as { code?: unknown } | null)?.code !== PG.foreignKeyViolation || !userId) return undefined;
  const { rowCount } = await pool.query('select 1 from auth.users where id = $1::uuid', [userId]).catch(() => ({ rowCount: 1 }));
  if (rowCount !== 0) return undefined;
  return new HttpProblem(401, 'user_not_found', 'the signed-in account does not exist (any more); sign in again');
}

export function mountRoutes(router: Router, routes: AnyRoute[], deps: RouteDeps): void {
  for (const route of routes) {
    router[route.method](route.operationId, route.path, async (koa) => {
      koa.state.route = route.path;
      const audit: AuditEntry[] = [];
      let identity: { caller: Caller | null; userId: string | null } = { caller: null, userId: null };
      let failure: unknown;
      const auditContext = (outcome: AuditOutcome) => ({
        userId: identity.userId,
        isService: identity.caller?.role === 'service_role',
        requestId: String(koa.state.requestId),
        outcome,
      });
      try {
        // Counted before the token is checked: requests with bad or forged tokens are
        // limited per address like any other (the address is the socket's, or the one the
        // configured proxies reported: TRUST_PROXY_HOPS).
        if (route.auth !== 'public') deps.rateLimiter.hit([{ key: `ip:${koa.ip}`, limit: deps.limits.perIp }]);
        identity = await authenticate(route, koa, deps.verifier);
        if (identity.userId) {
          const keys: RateLimitKey[] = [{ key: `user:${identity.userId}`, limit: deps.limits.perUser }];
          if (route.rateLimit === 'upload') keys.push({ key: `upload:${identity.userId}`, limit: deps.limits.uploadsPerUser });
          deps.rateLimiter.hit(keys);
        }
        const caller = identity.caller;
        const context: RouteContext<unknown, unknown, unknown> = {
          koa,
          params: parse(route.params, koa.params, 'path'),
          query: parse(route.query, koa.query, 'query'),
          body: parse(route.body, (koa.request as { body?: unknown }).body, 'body'),
          caller,
          userId: identity.userId,
          db: (work) => {
            if (!caller) throw new Error(`route ${route.operationId} is public and has no caller to run as`);
            return caller.role === 'authenticated' ? deps.callerPool.transaction(caller, work) : withCaller(deps.pool, caller, work);
          },
          read: <R extends QueryResultRow>(sql: string, params: unknown[], name?: string) => {
            if (!caller) throw new Error(`route ${route.operationId} is public and has no caller to run as`);
            return caller.role === 'authenticated'
              ? deps.callerPool.read<R>(caller, sql, params, name)
              : withCaller(deps.pool, caller, (client) => client.query<R>(sql, params));
          },
          asService: (work) => inTransaction(deps.pool, work),
          audit: (entry) => audit.push(entry),
        };
        await route.handle(context);
      } catch (error) {
        failure = (await unknownUser(error, identity.userId, deps.pool)) ?? error;
        throw failure;
      } finally {
        if (audit.length > 0) {
          // A thrown error carries its status (the error middleware sets it later).
          const status = failure === undefined ? koa.status : Number((failure as { status?: unknown }).status ?? 500);
          await deps.auditWriter.write(audit, auditContext(outcomeOf(status))).catch((error: Error) => deps.log.error({ request_id: koa.state.requestId, err: { message: error.message } }, 'audit write failed'));
        }
      }
    });
  }
}
