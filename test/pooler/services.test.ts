/**
 * The api and the worker as Render runs them (`npm run api`, `npm run
 * worker`, separate processes, configured only by the environment) with DATABASE_URL a
 * transaction pooler (PgBouncer 1.18, pool_mode = transaction, a few server connections)
 * and DATABASE_LISTEN_URL the direct server, as on Render with Supavisor's port 6543.
 * The whole request path works (reads, uploads, the worker's processing and its
 * wake-ups by NOTIFY on the listen URL), and nothing but answers comes back.
 */
import * as assert from 'uvu/assert';
import { labelledSet, toPdf } from '../fixtures/documents.js';
import { databaseUrl, serverUrl } from '../helpers/database.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { needingPgBouncer, pgbouncerPath, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { startApiAndWorker, type ServiceProcess } from '../helpers/service-process.js';
import { databaseSuite, until } from '../helpers/suite.js';
import { documentRecordCounts, request, type TrafficLog, trafficLoop, uploadUntilAccepted } from '../helpers/traffic.js';

const test = databaseSuite<{ bouncer: PgBouncer; services: ServiceProcess[] }>('transaction pooler: npm run api and npm run worker');
const poolerTest = needingPgBouncer(test);

test.before(async (ctx) => {
  ctx.services = [];
  if (!pgbouncerPath) return;
  ctx.bouncer = await startPgBouncer({ serverUrl: serverUrl(), mode: 'transaction', poolSize: 4 });
});

test.after(async (ctx) => {
  await Promise.all(ctx.services.map((s) => s.stop()));
  await ctx.bouncer?.stop();
});

poolerTest('api and worker on a transaction pooler, LISTEN on the direct URL: reads, uploads and processing work, every answer is a 2xx', async (ctx) => {
  const { base, tokenFor } = await startApiAndWorker(ctx.services, {
    DATABASE_URL: ctx.bouncer.url(ctx.db.name),
    // A PgBouncer on 127.0.0.1 cannot be recognised by its URL (Supavisor's :6543 is).
    DATABASE_POOL_MODE: 'transaction',
    DATABASE_LISTEN_URL: databaseUrl(ctx.db.name),
    // The catch-up poll out of the way: a document processed within the test's time was
    // woken by NOTIFY, heard on the listen URL.
    JOB_POLL_INTERVAL_MS: '600000',
  });

  const owner = await createUser(ctx.db.pool);
  const profile = await createProfile(ctx.db.pool, owner);
  const token = await tokenFor(owner);
  const [api, worker] = ctx.services as [ServiceProcess, ServiceProcess];
  const files = await Promise.all(labelledSet(4, 13).map(async (doc, i) => ({ name: `doc-${i}.pdf`, bytes: await toPdf(doc) })));

  const traffic: TrafficLog = new Map();
  let reading = true;
  const readers = Array.from({ length: 3 }, () => trafficLoop(base, token, profile, () => reading, traffic));
  try {
    for (const file of files) await uploadUntilAccepted(base, token, profile, file, traffic, 1);
    const statuses = async () => (await ctx.db.pool.query<{ status: string }>(`select status from public.documents where profile_id = $1::uuid`, [profile])).rows.map((r) => r.status);
    await until(async () => {
      const now = await statuses();
      return now.length === files.length && now.every((s) => s === 'processed');
    }, 90_000, 200);
  } finally {
    reading = false;
    await Promise.all(readers);
  }

  const unexpected = [...traffic].filter(([outcome]) => !/^2\d\d$/.test(outcome));
  assert.equal(unexpected, [], 'every answer through the transaction pooler is a 2xx');
  assert.ok((traffic.get('200') ?? 0) >= 20, `reads were made (${traffic.get('200') ?? 0})`);
  const records = await documentRecordCounts(ctx.db.pool, profile);
  assert.ok(records.some((d) => d.records > 0), 'the worker wrote the documents\' records');
  // Writes through the api on the pooler: a new profile, then read back as the same user.
  const created = await request(traffic, `${base}/api/profiles`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ display_name: 'Pooled Child', relationship: 'child' }),
  });
  assert.is(created?.status, 201);
  const listed = await request(traffic, `${base}/api/profiles`, { headers: { Authorization: `Bearer ${token}` } });
  assert.ok(JSON.stringify(listed?.body).includes('Pooled Child'));
  assert.ok(api.alive() && worker.alive(), 'the api and the worker are still running');
});

test.run();
