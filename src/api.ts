/**
 * `npm run api`: the api alone (Render's web service). Migrations are the
 * pre-deploy step's job, so a replica never races a schema change at boot.
 */
import path from 'node:path';
import { loadConfig } from './config.js';
import { createLogger } from './log.js';
import { createPool, resolveDatabase } from './db/pool.js';
import { listen } from './http/server.js';
import { installShutdown } from './shutdown.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'guardian-api');
const onShutdown = installShutdown(log);

const server = await resolveDatabase(config, log);
onShutdown('database server', () => server.stop());
const pool = createPool(server.url, config.databasePoolMax, log);
onShutdown('database pool', () => pool.end());

const api = await listen({ pool, log, migrationsDir: path.join(config.projectRoot, 'supabase', 'migrations') }, config.port);
onShutdown('api', () => api.close());
log.info({ port: api.port }, 'api listening');
