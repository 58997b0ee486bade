/**
 * `npm run jobs -- <command>`: the operator's view of the queue.
 *
 *   status            depth by type and status, oldest due job's age, recent failures
 *   retry <job id>    give a failed job a fresh set of attempts
 *   cancel <job id>   stop a pending or failed job
 */
import { loadConfig } from '../config.js';
import { createPool, resolveDatabase } from '../db/pool.js';
import { cancelJob } from '../events/queue/cancel.js';
import { JobQueueError } from '../events/queue/job.js';
import { retryJob } from '../events/queue/retry.js';
import { queueStatus, type QueueStatus } from '../events/queue/status.js';
import { createLogger } from '../log.js';
import { parseCommandLine, usageError } from './command-line.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function printStatus(status: QueueStatus): void {
  const types = [...new Set(status.depth.map((d) => d.type))];
  const statuses = ['pending', 'processing', 'completed', 'failed'];
  const count = (type: string, s: string) => status.depth.find((d) => d.type === type && d.status === s)?.count ?? 0;
  const width = Math.max(4, ...types.map((t) => t.length));
  console.log(['type'.padEnd(width), ...statuses.map((s) => s.padStart(10))].join('  '));
  for (const type of types) console.log([type.padEnd(width), ...statuses.map((s) => String(count(type, s)).padStart(10))].join('  '));
  if (types.length === 0) console.log('(queue is empty)');
  const age = status.oldestPendingAgeSeconds;
  console.log(`\noldest due pending job: ${age === null ? 'none' : `${age.toFixed(1)} s`}`);
  if (status.failures.length > 0) {
    console.log('\nfailed jobs (newest first):');
    for (const f of status.failures) {
      console.log(`  ${f.id}  ${f.type}  attempts ${f.retryCount}  ${f.failedAt?.toISOString() ?? ''}\n    ${f.error ?? ''}`);
    }
  }
}

const COMMAND = {
  name: 'jobs',
  usage: [
    'usage: npm run jobs -- status | retry <job id> | cancel <job id>',
    '',
    '  status            depth by type and status, oldest due job, recent failures (the default)',
    '  retry <job id>    give a failed job a fresh set of attempts',
    '  cancel <job id>   stop a pending or failed job',
  ].join('\n'),
};
const { positionals } = parseCommandLine({ ...COMMAND, maxPositionals: 2 });
const [command = 'status', id] = positionals;
// Checked before connecting: a usage error should not start (or wait for) a database.
if (command === 'status' ? id !== undefined : !((command === 'retry' || command === 'cancel') && id && UUID.test(id))) {
  usageError(COMMAND, command === 'retry' || command === 'cancel' ? `${command} needs a job id (a uuid)` : `unknown command "${positionals.join(' ')}"`);
}
const config = loadConfig();
const log = createLogger('warn', 'guardian-jobs');
const server = await resolveDatabase(config, log);
const pool = createPool(server.target, 2, log);
let exitCode = 0;
try {
  if (command === 'status') {
    printStatus(await queueStatus(pool));
  } else if (id) {
    await (command === 'retry' ? retryJob(pool, id) : cancelJob(pool, id));
    console.log(`${command === 'retry' ? 'retried' : 'cancelled'} ${id}`);
  }
} catch (error) {
  if (error instanceof JobQueueError) {
    console.error(`${error.code}: ${error.message}`);
    exitCode = 1;
  } else throw error;
} finally {
  await pool.end();
  await server.stop();
}
process.exit(exitCode);
