/**
 * `npm start`: the whole system in one process on one machine. Uses DATABASE_URL
 * when set, else starts the embedded Postgres; applies migrations (and the Supabase
 * stand-in where Supabase is absent), loads the demo data, runs the worker
 * in-process and serves the api.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadConfigOrExit } from './config.js';
import { chooseLogFormat, createLogger } from './log.js';
import { migrate } from './db/migrations.js';
import { createPool, createSessionClient, endPool, resolveDatabase } from './db/pool.js';
import { loadSeed } from './db/seed.js';
import { createJobMetrics } from './events/job-metrics.js';
import { mintToken } from './auth/tokens.js';
import { createMetrics } from './http/metrics.js';
import { PortInUseError } from './http/server.js';
import { startApi } from './http/start-api.js';
import { startRealtime } from './realtime/start-realtime.js';

import { DEMO_PROFILE, DEMO_USER } from './db/demo-data.js';
import { registeredConsumers } from './consumers/index.js';
import { periodicSweeps, sweepsRunIn } from './sweeps/index.js';
import { Worker } from './events/worker.js';
import { installShutdown } from './shutdown.js';
import { parseCommandLine } from './cli/command-line.js';

parseCommandLine({
  name: 'start',
  usage: 'usage: npm start\n\nThe whole system in one process: database (embedded unless DATABASE_URL is set), migrations, demo data, worker, api and realtime, until Ctrl-C.',
});
// The local all-in-one: development unless GUARDIAN_ENV says otherwise (README, "Configuration").
const config = loadConfigOrExit({ process: 'all-in-one', defaultEnvironment: 'development' });
const logFormat = chooseLogFormat(process.stdout, config.onRender);
const log = createLogger(config.logLevel, 'guardian', { format: logFormat });
const onShutdown = installShutdown(log, config.jobs.shutdownGraceMs + 5000);
const migrationsDir = path.join(config.projectRoot, 'supabase', 'migrations');

const server = await resolveDatabase(config, log);
onShutdown('database server', () => server.stop());

const pool = createPool(server.target, config.databasePoolMax, log);
onShutdown('database pool', () => endPool(pool));

// Migrations hold a session lock: a connection of their own, on the session URL.
const client = createSessionClient(server.target, 'guardian-migrate');
await client.connect();
try {
  const result = await migrate(client, { dir: migrationsDir, log });
  log.info({ applied: result.applied.length, supabase_standin: result.standin }, 'database ready');
  if (config.seedDemoData) {
    await loadSeed(client, config.projectRoot);
    log.info('demo data loaded');
  }
} finally {
  await client.end();
}

// One metrics registry for the api and the worker sharing this process.
const metrics = createMetrics({ pool, bearerToken: config.http.metricsToken });
const worker = new Worker({ pool, database: server.target, consumers: await registeredConsumers({ config, pool }),
  sweeps: sweepsRunIn('worker', periodicSweeps({ pool, jobs: config.jobs })),
  onJobSettled: createJobMetrics(metrics.registry).onJobSettled,
  settings: config.jobs,
  log,
});
await worker.start();
onShutdown('worker', () => worker.stop());

const api = await startApi(config, pool, log, metrics).catch((error: unknown) =>
  error instanceof PortInUseError ? onShutdown.fail(`guardian: ${error.message} npm start`) : Promise.reject(error),
);
onShutdown('api', () => api.close());
// Registered after the api so it closes first: open sockets would hold the server open.
const realtime = await startRealtime({ config, databaseUrl: server.target, pool, server: api.server, log });
onShutdown('realtime', () => realtime.close());
const bound = (api.server.address() as AddressInfo).address;
// 0.0.0.0 and :: mean every interface: this machine reaches them as localhost.
const baseUrl = `http://${bound === '0.0.0.0' || bound === '::' ? 'localhost' : bound.includes(':') ? `[${bound}]` : bound}:${api.port}`;
log.info({ host: bound, port: api.port, embedded_database: server.embedded }, `api listening on ${baseUrl}`);

// Local development only (the dev secret, demo data): a token for the demo user Alex,
// the /app page, and a curl that uploads the shipped synthetic sample, so the whole loop
// can be tried at once. Logging a token is safe here and nowhere else: it is signed with
// the machine's own dev secret (.data/jwt-secret), for synthetic data, and expires in
// 12 hours. Real tokens stay redacted by the logger.
if (config.seedDemoData && config.auth.allowDevSecret && !config.auth.jwtSecret && !config.auth.jwksUrl) {
  const sample = path.relative(process.cwd(), path.join(config.projectRoot, 'samples', 'lab-report.pdf'));
  const demoToken = await mintToken(config.auth, { userId: DEMO_USER, expiresInSeconds: 12 * 3600 });
  // Single quotes: the command pastes into a shell as it is, and in JSON it needs no escapes.
  const curl = `curl -H 'Authorization: Bearer ${demoToken}' -F file=@${sample} ${baseUrl}/api/profiles/${DEMO_PROFILE}/documents`;
  const browser = `${baseUrl}/app`;
  if (logFormat === 'pretty') {
    // Plain text for a person: a token or a command inside a log line cannot be copied whole.
    process.stdout.write(
      `\nTry it (the demo user Alex; the token lasts 12 hours):\n\n` +
        `  in a browser:  ${browser}  ("Sign in as the demo user", or paste the token)\n` +
        `  token:         ${demoToken}\n\n` +
        `  upload the sample lab report:\n  ${curl}\n\n`,
    );
  } else {
    log.info({ demo_user: DEMO_USER, demo_profile: DEMO_PROFILE, demo_access_token: demoToken, browser, curl }, 'development token for the demo user (12 h): try it');
  }
}
