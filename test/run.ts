/**
 * `npm test` (after the type check): runs every uvu test file against the Postgres
 * named by DATABASE_URL, or, when it is unset, against the embedded Postgres in its
 * own folder (.data/postgres-test, so a running `npm start` is not disturbed).
 *
 * With GUARDIAN_TEST_POOL_MODE=session it also starts a PgBouncer in session mode in
 * front of that server, and the test databases are used through it
 * (test/helpers/pooled-run.ts); .ci/run runs the api's and the worker's suites so.
 *
 * It ends with one plain line "N passed, N failed" and exits non-zero when any test
 * failed or no test ran.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { startPgBouncer } from './helpers/pgbouncer.js';

const config = loadConfig();
const log = createLogger('warn', 'guardian-test');
// Only *.test.ts files, optionally narrowed to paths containing the given text.
const filter = process.argv[2];
const pattern = filter ? `^(?=.*${filter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}).*\\.test\\.ts$` : '\\.test\\.ts$';

let url = config.databaseUrl;
let stop = async () => {};
if (!url) {
  const embedded = await startEmbeddedPostgres({ dir: path.join(config.projectRoot, '.data', 'postgres-test'), port: 0, log });
  url = embedded.url;
  stop = embedded.stop;
  console.log('tests: no DATABASE_URL, using the embedded Postgres');
} else {
  console.log(`tests: using DATABASE_URL (${new URL(url).host})`);
}

const pooled: Record<string, string> = {};
const poolMode = process.env.GUARDIAN_TEST_POOL_MODE;
if (poolMode) {
  // Session mode only: the suites keep sessions (LISTEN, session settings) on their URL.
  if (poolMode !== 'session') throw new Error(`GUARDIAN_TEST_POOL_MODE: only session is supported for whole suites, not ${poolMode}`);
  const bouncer = await startPgBouncer({ serverUrl: url, mode: 'session', poolSize: 60 });
  const stopDatabase = stop;
  stop = async () => {
    await bouncer.stop();
    await stopDatabase();
  };
  pooled.GUARDIAN_TEST_POOLER_URL = bouncer.url('postgres');
  pooled.GUARDIAN_TEST_POOL_MODE = 'session';
  console.log(`tests: the test databases through PgBouncer in session mode (${bouncer.address})`);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(config.projectRoot, 'test', 'uvu-entry.ts'), 'test', pattern],
  {
    cwd: config.projectRoot,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', FORCE_COLOR: '0', ...pooled },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let output = '';
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});
const forward = (signal: NodeJS.Signals) => child.kill(signal);
process.once('SIGINT', forward);
process.once('SIGTERM', forward);
const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
await stop();

const number = (label: string) => Number(output.match(new RegExp(`${label}:\\s+(\\d+)`))?.[1] ?? 0);
const total = number('Total');
const passed = number('Passed');
console.log(`${passed} passed, ${total - passed} failed`);
process.exit(code !== 0 || total === 0 || passed !== total ? 1 : 0);
