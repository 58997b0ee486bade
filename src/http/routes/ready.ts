/**
 * GET /readyz: should this api replica take traffic? 200 when the database answers
 * within the timeout and every migration this build ships is applied; 503 otherwise,
 * with the reasons.
 *
 * The job queue is reported, never a reason: a backlog is the worker's problem, and
 * taking api replicas out of rotation would not drain a single job, only turn a slow
 * pipeline into an outage of the whole api (and, with every replica out, of /readyz
 * itself). `queue.backlog` flags an oldest due job older than backlogWarnSeconds for
 * the operator; alerting belongs on guardian_job_oldest_pending_seconds.
 *
 * Only counts, ages and migration file names: no ids, payloads or errors (a job's
 * error may quote health data; the database's may name hosts).
 */
import Router from '@koa/router';
import type { Pool, PoolClient } from '../../db/pool.js';
import { readMigrations } from '../../db/migration-files.js';
import { appliedVersions } from '../../db/migration-ledger.js';
import { PG } from '../../db/postgres-errors.js';

export interface ReadyDeps {
  pool: Pool;
  migrationsDir: string;
  /** queue.backlog is true when the oldest due pending job is older than this; default 300 s. */
  backlogWarnSeconds?: number;
  /**
   * The whole check's budget; default 2000 ms. pool.connect waits up to the pool's
   * connectionTimeoutMillis (10 s in createPool) for a blackholed host, and probes
   * (Render's: 5 s) would time out before learning anything.
   */
  timeoutMs?: number;
}

interface QueueSummary {
  pending: number;
  oldest_pending_seconds: number | null;
  failed: number;
  backlog: boolean;
}

type Check =
  | { kind: 'ok'; latencyMs: number; applied: number; pending: string[]; queue: QueueSummary | null }
  | { kind: 'down' };

/** Pending and failed jobs only, through idx_queue_status_priority: completed rows (kept for retention) are not read. */
const QUEUE_SQL = `
  select count(*) filter (where status = 'pending')::int as pending,
         count(*) filter (where status = 'failed')::int as failed,
         extract(epoch from now() - min(run_at) filter (where status = 'pending' and run_at <= now()))::float8
           as oldest_pending_seconds
    from public.job_queue
   where status in ('pending', 'failed')`;

export function readyRoutes(deps: ReadyDeps): Router {
  const backlogWarnSeconds = deps.backlogWarnSeconds ?? 300;
  const timeoutMs = deps.timeoutMs ?? 2000;
  // The files cannot change under a running build; read (and name-check) them once.
  let fileNames: Promise<{ name: string; version: string }[]> | undefined;
  const migrationFiles = () =>
    (fileNames ??= readMigrations(deps.migrationsDir).then(
      (ms) => ms.map((m) => ({ name: m.name, version: m.version })),
      (error: unknown) => {
        fileNames = undefined; // a transient read error is retried on the next probe
        throw error;
      },
    ));

  async function check(): Promise<Check> {
    const files = await migrationFiles();
    const started = performance.now();
    let client: PoolClient;
    try {
      client = await deps.pool.connect();
    } catch {
      return { kind: 'down' };
    }
    let broken = false;
    try {
      await client.query('select 1');
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      const applied = await appliedVersions(client);
      const pending = files.filter((file) => !applied.has(file.version)).map((file) => file.name);
      let queue: QueueSummary | null = null;
      if (pending.length === 0) {
        const { rows } = await client.query<Omit<QueueSummary, 'backlog'>>(QUEUE_SQL);
        const q = rows[0];
        if (q) {
          const oldest = q.oldest_pending_seconds === null ? null : Math.round(Math.max(0, q.oldest_pending_seconds));
          queue = { pending: q.pending, oldest_pending_seconds: oldest, failed: q.failed, backlog: oldest !== null && oldest > backlogWarnSeconds };
        }
      }
      return { kind: 'ok', latencyMs, applied: applied.size, pending, queue };
    } catch {
      broken = true;
      return { kind: 'down' };
    } finally {
      // A connection that errored may be half-dead: drop it rather than hand it on.
      client.release(broken);
    }
  }

  const router = new Router();
  router.get('/readyz', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    let result: Check | 'timeout' | 'unreadable';
    try {
      // The losing check keeps running and releases its connection when it ends.
      result = await Promise.race([check(), timedOut]);
    } catch {
      result = 'unreadable'; // the migration files (a broken build), not the database
    } finally {
      clearTimeout(timer);
    }

    if (result === 'timeout' || result === 'unreadable' || result.kind === 'down') {
      ctx.status = 503;
      const reason = result === 'timeout' ? 'database_timeout' : result === 'unreadable' ? 'migrations_unreadable' : 'database_unreachable';
      ctx.body = { status: 'not_ready', reasons: [reason], database: { status: reason === 'migrations_unreadable' ? 'unknown' : 'down' } };
      return;
    }
    const database = { status: 'up', latency_ms: result.latencyMs };
    const migrations = { applied: result.applied, pending: result.pending };
    if (result.pending.length > 0) {
      ctx.status = 503;
      ctx.body = { status: 'not_ready', reasons: ['migrations_pending'], database, migrations };
      return;
    }
    ctx.status = 200;
    ctx.body = { status: 'ready', database, migrations, queue: result.queue };
  });
  return router;
}
