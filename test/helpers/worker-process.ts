/**
 * A real worker process for crash and signal tests: the production Worker with the
 * recording test consumer, configured from the environment like `npm run worker`.
 */
import { loadConfig } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { Worker } from '../../src/events/worker.js';
import { periodicSweeps, sweepsRunIn } from '../../src/sweeps/index.js';
import { createLogger } from '../../src/log.js';
import { installShutdown } from '../../src/shutdown.js';
import { recordingConsumer } from './jobs.js';
// In a pooled run the URL is the session pooler's: declared so no startup option is sent.
import './pooled-run.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'test-worker');
const onShutdown = installShutdown(log, config.jobs.shutdownGraceMs + 5000);
const pool = createPool(config.databaseUrl!, 5, log);
onShutdown('pool', () => pool.end());
const worker = new Worker({
  pool,
  databaseUrl: config.databaseUrl!,
  consumers: [recordingConsumer(pool, { concurrency: 6, workerName: `pid-${process.pid}`, honourAbort: false })],
  settings: config.jobs,
  log,
  // The production worker's sweeps, so a dead worker's lease is rescued as in production.
  sweeps: sweepsRunIn('worker', periodicSweeps({ pool, jobs: config.jobs })),
});
await worker.start();
onShutdown('worker', () => worker.stop());
console.log(JSON.stringify({ ready: true, pid: process.pid }));
