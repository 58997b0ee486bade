/**
 * Postgres restarts (as in a failover, the service ends every
 * connection and is back a few seconds later at the same address) under `npm start`'s
 * all-in-one process, whose api, worker and realtime gateway hold every kind of
 * long-lived connection there is: pools, the caller pool, the queue pool, two LISTEN
 * connections. While Postgres is down requests get 503 with a retry hint; once it is
 * back everything resumes without a restart of Guardian: requests, the worker, and
 * realtime deliveries to a client that stayed connected.
 */
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { suite } from 'uvu';
import type { SupabaseClient } from '@supabase/supabase-js';
import { loadConfig } from '../../src/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded-postgres.js';
import { mintToken } from '../../src/auth/tokens.js';
import { createLogger } from '../../src/log.js';
import { labelledSet, toPdf } from '../fixtures/documents.js';
import { config } from '../helpers/database.js';
import { realtimeClient, subscribe } from '../helpers/realtime-client.js';
import { listeningPort, startService, type ServiceProcess } from '../helpers/service-process.js';
import { until } from '../helpers/suite.js';
import { uploadUntilAccepted } from '../helpers/traffic.js';

/** The demo owner and her profile (supabase/seed.sql). */
const DEMO_USER = '00000000-0000-4000-8000-000000000001';
const DEMO_PROFILE = '10000000-0000-4000-8000-000000000001';

interface Ctx {
  dir: string;
  server?: EmbeddedDatabase;
  main?: ServiceProcess;
  client?: SupabaseClient;
}

const test = suite<Ctx>('faults: Postgres restarts under npm start', { dir: '' });
const log = createLogger('silent');

test.before(async (ctx) => {
  // Under the project's .data: as root, the cluster runs as `postgres`, who must be able to
  // reach its folder (a mkdtemp folder under /tmp is root's alone).
  ctx.dir = path.join(config.projectRoot, '.data', `faults-postgres-${randomBytes(4).toString('hex')}`);
});

test.after(async (ctx) => {
  await ctx.client?.removeAllChannels();
  await ctx.client?.realtime.disconnect();
  await ctx.main?.stop();
  await ctx.server?.stop();
  await rm(ctx.dir, { recursive: true, force: true });
});

test('a Postgres restart: api, worker and realtime stay up, answer 503 while it is down, and resume', async (ctx) => {
  ctx.server = await startEmbeddedPostgres({ dir: ctx.dir, port: 0, log });
  const port = Number(new URL(ctx.server.url).port);
  const secret = randomBytes(32).toString('hex');
  ctx.main = startService('main', {
    DATABASE_URL: ctx.server.url,
    PORT: '0',
    SUPABASE_JWT_SECRET: secret,
    STORAGE_DIR: await mkdtemp(path.join(tmpdir(), 'guardian-faults-')),
    JOB_POLL_INTERVAL_MS: '250',
  });
  const base = `http://127.0.0.1:${await listeningPort(ctx.main)}`;
  const auth = loadConfig({ SUPABASE_JWT_SECRET: secret }).auth;
  const token = await mintToken(auth, { userId: DEMO_USER, expiresInSeconds: 600 });
  ctx.client = await realtimeClient(base, await mintToken(auth, { role: 'anon' }), token);
  const changes = await subscribe(ctx.client, 'documents', [{ table: 'documents', filter: `profile_id=eq.${DEMO_PROFILE}` }]);
  const [before, after] = await Promise.all(labelledSet(2, 43).map(async (doc, i) => ({ name: `restart-${i}.pdf`, bytes: await toPdf(doc) })));
  const processedLive = (id: string) => changes.some((c) => c.new.id === id && c.new.status === 'processed');
  const get = (route: string) => fetch(`${base}${route}`, { headers: { Authorization: `Bearer ${token}` } });

  const first = await uploadUntilAccepted(base, token, DEMO_PROFILE, before!, new Map());
  await until(() => processedLive(first), 60_000);

  await ctx.server.stop();
  const down = await get('/api/profiles');
  assert.equal([down.status, ((await down.json()) as { code: string }).code, down.headers.get('retry-after')], [503, 'database_unavailable', '2']);
  assert.is((await fetch(`${base}/healthz`)).status, 503);

  ctx.server = await startEmbeddedPostgres({ dir: ctx.dir, port, log });
  await until(async () => (await get('/api/profiles')).status === 200, 30_000, 200);
  // The feed's LISTEN connection reconnects with backoff; a change committed before it is
  // listening again is not replayed (as with Supabase Realtime). Touch the first document
  // until such a change reaches the client: the feed is back.
  const admin = new pg.Client({ connectionString: ctx.server.url });
  await admin.connect();
  let probe = 0;
  await until(async () => {
    await admin.query(`update public.documents set file_name = $1::text where id = $2::uuid`, [`probe-${++probe}.pdf`, first]);
    return changes.some((c) => c.new.id === first && String(c.new.file_name).startsWith('probe-'));
  }, 30_000, 300);
  await admin.end();
  const second = await uploadUntilAccepted(base, token, DEMO_PROFILE, after!, new Map());
  // The worker resumed, and the gateway's change feed found Postgres again: the change
  // reaches the client that never disconnected.
  await until(() => processedLive(second), 60_000).catch(async (error: Error) => {
    // Which half did not resume: the worker (status) or the change feed (delivery)?
    const status = ((await (await get(`/api/documents/${second}`)).json()) as { status?: string }).status;
    const warnings = ctx.main!.logs.filter((l) => l.level === 'warn' || l.level === 'error').slice(-15).map((l) => l.msg);
    throw new Error(`${error.message}; document ${status}, ${changes.length} changes received; last warnings: ${JSON.stringify(warnings)}`);
  });
  assert.ok(ctx.main.alive(), 'npm start is still running');
});

test.run();
