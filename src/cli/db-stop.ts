/**
 * `npm run db:stop [-- --force]`: stops the embedded Postgres in EMBEDDED_PG_DIR if it is
 * running. One a live `npm start` owns is left alone unless --force (stopping it would cut
 * that process's connections); one left running by a process that is gone is stopped.
 * Exits 0 when the cluster is down afterwards, 1 when it was left running.
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { loadConfig } from '../config.js';
import { liveOwner, ownerFile } from '../db/embedded-postgres.js';
import { runningPostmaster, stopPostmaster } from '../db/postmaster.js';
import { parseCommandLine } from './command-line.js';

const { values } = parseCommandLine({
  name: 'db:stop',
  usage: 'usage: npm run db:stop [-- --force]\n\nStops the embedded Postgres in EMBEDDED_PG_DIR if it is running (--force: even while npm start uses it).',
  options: { force: { type: 'boolean' } },
});

const dir = loadConfig().embeddedPgDir;
const shown = path.relative(process.cwd(), dir) || dir;
const running = await runningPostmaster(path.join(dir, 'data'));
if (!running) {
  console.log(`the embedded Postgres in ${shown} is not running`);
  process.exit(0);
}
const owner = await liveOwner(dir);
if (owner !== undefined && values.force !== true) {
  console.error(`the embedded Postgres in ${shown} is in use by process ${owner} (npm start?): stop that with Ctrl-C, or run npm run db:stop -- --force`);
  process.exit(1);
}
await stopPostmaster(running.pid);
await rm(ownerFile(dir), { force: true });
console.log(`stopped the embedded Postgres in ${shown} (pid ${running.pid}, port ${running.port})`);
