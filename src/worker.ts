/**
 * `npm run worker`: the background worker (Render's worker service, `node dist/worker.js`). Runs every
 * registered consumer until SIGTERM, then stops gracefully (WORKER_SHUTDOWN_GRACE_MS).
 */
import { Registry } from 'prom-client';
import { loadConfigOrExit } from './config.js';
import { registeredConsumers } from './consumers/index.js';
import { periodicSweeps, sweepsRunIn } from './sweeps/index.js';
import { createPool, endPool, resolveDatabase } from './db/pool.js';
import { createJobMetrics } from './events/job-metrics.js';
import { publishJobMetrics } from './events/job-metrics-publisher.js';
import { Worker } from './events/worker.js';
import { createLogger } from './log.js';
import { installShutdown } from './shutdown.js';
import { parseCommandLine } from './cli/command-line.js';

parseCommandLine({ name: 'worker', usage: 'usage: npm run worker\n\nThe background worker: every registered consumer, until SIGTERM or Ctrl-C.' });
const config = loadConfigOrExit({ process: 'worker' });
const log = createLogger(config.logLevel, 'guardian-worker', { onRender: config.onRender });
const onShutdown = installShutdown(log, config.jobs.shutdownGraceMs + 5000);

const server = await resolveDatabase(config, log);
onShutdown('database server', () => server.stop());
const pool = createPool(server.target, config.databasePoolMax, log);
onShutdown('database pool', () => endPool(pool));

// Render's background workers cannot be scraped: job metrics are published to the
// database and served by the api's /metrics (src/events/job-metrics-publisher.ts).
const registry = new Registry();
const worker = new Worker({ pool, database: server.target, consumers: await registeredConsumers({ config, pool }),
  sweeps: sweepsRunIn('worker', periodicSweeps({ pool, jobs: config.jobs })),
  settings: config.jobs,
  log,
  onJobSettled: createJobMetrics(registry).onJobSettled,
});
await worker.start();
const publisher = publishJobMetrics({ pool, registry, workerId: worker.id, log });
onShutdown('job metrics', () => publisher.stop());
onShutdown('worker', () => worker.stop());
