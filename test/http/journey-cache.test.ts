import * as assert from 'uvu/assert';
import supertest from 'supertest';
import { recomputeJourney } from '../../src/consumers/journey/recompute.js';
import { compactJourneyWrites } from '../../src/consumers/journey/journey-writes.js';
import { createApp } from '../../src/http/app.js';
import { JourneyCache } from '../../src/http/api/journey-cache.js';
import { mintToken } from '../../src/auth/tokens.js';
import { testAppDeps } from '../helpers/api.js';
import { insertRecord, lab } from '../helpers/clinical.js';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../helpers/fixtures.js';
import { databaseSuite, until } from '../helpers/suite.js';

interface Ctx {
  cache: JourneyCache;
  request: supertest.Agent;
  token: (user: string) => Promise<string>;
  users: Record<string, string>;
  profile: string;
}

const test = databaseSuite<Ctx>('http: journey answers kept between requests');

const SUMMARISED = ['medications', 'conditions', 'allergies', 'observations'];

test.before(async (ctx) => {
  const { pool } = ctx.db;
  const { deps, auth } = await testAppDeps(pool);
  ctx.cache = new JourneyCache(8 * 1024 * 1024);
  ctx.request = supertest.agent(createApp({ ...deps, journeyCache: ctx.cache }).callback());
  ctx.token = (user) => mintToken(auth, { userId: ctx.users[user]! });
  ctx.users = {};
  for (const name of ['owner', 'viewer', 'summaryDoctor', 'labsDoctor', 'briefDoctor']) ctx.users[name] = await createUser(pool);
});

test.before.each(async (ctx) => {
  const { pool } = ctx.db;
  ctx.profile = await createProfile(pool, ctx.users.owner!);
  await addMember(pool, ctx.profile, ctx.users.viewer!, 'viewer');
  for (const [who, categories, expiresAt] of [
    ['summaryDoctor', SUMMARISED, null],
    ['labsDoctor', ['observations'], null],
    // Expires by the clock alone, with no write anywhere.
    ['briefDoctor', SUMMARISED, new Date(Date.now() + 1500).toISOString()],
  ] as const) {
    const provider = (await pool.query(`select id from public.providers where user_id = $1::uuid`, [ctx.users[who]])).rows[0]?.id
      ?? await createProvider(pool, ctx.users[who]!);
    await grantAccess(pool, { profileId: ctx.profile, providerId: provider, grantedBy: ctx.users.owner!, categories: [...categories], expiresAt });
  }
  await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', 5.1, 'mmol/L', '2026-01-10T08:00:00Z'));
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Metformin', start_date: '2025-06-01' });
  await recomputeJourney(pool, ctx.profile);
});

const read = async (ctx: Ctx, user: string, query: Record<string, string> = {}) =>
  ctx.request.get('/api/healthcare-journey').query({ profile: ctx.profile, ...query }).set('authorization', `Bearer ${await ctx.token(user)}`);

test('a repeated read is answered from the kept answer, after the check, byte for byte', async (ctx) => {
  const first = await read(ctx, 'owner');
  assert.is(first.status, 200);
  const hits = ctx.cache.hits;
  const second = await read(ctx, 'owner');
  assert.is(second.status, 200);
  assert.is(ctx.cache.hits, hits + 1);
  assert.is(second.text, first.text);
  // Another page or filter is another answer.
  assert.is((await read(ctx, 'owner', { limit: '1' })).body.timeline.entries.length, 1);
  assert.is(ctx.cache.hits, hits + 1);
});

test('a write to the journey (timeline, series, summary) is seen at the next read', async (ctx) => {
  const { pool } = ctx.db;
  await read(ctx, 'owner');
  await insertRecord(pool, 'observations', ctx.profile, lab('Potassium', 4.2, 'mmol/L', '2026-02-01T08:00:00Z'));
  await recomputeJourney(pool, ctx.profile);
  const after = await read(ctx, 'owner');
  assert.ok(after.body.lab_series.some((s: { name: string }) => s.name === 'Potassium'), JSON.stringify(after.body.lab_series));
  assert.ok(after.body.timeline.entries.some((e: { title: string }) => /Potassium/.test(e.title)));

  // The summary alone (as the rule evaluation writes it).
  await pool.query(`update public.journey_summaries set open_alerts = 7 where profile_id = $1::uuid`, [ctx.profile]);
  assert.is((await read(ctx, 'owner')).body.summary.open_alerts, 7);

  // A deletion.
  await pool.query(`delete from public.journey_lab_series where profile_id = $1::uuid and name = 'Potassium'`, [ctx.profile]);
  assert.not.ok((await read(ctx, 'owner')).body.lab_series.some((s: { name: string }) => s.name === 'Potassium'));
});

test('answers are never shared: each user gets what they may see', async (ctx) => {
  const owner = await read(ctx, 'owner');
  const hits = ctx.cache.hits;
  const viewer = await read(ctx, 'viewer');
  const labs = await read(ctx, 'labsDoctor');
  assert.is(ctx.cache.hits, hits, 'first reads of other users are not hits');
  assert.equal(viewer.body, owner.body, 'a member sees what the owner sees');
  assert.is(labs.body.summary, null);
  assert.ok(labs.body.timeline.entries.every((e: { category: string }) => e.category === 'observations'));
  assert.ok(owner.body.timeline.entries.some((e: { category: string }) => e.category === 'medications'));
});

test('a narrowed grant, a revoked one and one that expires by the clock are seen at the next read', async (ctx) => {
  const { pool } = ctx.db;
  assert.ok((await read(ctx, 'summaryDoctor')).body.summary);
  await pool.query(`update public.access_grants set categories = '{observations}' where profile_id = $1::uuid
                    and provider_id = (select id from public.providers where user_id = $2::uuid)`, [ctx.profile, ctx.users.summaryDoctor]);
  const narrowed = await read(ctx, 'summaryDoctor');
  assert.is(narrowed.body.summary, null);
  assert.ok(narrowed.body.timeline.entries.every((e: { category: string }) => e.category === 'observations'));

  await pool.query(`update public.access_grants set revoked_at = now() where profile_id = $1::uuid
                    and provider_id = (select id from public.providers where user_id = $2::uuid)`, [ctx.profile, ctx.users.summaryDoctor]);
  assert.is((await read(ctx, 'summaryDoctor')).status, 404);

  assert.ok((await read(ctx, 'briefDoctor')).body.summary, 'kept while the grant is live');
  const gone = await until(async () => {
    const res = await read(ctx, 'briefDoctor');
    return res.status === 404 ? res : undefined;
  }, 10_000, 100);
  assert.is(gone.body.code, 'profile_not_found');
});

test('compacting the counted writes keeps the version, so kept answers stay good', async (ctx) => {
  const { pool } = ctx.db;
  for (let i = 0; i < 25; i++) await pool.query(`update public.journey_summaries set open_alerts = $2::int where profile_id = $1::uuid`, [ctx.profile, i]);
  const version = async () => (await pool.query(`select sum(weight)::int as v, count(*)::int as n from private.journey_writes where profile_id = $1::uuid`, [ctx.profile])).rows[0];
  const before = await version();
  assert.ok(before.n > 20);
  await read(ctx, 'owner');
  assert.ok((await compactJourneyWrites(pool)) >= 1);
  const after = await version();
  assert.equal([after.v, after.n], [before.v, 1]);
  const hits = ctx.cache.hits;
  await read(ctx, 'owner');
  assert.is(ctx.cache.hits, hits + 1);
});

test('TRUNCATE of a journey table counts as a write for every profile', async (ctx) => {
  const { pool } = ctx.db;
  assert.ok((await read(ctx, 'owner')).body.lab_series.length > 0);
  await pool.query(`truncate public.journey_lab_series`);
  assert.equal((await read(ctx, 'owner')).body.lab_series, []);
});

test('the version is told only to those who may read the profile; the counted writes are closed to users', async (ctx) => {
  const { pool } = ctx.db;
  const stranger = await createUser(pool);
  const versionAs = async (user: string) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1::text, true)`, [JSON.stringify({ sub: user, role: 'authenticated' })]);
      const version = (await client.query(`select private.journey_version($1::uuid) as v`, [ctx.profile])).rows[0].v as string | null;
      const direct = await client.query(`select count(*) from private.journey_writes`).then(() => 'read', (e: Error) => e.message);
      return { version, direct };
    } finally {
      await client.query('rollback');
      client.release();
    }
  };
  const owner = await versionAs(ctx.users.owner!);
  assert.match(owner.version!, /^\d+@\d+(\.\d+)?$/, 'the count of writes @ the server start time');
  assert.match(owner.direct, /permission denied/);
  assert.is((await versionAs(ctx.users.labsDoctor!)).version, owner.version);
  assert.is((await versionAs(stranger)).version, null);
});

test('/metrics counts kept, stale and built answers and the memory held', async (ctx) => {
  const { pool } = ctx.db;
  await read(ctx, 'owner');
  await read(ctx, 'owner');
  await pool.query(`update public.journey_summaries set open_alerts = 3 where profile_id = $1::uuid`, [ctx.profile]);
  await read(ctx, 'owner');
  const text = (await ctx.request.get('/metrics')).text;
  const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1]);
  assert.is(value('guardian_journey_answers_total{answer="kept"}'), ctx.cache.hits);
  assert.is(value('guardian_journey_answers_total{answer="stale"}'), ctx.cache.stale);
  assert.is(value('guardian_journey_answers_total{answer="built"}'), ctx.cache.built);
  assert.ok(ctx.cache.hits >= 1 && ctx.cache.stale >= 1 && ctx.cache.built >= 2);
  assert.is(value('guardian_journey_cache_bytes'), ctx.cache.size.bytes);
  assert.ok(ctx.cache.size.bytes > 0);
});

test('with no memory for it (JOURNEY_CACHE_MB=0) every read runs the statement', async (ctx) => {
  const off = new JourneyCache(0);
  const { deps, auth } = await testAppDeps(ctx.db.pool);
  const request = supertest.agent(createApp({ ...deps, journeyCache: off }).callback());
  const token = await mintToken(auth, { userId: ctx.users.owner! });
  for (let i = 0; i < 2; i++) {
    assert.is((await request.get('/api/healthcare-journey').query({ profile: ctx.profile }).set('authorization', `Bearer ${token}`)).status, 200);
  }
  assert.equal([off.hits, off.size.entries], [0, 0]);
});

test('the memory bound holds: the least recently used answers go first', () => {
  // Each answer below counts 2 × (1 + 97 + 1 + 1) + 200 = 400 bytes: two fit, three do not.
  const cache = new JourneyCache(1000);
  const entry = (c: string) => ({ version: '1', access: 'x', body: c.repeat(97) });
  cache.set('a', entry('a'));
  cache.set('b', entry('b'));
  cache.get('a');
  cache.set('c', entry('c'));
  assert.ok(cache.get('a'));
  assert.not.ok(cache.get('b'));
  assert.ok(cache.get('c'));
  assert.equal(cache.size, { entries: 2, bytes: 800 });
});

test.run();
