/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or, off Render, the
 * embedded Postgres), the Supabase stand-in first where Supabase is absent. Render runs it
 * as the pre-deploy step (`node dist/cli/migrate.js`); a failure there stops the deploy.
 */
import path from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { migrate } from '../db/migrations.js';
import { createSessionClient, resolveDatabase, type DatabaseServer } from '../db/pool.js';
import type pg from 'pg';
import { parseCommandLine } from './command-line.js';

parseCommandLine({
  name: 'migrate',
  usage: 'usage: npm run migrate\n\nApplies pending migrations to DATABASE_URL (or, off Render, the embedded Postgres).',
});
const config = loadConfig();
const log = createLogger(config.logLevel, 'guardian-migrate');
let server: DatabaseServer | undefined;
let client: pg.Client | undefined;
let exitCode = 0;
try {
  // Inside the try: a refusal (DATABASE_URL missing on Render) is logged like any failure.
  server = await resolveDatabase(config, log);
  // The migration lock is a session lock: the session URL (DATABASE_LISTEN_URL when DATABASE_URL is a transaction pooler).
  client = createSessionClient(server.target, 'guardian-migrate');
  await client.connect();
  const result = await migrate(client, { dir: path.join(config.projectRoot, 'supabase', 'migrations'), log });
  log.info(
    { applied: result.applied.length, already_applied: result.alreadyApplied, supabase_standin: result.standin },
    'migrations up to date',
  );
} catch (error) {
  const e = error as Error & { code?: string };
  log.error({ code: e.code, err: { message: e.message } }, 'migration failed');
  exitCode = 1;
} finally {
  await client?.end().catch(() => {});
  await server?.stop();
}
process.exit(exitCode);
