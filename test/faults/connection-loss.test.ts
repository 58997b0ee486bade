/**
 * The api and the worker as Render runs
 * them (`npm run api`, `npm run worker`, separate processes), real traffic and a burst of
 * uploads, and every one of their database connections terminated again and again
 * (pg_terminate_backend, as a restart, a failover or a pooler recycling links would end
 * them). No process may exit, no request may get anything but its answer or a 503 with a
 * retry hint, and every document must end processed, its records written once.
 */
import * as assert from 'uvu/assert';
import pg from 'pg';
import { requeueStrandedUploads } from '../../src/consumers/documents/requeue-stranded.js';
import { labelledSet, toPdf } from '../fixtures/documents.js';
import { serverUrl } from '../helpers/database.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { startApiAndWorker, type ServiceProcess } from '../helpers/service-process.js';
import { databaseSuite, until } from '../helpers/suite.js';
import { documentRecordCounts, type TrafficLog, trafficLoop, uploadUntilAccepted } from '../helpers/traffic.js';

const test = databaseSuite<{ services: ServiceProcess[] }>('faults: database connections terminated under load');

test.before((ctx) => {
  ctx.services = [];
});

test.after(async (ctx) => {
  await Promise.all(ctx.services.map((s) => s.stop()));
});

test('pg_terminate_backend on every app connection, over and over, during traffic and an upload burst: no process exits, every document is processed once', async (ctx) => {
  const { base, tokenFor } = await startApiAndWorker(ctx.services, { DATABASE_URL: ctx.db.url, JOB_POLL_INTERVAL_MS: '250' });
  const [api, worker] = ctx.services as [ServiceProcess, ServiceProcess];

  const owner = await createUser(ctx.db.pool);
  const [stormed, calm] = [await createProfile(ctx.db.pool, owner), await createProfile(ctx.db.pool, owner)];
  const token = await tokenFor(owner);
  const files = await Promise.all(labelledSet(10, 41).map(async (doc, i) => ({ name: `doc-${i}.pdf`, bytes: await toPdf(doc) })));

  // The storm: every client connection of the test database, 25 times, 200 ms apart
  // (pacing the fault, not waiting for a condition).
  const admin = new pg.Client({ connectionString: serverUrl() });
  admin.on('error', () => undefined);
  await admin.connect();
  let terminated = 0;
  let storming = true;
  const storm = (async () => {
    try {
      for (let round = 0; round < 25; round++) {
        const { rows } = await admin.query<{ ok: boolean }>(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
           where datname = $1::text and pid <> pg_backend_pid() and backend_type = 'client backend'`,
          [ctx.db.name],
        );
        terminated += rows.filter((r) => r.ok).length;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      storming = false;
    }
  })();

  const traffic: TrafficLog = new Map();
  const readers = Array.from({ length: 4 }, () => trafficLoop(base, token, stormed, () => storming, traffic));
  const accepted: string[] = [];
  const queue = [...files];
  const uploaders = Array.from({ length: 3 }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) accepted.push(await uploadUntilAccepted(base, token, stormed, file, traffic));
  });
  await Promise.all([storm, ...readers, ...uploaders]);
  await admin.end();

  assert.ok(terminated >= 25, `the storm terminated ${terminated} connections`);
  assert.ok(api.alive() && worker.alive(), 'the api and the worker are still running');
  const unexpected = [...traffic].filter(([outcome]) => !/^2\d\d$/.test(outcome) && outcome !== '503 database_unavailable retry-after');
  assert.equal(unexpected, [], 'every answer is the answer or a 503 with a retry hint');

  // After the storm: requests succeed, and the documents finish. An upload whose undo
  // could not run is a complete row with its file: the stranded-upload sweep (every
  // minute in the worker, for rows older than 5 min) queues it; here it runs at once.
  const profiles = await fetch(`${base}/api/profiles`, { headers: { Authorization: `Bearer ${token}` } });
  assert.is(profiles.status, 200);
  await requeueStrandedUploads(ctx.db.pool, 0);
  const statuses = async () => (await ctx.db.pool.query<{ status: string }>(`select status from public.documents where profile_id = $1::uuid`, [stormed])).rows.map((r) => r.status);
  await until(async () => (await statuses()).every((s) => s === 'processed'), 120_000, 200);
  assert.ok(accepted.length === files.length);

  // The same files uploaded with no faults: each stormed document has exactly the
  // records its file yields (none twice), or none when it is a byte-identical duplicate.
  for (const file of files) await uploadUntilAccepted(base, token, calm, file, new Map());
  await until(async () => (await ctx.db.pool.query(`select 1 from public.documents where profile_id = $1::uuid and status <> 'processed'`, [calm])).rowCount === 0, 120_000, 200);
  const expected = await documentRecordCounts(ctx.db.pool, calm);
  for (const doc of await documentRecordCounts(ctx.db.pool, stormed)) {
    const want = doc.duplicate ? 0 : expected.find((e) => e.fileName === doc.fileName)!.records;
    assert.is(doc.records, want, `${doc.fileName}: records written once`);
  }
  assert.ok(api.alive() && worker.alive());
});

test.run();
