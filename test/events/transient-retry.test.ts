import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { isDatabaseUnavailable } from '../../src/db/postgres-errors.js';
import { retryWhileDatabaseUnavailable } from '../../src/events/transient-retry.js';

const test = suite('transient retry');

const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
const options = (wanted = () => true) => ({ stillWanted: wanted, signal: () => new AbortController().signal, delaysMs: [1, 1, 1] });

test('what counts as the database being unavailable: lost connections, shutdowns, refusals; not bad input or bugs', () => {
  for (const error of [
    terminated(),
    { code: '57P03', message: 'the database system is starting up' },
    { code: '08006', message: 'connection failure' },
    { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
    new Error('Connection terminated unexpectedly'),
    new Error('Client has encountered a connection error and is not queryable'),
    new Error('timeout exceeded when trying to connect'),
  ]) assert.ok(isDatabaseUnavailable(error), JSON.stringify(error));
  for (const error of [
    { code: '23505', message: 'duplicate key' },
    { code: '22P02', message: 'invalid input syntax for type uuid' },
    new TypeError('x is undefined'),
    'a string',
    null,
  ]) assert.not.ok(isDatabaseUnavailable(error), JSON.stringify(error));
});

test('a run that lost its database connection runs again and returns what the next run returns', async () => {
  let runs = 0;
  const retried: number[] = [];
  const result = await retryWhileDatabaseUnavailable(async () => {
    runs++;
    if (runs < 3) throw terminated();
    return 'done';
  }, { ...options(), onRetry: (retry) => retried.push(retry) });
  assert.is(result, 'done');
  assert.equal(retried, [1, 2]);
});

test('other errors, a job no longer ours, and an outage longer than the pauses are thrown for the queue to handle', async () => {
  let runs = 0;
  const bug = new TypeError('a bug');
  assert.is(await retryWhileDatabaseUnavailable(async () => { runs++; throw bug; }, options()).catch((e) => e), bug);
  assert.is(runs, 1);
  runs = 0;
  await retryWhileDatabaseUnavailable(async () => { runs++; throw terminated(); }, options(() => false)).catch(() => undefined);
  assert.is(runs, 1);
  runs = 0;
  const error = await retryWhileDatabaseUnavailable(async () => { runs++; throw terminated(); }, options()).catch((e) => e);
  assert.is(runs, 4); // the first run and one per pause
  assert.is((error as { code: string }).code, '57P01');
});

test.run();
