/**
 * GET /healthz: is the process alive, can it reach the database, are the
 * migrations it was built with applied. 200 when all is well, 503 otherwise, so
 * Render's health check takes a replica out when its database is gone.
 */
import Router from '@koa/router';
import type { Pool } from '../../db/pool.js';
import { migrationState } from '../../db/migrations.js';

export function healthRoutes(deps: { pool: Pool; migrationsDir: string }): Router {
  const router = new Router();
  router.get('/healthz', async (ctx) => {
    const started = performance.now();
    try {
      const client = await deps.pool.connect();
      try {
        await client.query('select 1');
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        const migrations = await migrationState(client, deps.migrationsDir);
        const ready = migrations.pending.length === 0;
        ctx.status = ready ? 200 : 503;
        ctx.body = {
          status: ready ? 'ok' : 'migrations_pending',
          database: { status: 'up', latency_ms: latencyMs, migrations },
        };
      } finally {
        client.release();
      }
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'database_unreachable', database: { status: 'down' } };
    }
  });
  return router;
}
