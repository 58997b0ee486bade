/**
 * The api's Koa app, built by a factory so tests drive it without a port.
 */
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { errorMiddleware } from './problem.js';
import { healthRoutes } from './routes/health.js';

export interface AppDeps {
  pool: Pool;
  log: Logger;
  migrationsDir: string;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.proxy = true; // Render terminates TLS in front of us
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
      // Method, route and status only: a path or query may carry ids worth hiding later.
      deps.log.info(
        { request_id: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) },
        'request',
      );
    }
  });
  app.use(errorMiddleware(deps.log));

  const health = healthRoutes(deps);
  app.use(health.routes()).use(health.allowedMethods());
  return app;
}
