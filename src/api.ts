/**
 * `npm run api`: the api alone (Render's web service, `node dist/api.js`). Migrations are
 * the pre-deploy step's job, so a replica never races a schema change at boot.
 */
import type { AddressInfo } from 'node:net';
import { loadConfigOrExit } from './config.js';
import { createLogger } from './log.js';
import { createPool, endPool, resolveDatabase } from './db/pool.js';
import { PortInUseError } from './http/server.js';
import { startApi } from './http/start-api.js';
import { installShutdown } from './shutdown.js';
import { parseCommandLine } from './cli/command-line.js';

parseCommandLine({ name: 'api', usage: 'usage: npm run api\n\nThe api alone, on HOST:PORT, until SIGTERM or Ctrl-C (migrations are `npm run migrate`).' });
const config = loadConfigOrExit({ process: 'api' });
const log = createLogger(config.logLevel, 'guardian-api', { onRender: config.onRender });
const onShutdown = installShutdown(log);

const server = await resolveDatabase(config, log);
onShutdown('database server', () => server.stop());
const pool = createPool(server.target, config.databasePoolMax, log);
onShutdown('database pool', () => endPool(pool));

const api = await startApi(config, pool, log).catch((error: unknown) =>
  error instanceof PortInUseError ? onShutdown.fail(`guardian api: ${error.message} npm run api`) : Promise.reject(error),
);
onShutdown('api', () => api.close());
// The address actually bound (HOST, else 127.0.0.1 locally and 0.0.0.0 on Render).
log.info({ host: (api.server.address() as AddressInfo).address, port: api.port }, 'api listening');
