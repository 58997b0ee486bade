import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/events/queue/backoff.js';
import { cancelJob } from '../../src/events/queue/cancel.js';
import { claimJobs } from '../../src/events/queue/claim.js';
import { completeJobs } from '../../src/events/queue/complete.js';
import { enqueue, enqueueMany } from '../../src/events/queue/enqueue.js';
import { failJobs } from '../../src/events/queue/fail.js';
import { JobQueueError } from '../../src/events/queue/job.js';
import { heartbeatJobs, releaseJobs } from '../../src/events/queue/lease.js';
import { pruneJobs } from '../../src/events/queue/prune.js';
import { rescueExpiredLeases } from '../../src/events/queue/rescue.js';
import { retryJob } from '../../src/events/queue/retry.js';
import { queueStatus } from '../../src/events/queue/status.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('job queue API');
const W = 'worker-a';
const LEASE = 60_000;

test.before.each(async ({ db }) => {
  await db.pool.query('delete from public.job_queue');
  await db.pool.query('delete from private.idle_workers');
});

async function job(db: { pool: import('pg').Pool }, id: string) {
  const { rows } = await db.pool.query('select * from public.job_queue where id = $1::uuid', [id]);
  return rows[0];
}

test('enqueue inside the caller transaction: a rollback leaves no job', async ({ db }) => {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await enqueue(client, 'test_job', { n: 1 });
    await client.query('rollback');
  } finally {
    client.release();
  }
  assert.is((await db.pool.query('select count(*)::int as n from public.job_queue')).rows[0].n, 0);
});

test('a de-duplication key absorbs repeats while the job is pending, not once it runs', async ({ db }) => {
  const first = await enqueue(db.pool, 'test_job', { profile: 'p1' }, { dedupeKey: 'p1' });
  const second = await enqueue(db.pool, 'test_job', { profile: 'p1' }, { dedupeKey: 'p1' });
  assert.is(second.id, first.id);
  assert.is(first.deduplicated, false);
  assert.is(second.deduplicated, true);
  const claimed = await claimJobs(db.pool, { type: 'test_job', limit: 10, workerId: W, leaseMs: LEASE });
  assert.equal(claimed.map((j) => j.id), [first.id]);
  const third = await enqueue(db.pool, 'test_job', { profile: 'p1' }, { dedupeKey: 'p1' });
  assert.is.not(third.id, first.id);
  assert.is(third.deduplicated, false);
});

test('claim takes due jobs of its type only, best priority first, then oldest', async ({ db }) => {
  const low = await enqueue(db.pool, 'test_job', {}, { priority: 0 });
  const high = await enqueue(db.pool, 'test_job', {}, { priority: 5 });
  const low2 = await enqueue(db.pool, 'test_job', {}, { priority: 0 });
  await enqueue(db.pool, 'test_job', {}, { priority: 9, runAt: new Date(Date.now() + 60_000) });
  await enqueue(db.pool, 'other_job', {}, { priority: 9 });
  const claimed = await claimJobs(db.pool, { type: 'test_job', limit: 10, workerId: W, leaseMs: LEASE });
  assert.equal(claimed.map((j) => j.id), [high.id, low.id, low2.id]);
  const row = await job(db, high.id);
  assert.is(row.status, 'processing');
  assert.is(row.locked_by, W);
  assert.ok(row.locked_until > new Date(Date.now() + LEASE - 5000));
  assert.ok(row.started_at instanceof Date);
});

test('concurrent claims never return the same job (SKIP LOCKED)', async ({ db }) => {
  await enqueueMany(db.pool, Array.from({ length: 300 }, (_, i) => ({ type: 'test_job', payload: { i } })));
  const batches = await Promise.all(
    ['w1', 'w2', 'w3'].map((w) => claimJobs(db.pool, { type: 'test_job', limit: 150, workerId: w, leaseMs: LEASE })),
  );
  const ids = batches.flat().map((j) => j.id);
  assert.is(ids.length, 300);
  assert.is(new Set(ids).size, 300);
});

test('complete with no retention deletes the batch it holds, and only that', async ({ db }) => {
  const a = await enqueue(db.pool, 'test_job', {});
  const b = await enqueue(db.pool, 'test_job', {});
  const c = await enqueue(db.pool, 'test_job', {});
  await claimJobs(db.pool, { type: 'test_job', limit: 2, workerId: W, leaseMs: LEASE });
  assert.is(await completeJobs(db.pool, 'someone-else', [{ id: a.id, result: null }]), 0);
  assert.is(await completeJobs(db.pool, W, [{ id: a.id, result: null }, { id: b.id, result: null }, { id: c.id, result: null }]), 2);
  const left = await db.pool.query('select id, status from public.job_queue');
  assert.equal(left.rows, [{ id: c.id, status: 'pending' }]);
});

test('complete with retention acknowledges a batch, keeps the result, and ignores jobs this worker no longer holds', async ({ db }) => {
  const a = await enqueue(db.pool, 'test_job', {});
  const b = await enqueue(db.pool, 'test_job', {});
  await claimJobs(db.pool, { type: 'test_job', limit: 10, workerId: W, leaseMs: LEASE });
  const n = await completeJobs(db.pool, 'someone-else', [{ id: a.id, result: null }], true);
  assert.is(n, 0);
  const done = await completeJobs(
    db.pool,
    W,
    [
      { id: a.id, result: { pages: 2 } },
      { id: b.id, result: undefined },
    ],
    true,
  );
  assert.is(done, 2);
  const row = await job(db, a.id);
  assert.is(row.status, 'completed');
  assert.equal(row.result, { pages: 2 });
  assert.is(row.locked_by, null);
  assert.ok(row.completed_at instanceof Date);
});

test('a failed attempt returns to pending with a growing backoff, then fails for good after max_retries', async ({ db }) => {
  const { id } = await enqueue(db.pool, 'test_job', {}, { maxRetries: 2 });
  const runAts: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    await db.pool.query(`update public.job_queue set run_at = now() where id = $1::uuid`, [id]);
    const [claimed] = await claimJobs(db.pool, { type: 'test_job', limit: 1, workerId: W, leaseMs: LEASE });
    assert.is(claimed?.id, id);
    assert.is(claimed?.retryCount, attempt);
    const before = Date.now();
    const [outcome] = await failJobs(db.pool, W, [
      { id, error: `Error: attempt ${attempt} broke`, delayMs: backoffDelay(attempt, { baseMs: 1000, maxMs: 60_000 }, () => 1), permanent: false },
    ]);
    if (attempt < 2) {
      assert.is(outcome?.status, 'pending');
      runAts.push(outcome!.runAt.getTime() - before);
    } else {
      assert.is(outcome?.status, 'failed');
    }
  }
  assert.ok(runAts[0]! >= 900 && runAts[0]! < 1500, `first delay ${runAts[0]}`);
  assert.ok(runAts[1]! >= 1900 && runAts[1]! < 2500, `second delay ${runAts[1]}`);
  const row = await job(db, id);
  assert.is(row.status, 'failed');
  assert.is(row.retry_count, 3);
  assert.is(row.error, 'Error: attempt 2 broke');
  assert.ok(row.completed_at instanceof Date);
});

test('backoff grows exponentially with jitter inside [ceiling/2, ceiling] and is capped', () => {
  const policy = { baseMs: 100, maxMs: 1000 };
  assert.is(backoffDelay(0, policy, () => 0), 50);
  assert.is(backoffDelay(0, policy, () => 1), 100);
  assert.is(backoffDelay(3, policy, () => 0), 400);
  assert.is(backoffDelay(3, policy, () => 1), 800);
  assert.is(backoffDelay(20, policy, () => 1), 1000);
});

test('a permanent error fails the job at once, retries left or not', async ({ db }) => {
  const { id } = await enqueue(db.pool, 'test_job', {}, { maxRetries: 5 });
  await claimJobs(db.pool, { type: 'test_job', limit: 1, workerId: W, leaseMs: LEASE });
  const [outcome] = await failJobs(db.pool, W, [{ id, error: 'empty_file: the file is empty', delayMs: 1000, permanent: true }]);
  assert.is(outcome?.status, 'failed');
  assert.is((await job(db, id)).error, 'empty_file: the file is empty');
});

test('a retried job whose key is pending again gives up its key instead of colliding', async ({ db }) => {
  const first = await enqueue(db.pool, 'test_job', {}, { dedupeKey: 'k' });
  await claimJobs(db.pool, { type: 'test_job', limit: 1, workerId: W, leaseMs: LEASE });
  const second = await enqueue(db.pool, 'test_job', {}, { dedupeKey: 'k' });
  const [outcome] = await failJobs(db.pool, W, [{ id: first.id, error: 'boom', delayMs: 0, permanent: false }]);
  assert.is(outcome?.status, 'pending');
  assert.is((await job(db, first.id)).dedupe_key, null);
  assert.is((await job(db, second.id)).dedupe_key, 'k');
});

test('heartbeat extends held leases and reports the ones lost; release hands jobs back uncounted', async ({ db }) => {
  const a = await enqueue(db.pool, 'test_job', {});
  const b = await enqueue(db.pool, 'test_job', {});
  await claimJobs(db.pool, { type: 'test_job', limit: 2, workerId: W, leaseMs: 1000 });
  await db.pool.query(`update public.job_queue set locked_by = 'thief' where id = $1::uuid`, [b.id]);
  const kept = await heartbeatJobs(db.pool, W, [a.id, b.id], 120_000);
  assert.equal([...kept], [a.id]);
  assert.ok((await job(db, a.id)).locked_until > new Date(Date.now() + 100_000));
  assert.is(await releaseJobs(db.pool, W, [a.id]), 1);
  const row = await job(db, a.id);
  assert.is(row.status, 'pending');
  assert.is(row.retry_count, 0);
  assert.is(row.locked_by, null);
});

test('expired leases are rescued: retried after their backoff while retries remain, failed after', async ({ db }) => {
  const retried = await enqueue(db.pool, 'test_job', {}, { maxRetries: 3 });
  const spent = await enqueue(db.pool, 'test_job', {}, { maxRetries: 0 });
  const fresh = await enqueue(db.pool, 'test_job', {});
  await claimJobs(db.pool, { type: 'test_job', limit: 3, workerId: 'dead-worker', leaseMs: LEASE });
  await db.pool.query(`update public.job_queue set locked_until = now() - interval '1 second' where id = any($1::uuid[])`, [
    [retried.id, spent.id],
  ]);
  // A second rescued attempt of the retried job: its backoff is the policy's second step.
  await db.pool.query('update public.job_queue set retry_count = 1 where id = $1::uuid', [retried.id]);
  const before = Date.now();
  const rescued = await rescueExpiredLeases(db.pool);
  assert.is(rescued.retried, 1);
  assert.is(rescued.failed, 1);
  const r = await job(db, retried.id);
  assert.equal(rescued.due, [{ type: 'test_job', runAt: r.run_at }]);
  assert.is(r.status, 'pending');
  assert.is(r.retry_count, 2);
  assert.match(r.error, /lease expired: worker dead-worker/);
  assert.is(r.locked_by, null);
  const wait = r.run_at.getTime() - before;
  assert.ok(wait >= backoffDelay(1, DEFAULT_BACKOFF, () => 0) - 50 && wait <= backoffDelay(1, DEFAULT_BACKOFF, () => 1) + 1000, `backoff ${wait} ms`);
  const s = await job(db, spent.id);
  assert.is(s.status, 'failed');
  assert.ok(s.completed_at);
  assert.is((await job(db, fresh.id)).status, 'processing');
  // Nothing is due yet: a claim finds the rescued job only once its backoff has passed.
  assert.equal(await claimJobs(db.pool, { type: 'test_job', limit: 5, workerId: W, leaseMs: LEASE }), []);
});

test('only the service rescues leases: the API roles may not call the rescue, the service role may', async ({ db }) => {
  const refused = await db.asUser(randomUUID(), (c) =>
    c.query('select * from private.rescue_expired_leases(1)').then(() => 'ran', (e: Error) => e.message),
  );
  assert.match(refused, /permission denied for function rescue_expired_leases/);
  assert.equal(await db.asService((c) => rescueExpiredLeases(c)), { retried: 0, failed: 0, due: [] });
});

test("the database's retry delay follows backoff.ts's default policy, step by step up to its cap", async ({ db }) => {
  const steps = [0, 1, 2, 5, 11, 12, 20, 40];
  const { rows } = await db.pool.query<{ step: number; ms: number }>(
    `select step, extract(epoch from private.job_retry_delay(step)) * 1000 as ms
       from unnest($1::int[]) step, generate_series(1, 50)`,
    [steps],
  );
  for (const step of steps) {
    const delays = rows.filter((r) => r.step === step).map((r) => Number(r.ms));
    const low = backoffDelay(step, DEFAULT_BACKOFF, () => 0);
    const high = backoffDelay(step, DEFAULT_BACKOFF, () => 1);
    for (const ms of delays) assert.ok(ms >= low && ms <= high, `step ${step}: ${ms} ms outside [${low}, ${high}]`);
    // Jittered, not fixed: fifty draws are not all one value.
    assert.ok(new Set(delays).size > 1, `step ${step}: no jitter`);
  }
});

test('operator retry revives a failed job with fresh attempts; cancel stops a pending one; wrong states are refused', async ({ db }) => {
  const { id } = await enqueue(db.pool, 'test_job', {}, { maxRetries: 0 });
  await claimJobs(db.pool, { type: 'test_job', limit: 1, workerId: W, leaseMs: LEASE });
  await failJobs(db.pool, W, [{ id, error: 'boom', delayMs: 0, permanent: false }]);
  await retryJob(db.pool, id);
  const revived = await job(db, id);
  assert.is(revived.status, 'pending');
  assert.is(revived.retry_count, 0);
  try {
    await retryJob(db.pool, id);
    assert.unreachable();
  } catch (error) {
    assert.instance(error, JobQueueError);
    assert.is((error as JobQueueError).code, 'job_wrong_state');
  }
  await cancelJob(db.pool, id);
  const cancelled = await job(db, id);
  assert.is(cancelled.status, 'failed');
  assert.is(cancelled.error, 'cancelled by operator');
  assert.equal(cancelled.result, { cancelled: true });
  try {
    await cancelJob(db.pool, '00000000-0000-4000-8000-00000000dead');
    assert.unreachable();
  } catch (error) {
    assert.is((error as JobQueueError).code, 'job_not_found');
  }
});

test('prune removes completed jobs past retention and keeps failed ones longer', async ({ db }) => {
  const old = await enqueue(db.pool, 'test_job', {});
  const recent = await enqueue(db.pool, 'test_job', {});
  const dead = await enqueue(db.pool, 'test_job', {});
  await db.pool.query(
    `update public.job_queue set status = 'completed', completed_at = now() - interval '2 days' where id = $1::uuid;`,
    [old.id],
  );
  await db.pool.query(`update public.job_queue set status = 'completed', completed_at = now() where id = $1::uuid`, [recent.id]);
  await db.pool.query(`update public.job_queue set status = 'failed', completed_at = now() - interval '2 days' where id = $1::uuid`, [dead.id]);
  assert.equal(await pruneJobs(db.pool, { completedHours: 24, failedDays: 30 }), { completed: 1, failed: 0 });
  const left = (await db.pool.query('select id from public.job_queue order by id')).rows.map((r) => r.id).sort();
  assert.equal(left, [recent.id, dead.id].sort());
});

test('status reports depth by type and status, the oldest due job and failures with errors', async ({ db }) => {
  await enqueue(db.pool, 'test_job', {});
  await db.pool.query(`update public.job_queue set run_at = now() - interval '90 seconds'`);
  const { id } = await enqueue(db.pool, 'other_job', {}, { maxRetries: 0 });
  await claimJobs(db.pool, { type: 'other_job', limit: 1, workerId: W, leaseMs: LEASE });
  await failJobs(db.pool, W, [{ id, error: 'TypeError: nope', delayMs: 0, permanent: false }]);
  const status = await queueStatus(db.pool);
  assert.equal(status.depth, [
    { type: 'other_job', status: 'failed', count: 1 },
    { type: 'test_job', status: 'pending', count: 1 },
  ]);
  assert.ok(status.oldestPendingAgeSeconds! >= 89 && status.oldestPendingAgeSeconds! < 120);
  assert.equal(status.failures.map((f) => [f.id, f.error]), [[id, 'TypeError: nope']]);
});

test.run();
