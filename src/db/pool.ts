/**
 * The connection pool and the one place that decides which Postgres we talk to.
 */
import pg from 'pg';
import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { surviveConnectionLoss } from './connection-loss.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface DatabaseServer {
  url: string;
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
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  if (config.onRender) {
    throw new ConfigError('DATABASE_URL', 'is required on Render: the embedded Postgres is a local convenience, and its data would be lost at the next deploy');
  }
  const embedded = await startEmbeddedPostgres({ dir: config.embeddedPgDir, port: config.embeddedPgPort, log });
  return { url: embedded.url, embedded: true, stop: embedded.stop };
}

export function createPool(url: string, max: number, log: Logger): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // A request should fail fast with a clear error rather than queue forever.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'guardian',
  });
  return surviveConnectionLoss(pool, (error) => log.warn({ err: { message: error.message } }, 'idle database connection lost'));
}
