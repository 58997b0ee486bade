/**
 * A pooled test run: `GUARDIAN_TEST_POOL_MODE=session npm test -- http/` (.ci/run) has
 * test/run.ts start a PgBouncer in session mode in front of the test server and name
 * it in GUARDIAN_TEST_POOLER_URL. Each test database's `url` (and its pool) then goes
 * through the pooler, while creating and dropping databases stays direct; a plain URL
 * of the pooler is known to the code as session-pooled (declarePoolMode), and services
 * started as processes get DATABASE_POOL_MODE, so nothing sends startup options there.
 */
import { declarePoolMode } from '../../src/db/connection.js';
import type { PoolMode } from '../../src/db/pool-mode.js';

function pooler(): { url: URL; mode: PoolMode } | undefined {
  const raw = process.env.GUARDIAN_TEST_POOLER_URL;
  if (!raw) return undefined;
  const mode = (process.env.GUARDIAN_TEST_POOL_MODE ?? 'session') as PoolMode;
  return { url: new URL(raw), mode };
}

export const testPooler = pooler();
if (testPooler) declarePoolMode(testPooler.url.host, testPooler.mode);

/** `database` through the run's pooler, or undefined in a normal run. */
export function pooledUrl(database: string): string | undefined {
  if (!testPooler) return undefined;
  const url = new URL(testPooler.url);
  url.pathname = `/${database}`;
  return url.toString();
}

/** DATABASE_POOL_MODE for a service process whose DATABASE_URL is the run's pooler. */
export function poolModeEnv(databaseUrl: string | undefined): Record<string, string> {
  if (!testPooler || !databaseUrl) return {};
  return new URL(databaseUrl).host === testPooler.url.host ? { DATABASE_POOL_MODE: testPooler.mode } : {};
}
