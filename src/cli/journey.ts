/**
 * `npm run journey -- <command>`: repairs for the derived data.
 *
 *   rebuild <profile id>   recompute one profile's journey from its records
 *   rebuild --all          every profile, one at a time
 *   evaluate <profile id>  re-run the decision-support rules for one profile now
 *
 * Safe while workers run: a rebuild holds the profile's journey lock, and changes
 * committed during it stay queued for the next incremental recompute.
 */
import { loadConfig } from '../config.js';
import { evaluateProfile } from '../consumers/decision-support/evaluate-profile.js';
import { allProfileIds, rebuildJourney } from '../consumers/journey/recompute.js';
import { createPool, resolveDatabase } from '../db/pool.js';
import { createLogger } from '../log.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USAGE = 'usage: npm run journey -- rebuild <profile id> | rebuild --all | evaluate <profile id>';

const [command, target] = process.argv.slice(2);
const config = loadConfig();
const log = createLogger(config.logLevel, 'guardian-journey');
const server = await resolveDatabase(config, log);
// A rebuild holds a session lock (src/consumers/journey/recompute.ts): the session URL.
const pool = createPool(server.target, 2, log, { session: true });
let exitCode = 0;
try {
  if (command === 'rebuild' && (target === '--all' || (target && UUID.test(target)))) {
    const ids = target === '--all' ? await allProfileIds(pool) : [target];
    for (const id of ids) {
      const started = performance.now();
      const { records } = await rebuildJourney(pool, id);
      console.log(`rebuilt ${id}: ${records} records in ${Math.round(performance.now() - started)} ms`);
    }
  } else if (command === 'evaluate' && target && UUID.test(target)) {
    const result = await evaluateProfile(pool, target, { log });
    console.log(result ? JSON.stringify(result) : `profile ${target} does not exist`);
    if (!result) exitCode = 1;
  } else {
    console.error(USAGE);
    exitCode = 2;
  }
} catch (error) {
  console.error(`failed: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await pool.end();
  await server.stop();
}
process.exit(exitCode);
