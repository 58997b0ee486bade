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
import { parseCommandLine, usageError } from './command-line.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMMAND = {
  name: 'journey',
  usage: [
    'usage: npm run journey -- rebuild <profile id> | rebuild --all | evaluate <profile id>',
    '',
    '  rebuild <profile id>   recompute one profile\'s journey from its records',
    '  rebuild --all          every profile, one at a time',
    '  evaluate <profile id>  re-run the decision-support rules for one profile now',
  ].join('\n'),
};
const { values, positionals } = parseCommandLine({ ...COMMAND, options: { all: { type: 'boolean' } }, maxPositionals: 2 });
const [command, profileId] = positionals;
const all = values.all === true;
// Checked before connecting: a usage error should not start (or wait for) a database.
const valid =
  (command === 'rebuild' && (all ? profileId === undefined : profileId !== undefined && UUID.test(profileId))) ||
  (command === 'evaluate' && !all && profileId !== undefined && UUID.test(profileId));
if (!valid) usageError(COMMAND, command === undefined ? 'a command is required' : `cannot run "${process.argv.slice(2).join(' ')}"`);
const config = loadConfig();
const log = createLogger(config.logLevel, 'guardian-journey');
const server = await resolveDatabase(config, log);
// A rebuild holds a session lock (src/consumers/journey/recompute.ts): the session URL.
const pool = createPool(server.target, 2, log, { session: true });
let exitCode = 0;
try {
  if (command === 'rebuild') {
    const ids = all ? await allProfileIds(pool) : [profileId!];
    for (const id of ids) {
      const started = performance.now();
      const { records } = await rebuildJourney(pool, id);
      console.log(`rebuilt ${id}: ${records} records in ${Math.round(performance.now() - started)} ms`);
    }
  } else {
    const result = await evaluateProfile(pool, profileId!, { log });
    console.log(result ? JSON.stringify(result) : `profile ${profileId} does not exist`);
    if (!result) exitCode = 1;
  }
} catch (error) {
  console.error(`failed: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await pool.end();
  await server.stop();
}
process.exit(exitCode);
