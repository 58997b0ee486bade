/**
 * `npm run cron`: Render's cron job (every 5 minutes, `node dist/cron.js`). One pass of
 * every database sweep (src/sweeps: expired leases, old jobs, the daily rules, stranded
 * uploads, rate-limit windows, journey versions), then exit. Workers run the same
 * sweeps on timers; this keeps maintenance going while no worker is up. A sweep the
 * database's pg_cron does (src/sweeps/database-cron.ts) is left to it.
 */
import { loadConfigOrExit } from './config.js';
import { createPool, resolveDatabase } from './db/pool.js';
import { createLogger } from './log.js';
import { cronShare } from './sweeps/database-cron.js';
import { periodicSweeps } from './sweeps/index.js';
import { runSweep, type SweepOutcome } from './sweeps/sweep.js';
import { parseCommandLine } from './cli/command-line.js';

parseCommandLine({ name: 'cron', usage: 'usage: npm run cron\n\nOne pass of every database sweep (leases, old jobs, daily rules, stranded uploads, rate limits, journey versions), then exit.' });
const config = loadConfigOrExit({ process: 'cron' });
const log = createLogger(config.logLevel, 'guardian-cron', { onRender: config.onRender });
const server = await resolveDatabase(config, log);
const pool = createPool(server.target, 2, log);
const outcomes: SweepOutcome[] = [];
// One after another: the cron job is the fallback, not the fast path, and two
// connections are all it asks of the database.
const share = await cronShare(periodicSweeps({ pool, jobs: config.jobs }), pool, log);
for (const sweep of share.run) outcomes.push(await runSweep(sweep, log));
await pool.end();
await server.stop();
const failed = outcomes.filter((outcome) => !outcome.ok).map((outcome) => outcome.name);
log.info({ sweeps: Object.fromEntries(outcomes.map((o) => [o.name, o.ok ? o.counts : 'failed'])), in_pg_cron: share.inDatabase }, failed.length ? 'cron run finished with failures' : 'cron run finished');
// A failed sweep fails the run, so Render shows it.
process.exit(failed.length ? 1 : 0);
