/**
 * The api's Koa app, built by a factory so tests drive it without a port.
 *
 *   request id + access log → problem+json errors → security headers, CORS → metrics
 *   → JSON body (size-limited) → routes (each: auth → rate limit → validate → handler → audit)
 */
import { randomUUID } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import cors from '@koa/cors';
import Router from '@koa/router';
import Koa from 'koa';
import type { DocumentSettings, HttpSettings } from '../config.js';
import { CallerPool } from '../db/caller-pool.js';
import { targetOf } from '../db/connection.js';
import { JourneyCache, registerJourneyCacheMetrics } from './api/journey-cache.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import type { FileStorage } from '../providers/storage/types.js';
import { apiRoutes } from './api/index.js';
import { cacheVerifiedTokens } from '../auth/token-cache.js';
import type { TokenVerifier } from '../auth/tokens.js';
import { createMetrics, type HttpMetrics } from './metrics.js';
import { AuditWriter } from './audit.js';
import type { DemoSignIn } from './demo-sign-in.js';
import { buildOpenApi } from './openapi.js';
import { errorMiddleware } from './problem.js';
import { RateLimiter } from './rate-limit.js';
import { mountRoutes } from './route.js';
import { appPageRoutes } from './routes/app-page.js';
import { problemPageRoutes } from './routes/problem-pages.js';
import { apiReferenceRoutes } from './routes/api-reference.js';
import { landingPageRoutes } from './routes/landing-page.js';
import { healthRoutes } from './routes/health.js';
import { readyRoutes } from './routes/ready.js';
import { securityHeaders } from './security-headers.js';
import { functionsProxy } from './functions-proxy.js';
import type { EdgeFunctionHost } from '../functions/edge-function-host.js';

export interface AppDeps {
  pool: Pool;
  log: Logger;
  migrationsDir: string;
  verifier: TokenVerifier;
  storage: FileStorage;
  http: HttpSettings;
  documents: Pick<DocumentSettings, 'maxBytes'>;
  version?: string;
  /** Metrics made by the caller (so a worker in the same process can add its job metrics). */
  metrics?: HttpMetrics;
  /** Connections for signed-in users' work (default: a pool of the same size on the same database, in its pool mode). */
  callerPool?: CallerPool;
  /** The journey answers kept between requests (default: one of http.journeyCacheBytes). */
  journeyCache?: JourneyCache;
  /** "Sign in as the demo user" on /app: only the local all-in-one has one (demo-sign-in.ts). */
  demo?: DemoSignIn;
  /** The local Edge Functions, served under /functions/v1 as Supabase serves them (local only). */
  edgeFunctions?: EdgeFunctionHost;
}

/** A successful GET of the /app page's files, or of anything that answers with other than JSON (pages, scripts, styles). */
function isPageOrAsset(ctx: Koa.Context): boolean {
  if (ctx.method !== 'GET' || ctx.status >= 400) return false;
  const route = typeof ctx.state.route === 'string' ? ctx.state.route : '';
  return route.startsWith('/app') || (ctx.body !== undefined && !ctx.response.is('json'));
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  // X-Forwarded-For is believed only as far as configured proxies wrote it (Render: its
  // Cloudflare edge and its own proxy; TRUST_PROXY_HOPS): the client address is the entry
  // that many from the right, and what a client wrote further left is ignored. Without
  // proxies the header is ignored and the socket's address counts, so nobody picks their
  // own per-IP rate-limit key.
  app.proxy = deps.http.trustProxyHops > 0;
  app.maxIpsCount = deps.http.trustProxyHops;
  // Errors are answered by errorMiddleware; Koa's own handler would print them again.
  app.silent = true;

  app.use(async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    ctx.state.requestId = /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    ctx.set('x-request-id', ctx.state.requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      // The route pattern, not the path: paths carry profile and document ids. Pages and
      // their files (HTML, scripts, styles) served fine are debug: a line for each of a
      // page's assets would bury the api's own lines.
      const line = { request_id: ctx.state.requestId, method: ctx.method, route: ctx.state.route ?? 'unmatched', status: ctx.status, ms: Math.round(performance.now() - started) };
      if (isPageOrAsset(ctx)) deps.log.debug(line, 'request');
      else deps.log.info(line, 'request');
    }
  });
  // Outside the error middleware, so it records the final status of every request.
  const metrics = deps.metrics ?? createMetrics({ pool: deps.pool, bearerToken: deps.http.metricsToken });
  app.use(metrics.middleware);
  app.use(errorMiddleware(deps.log));
  app.use(securityHeaders());
  // Before CORS and the body parser: a function answers its own preflight and reads its own body.
  if (deps.edgeFunctions) app.use(functionsProxy(deps.edgeFunctions));
  if (deps.http.corsOrigins.length > 0) {
    const allowed = new Set(deps.http.corsOrigins);
    app.use(cors({
      origin: (ctx) => (allowed.has('*') || allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposeHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    }));
  }
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: deps.http.jsonLimitBytes, encoding: 'utf-8' }));

  const journeyCache = deps.journeyCache ?? new JourneyCache(deps.http.journeyCacheBytes);
  registerJourneyCacheMetrics(metrics.registry, journeyCache);
  const routes = apiRoutes({ pool: deps.pool, storage: deps.storage, maxUploadBytes: deps.documents.maxBytes, journeyCache });
  const openapi = buildOpenApi(routes, { version: deps.version ?? '0.1.0' });
  const router = new Router();
  router.get('/openapi.json', (ctx) => {
    ctx.state.route = '/openapi.json';
    ctx.body = openapi;
  });
  router.get('/metrics', metrics.handler);
  mountRoutes(router, routes, {
    pool: deps.pool,
    callerPool: deps.callerPool ?? new CallerPool(targetOf(deps.pool), deps.pool.options.max ?? 10,
      (error) => deps.log.warn({ err: { message: error.message } }, 'caller pool connection error')),
    auditWriter: new AuditWriter(deps.pool),
    rateLimiter: new RateLimiter(deps.pool, (error) => deps.log.warn({ err: { message: error.message } }, 'rate-limit sync failed')),
    log: deps.log,
    verifier: cacheVerifiedTokens(deps.verifier),
    limits: { perUser: deps.http.rateLimitPerUser, perIp: deps.http.rateLimitPerIp, uploadsPerUser: deps.http.uploadRateLimitPerUser },
  });
  for (const extra of [healthRoutes(deps), readyRoutes(deps), appPageRoutes(deps), problemPageRoutes(), landingPageRoutes(), apiReferenceRoutes(openapi)]) app.use(extra.routes()).use(extra.allowedMethods());
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
