/**
 * The connection pool and the one place that decides which Postgres we talk to.
 */
import pg from 'pg';
import { ConfigError, DATABASE_URL_REQUIRED_ON_RENDER, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { connectionConfig, rememberTarget, toTarget, type DatabaseLink, type DatabaseTarget } from './connection.js';
import { surviveConnectionLoss } from './connection-loss.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface DatabaseServer {
  /** The pooled URL (DATABASE_URL, or the embedded cluster's). */
  url: string;
  /** The URL with its pool mode, session URL and extra CA: what pools and listeners are made from. */
  target: DatabaseTarget;
  embedded: boolean;
  /** Stops the embedded cluster; a no-op for an external DATABASE_URL. */
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when set, else the embedded Postgres started from the project folder: a local
 * convenience only. On Render it would live on the service's disk, pass every health check
 * and lose its data at the next deploy, so there a missing DATABASE_URL is refused (every
 * caller, the lenient CLIs included).
 */
export async function resolveDatabase(config: Config, log: Logger): Promise<DatabaseServer> {
  if (!config.databaseUrl && config.onRender) {
    throw new ConfigError('DATABASE_URL', DATABASE_URL_REQUIRED_ON_RENDER);
  }
  const extraCa = config.databaseCa ? { extraCa: config.databaseCa.pem } : {};
  if (config.databaseUrl) {
    const target: DatabaseTarget = {
      url: config.databaseUrl,
      poolMode: config.databasePoolMode,
      sessionUrl: config.databaseListenUrl ?? config.databaseUrl,
      ...extraCa,
    };
    return { url: config.databaseUrl, target, embedded: false, stop: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dir: config.embeddedPgDir, port: config.embeddedPgPort, log });
  const target: DatabaseTarget = { url: embedded.url, poolMode: 'direct', sessionUrl: embedded.url, ...extraCa };
  return { url: embedded.url, target, embedded: true, stop: embedded.stop };
}

export interface PoolOptions {
  /** Default 'guardian'. */
  applicationName?: string;
  /** Connect to the session URL: for work that holds a session lock (migrations, journey rebuilds). */
  session?: boolean;
}

export function createPool(database: DatabaseLink, max: number, log: Logger, options: PoolOptions = {}): Pool {
  const target = toTarget(database);
  const resolved = connectionConfig(target, { applicationName: options.applicationName ?? 'guardian', session: options.session });
  const pool = new pg.Pool({
    ...resolved.config,
    max,
    // A request should fail fast with a clear error rather than queue forever.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // What is built on this pool later (the api's caller pool) connects where it does.
  rememberTarget(pool, options.session ? { ...target, url: target.sessionUrl, poolMode: resolved.mode } : target);
  return surviveConnectionLoss(pool, (error) => log.warn({ err: { message: error.message } }, 'idle database connection lost'));
}

/**
 * Ends a pool and waits until its connections have closed. pg-pool's end() resolves once
 * it has asked every client to end, before their sockets close; a database stopped right
 * after (the embedded Postgres at the end of a shutdown) would cut those closing
 * connections, and each would report a lost connection. pg-pool emits 'remove' when a
 * client's end has completed: one per client it held. Bounded: connections that do not
 * close in `waitMs` are not waited for.
 */
export async function endPool(pool: Pool, waitMs = 2000): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      if (--open <= 0) resolve();
    });
  });
  await pool.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
}

/** One connection that keeps its session (LISTEN-capable URL): migrations hold a session lock on it. */
export function createSessionClient(database: DatabaseLink, applicationName: string): pg.Client {
  return new pg.Client(connectionConfig(database, { applicationName, session: true }).config);
}
