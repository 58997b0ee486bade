/**
 * `npm run cron`: Render's cron job (every 5 minutes). One pass of queue
 * maintenance, then exit: rescue jobs whose lease expired (retried while retries
 * remain, unlike the guide's "mark failed after an hour") and prune old jobs.
 * Workers run the same sweeps on timers; this covers a fleet with no worker up.
 */
import { loadConfig } from './config.js';
import { createPool, resolveDatabase } from './db/pool.js';
import { pruneJobs } from './events/queue/prune.js';
import { rescueExpiredLeases } from './events/queue/rescue.js';
import { createLogger } from './log.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'guardian-cron');
const server = await resolveDatabase(config, log);
const pool = createPool(server.url, 2, log);
let exitCode = 0;
try {
  const rescued = await rescueExpiredLeases(pool);
  const pruned = await pruneJobs(pool, {
    completedHours: config.jobs.completedRetentionHours,
    failedDays: config.jobs.failedRetentionDays,
  });
  log.info({ rescued, pruned }, 'queue maintenance done');
} catch (error) {
  log.error({ err: { message: (error as Error).message } }, 'queue maintenance failed');
  exitCode = 1;
} finally {
  await pool.end();
  await server.stop();
}
process.exit(exitCode);
