import * as assert from 'uvu/assert';
import pg from 'pg';
import { enqueueMany } from '../../src/events/queue/enqueue.js';
import { JOBS_CHANNEL } from '../../src/events/queue/job.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite, until } from '../helpers/suite.js';

const test = databaseSuite<{ owner: string; profile: string; listener: pg.Client; heard: { payload: string }[] }>(
  'event triggers',
);

test.before(async (ctx) => {
  ctx.owner = await createUser(ctx.db.pool);
  ctx.profile = await createProfile(ctx.db.pool, ctx.owner);
  ctx.listener = new pg.Client({ connectionString: ctx.db.url });
  ctx.listener.on('error', () => {}); // the suite's database is dropped WITH (FORCE) at the end
  await ctx.listener.connect();
  ctx.heard = [];
  ctx.listener.on('notification', (n) => {
    if (n.channel === JOBS_CHANNEL) ctx.heard.push({ payload: n.payload ?? '' });
  });
  await ctx.listener.query(`listen ${JOBS_CHANNEL}`);
});

test.after(async (ctx) => {
  await ctx.listener.end();
});

test.before.each(async ({ db, heard }) => {
  await db.pool.query('delete from public.job_queue');
  await db.pool.query('delete from private.idle_workers');
  heard.length = 0;
});

/** Everything heard before a marker sent after the statement under test (delivery is in commit order). */
async function heardBefore(ctx: { db: { pool: pg.Pool }; heard: { payload: string }[] }): Promise<unknown[]> {
  await ctx.db.pool.query(`select pg_notify($1::text, '{"types":["marker"],"count":0}')`, [JOBS_CHANNEL]);
  await until(() => ctx.heard.some((h) => h.payload.includes('marker')));
  return ctx.heard.filter((h) => !h.payload.includes('marker')).map((h) => JSON.parse(h.payload));
}

const insertObservations = (n: number) => `
  insert into public.observations (profile_id, name, value_numeric, unit)
  select $1::uuid, 'Glucose', 5 + i / 100.0, 'mmol/L' from generate_series(1, ${n}) as i`;

test('a burst of 200 records in one statement records one job per derived pipeline for the profile', async ({ db, profile }) => {
  await db.pool.query(insertObservations(200), [profile]);
  const { rows } = await db.pool.query(
    `select type, dedupe_key, payload, status from public.job_queue order by type`,
  );
  assert.equal(rows, [
    { type: 'evaluate_rules', dedupe_key: profile, payload: { profile_id: profile }, status: 'pending' },
    { type: 'recompute_journey', dedupe_key: profile, payload: { profile_id: profile }, status: 'pending' },
  ]);
});

test('further changes while the job is pending add nothing; updates and deletes record work too', async ({ db, profile }) => {
  await db.pool.query(insertObservations(3), [profile]);
  await db.pool.query(insertObservations(3), [profile]);
  assert.is((await db.pool.query('select count(*)::int as n from public.job_queue')).rows[0].n, 2);
  await db.pool.query('delete from public.job_queue');
  await db.pool.query(`update public.observations set value_text = 'checked' where profile_id = $1::uuid`, [profile]);
  assert.is((await db.pool.query('select count(*)::int as n from public.job_queue')).rows[0].n, 2);
  await db.pool.query('delete from public.job_queue');
  await db.pool.query(`delete from public.observations where profile_id = $1::uuid`, [profile]);
  assert.is((await db.pool.query('select count(*)::int as n from public.job_queue')).rows[0].n, 2);
});

test('a user writing under RLS records the derived work they may not see', async ({ db, owner, profile }) => {
  await db.asUser(owner, (c) =>
    c.query(`insert into public.medications (profile_id, name) values ($1::uuid, 'Metformin')`, [profile]),
  );
  const { rows } = await db.pool.query('select type from public.job_queue order by type');
  assert.equal(rows.map((r) => r.type), ['evaluate_rules', 'recompute_journey']);
  const seen = await db.asUser(owner, (c) => c.query('select 1 from public.job_queue').then(
    () => 'visible',
    (e: { code?: string }) => e.code,
  ));
  assert.is(seen, '42501');
});

test('the work is recorded in the same transaction: a rollback records none', async ({ db, profile }) => {
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(insertObservations(5), [profile]);
    await client.query('rollback');
  } finally {
    client.release();
  }
  assert.is((await db.pool.query('select count(*)::int as n from public.job_queue')).rows[0].n, 0);
});

test('no NOTIFY is sent while no worker for the type is idle (the table is the truth)', async (ctx) => {
  await enqueueMany(ctx.db.pool, [{ type: 'test_job', payload: { secret: 'x' } }]);
  await ctx.db.pool.query(`insert into private.idle_workers (worker_id, type) values ('w', 'other_type')`);
  await enqueueMany(ctx.db.pool, [{ type: 'test_job', payload: {} }]);
  assert.equal(await heardBefore(ctx), []);
});

test('with an idle worker, one small NOTIFY per statement carries types and a count, no payload', async (ctx) => {
  await ctx.db.pool.query(`insert into private.idle_workers (worker_id, type) values ('w', 'test_job')`);
  await enqueueMany(
    ctx.db.pool,
    Array.from({ length: 5000 }, (_, i) => ({ type: i % 2 ? 'test_job' : 'other_job', payload: { patient: 'Jane Citizen', i } })),
  );
  const heard = await heardBefore(ctx);
  assert.is(heard.length, 1);
  const note = heard[0] as { types: string[]; count: number };
  assert.equal([...note.types].sort(), ['other_job', 'test_job']);
  assert.is(note.count, 5000);
  const raw = ctx.heard.find((h) => !h.payload.includes('marker'))!.payload;
  assert.ok(Buffer.byteLength(raw) < 8000);
  assert.not.match(raw, /Jane|patient/);
});

test('jobs not yet due and stale idle marks wake nobody', async (ctx) => {
  await ctx.db.pool.query(`insert into private.idle_workers (worker_id, type, seen_at) values ('gone', 'test_job', now() - interval '5 minutes')`);
  await enqueueMany(ctx.db.pool, [{ type: 'test_job', payload: {} }]);
  await ctx.db.pool.query(`insert into private.idle_workers (worker_id, type) values ('w', 'test_job')`);
  await ctx.db.pool.query(`insert into public.job_queue (type, payload, run_at) values ('test_job', '{}', now() + interval '1 hour')`);
  assert.equal(await heardBefore(ctx), []);
});

test.run();
