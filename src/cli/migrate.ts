/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded
 * Postgres), the Supabase stand-in first where Supabase is absent. Render runs it as
 * the pre-deploy step.
 */
import path from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { migrate } from '../db/migrations.js';
import { createSessionClient, resolveDatabase } from '../db/pool.js';

const config = loadConfig();
const log = createLogger(config.logLevel, 'guardian-migrate');
const server = await resolveDatabase(config, log);
// The migration lock is a session lock: the session URL (DATABASE_LISTEN_URL when DATABASE_URL is a transaction pooler).
const client = createSessionClient(server.target, 'guardian-migrate');
let exitCode = 0;
try {
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
  await client.end().catch(() => {});
  await server.stop();
}
process.exit(exitCode);
