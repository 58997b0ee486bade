/**
 * `npm run cron`: Render's cron job (every 5 minutes, `node dist/cron.js`). One pass of queue
 * maintenance, then exit: rescue jobs whose lease expired (retried while retries
 * remain, unlike the guide's "mark failed after an hour") and prune old jobs; and,
 * once per UTC day, queue every profile for the time-based decision-support rules.
 * Workers run the same sweeps on timers; this covers a fleet with no worker up.
 */
import { loadConfigOrExit } from './config.js';
import { createPool, resolveDatabase } from './db/pool.js';
import { dailySweep } from './consumers/decision-support/daily-sweep.js';
import { strandedUploadSweep } from './consumers/documents/requeue-stranded.js';
import { pruneSweep, rescueSweep } from './events/queue/maintenance.js';
import { pruneRateLimits } from './http/rate-limit.js';
import { compactJourneyWrites } from './consumers/journey/journey-writes.js';
import { createLogger } from './log.js';
import { parseCommandLine } from './cli/command-line.js';

parseCommandLine({ name: 'cron', usage: 'usage: npm run cron\n\nOne pass of every database sweep (leases, old jobs, daily rules, stranded uploads, rate limits, journey versions), then exit.' });
const config = loadConfigOrExit({ process: 'cron' });
const log = createLogger(config.logLevel, 'guardian-cron', { onRender: config.onRender });
const server = await resolveDatabase(config, log);
const pool = createPool(server.target, 2, log);
// The sweeps log their own outcome and never throw; a failed one fails the run, so
// Render shows it.
const rescued = await rescueSweep(pool, log);
const pruned = await pruneSweep(pool, config.jobs, log);
const swept = await dailySweep(pool, log);
const requeued = await strandedUploadSweep(pool, log);
await pruneRateLimits(pool).catch((error: Error) => log.warn({ err: { message: error.message } }, 'pruning rate limits failed'));
await compactJourneyWrites(pool).catch((error: Error) => log.warn({ err: { message: error.message } }, 'compacting journey versions failed'));
await pool.end();
await server.stop();
process.exit(rescued !== undefined && pruned && swept && requeued ? 0 : 1);
