import * as assert from 'uvu/assert';
import { recomputeJourney } from '../../../src/consumers/journey/recompute.js';
import { insertRecord, lab } from '../../helpers/clinical.js';
import { addMember, createProfile, createProvider, createUser, grantAccess } from '../../helpers/fixtures.js';
import { databaseSuite } from '../../helpers/suite.js';

const test = databaseSuite<{ profile: string; users: Record<string, string> }>('journey: who sees it');

test.before(async (ctx) => {
  const { pool } = ctx.db;
  const users: Record<string, string> = {};
  for (const name of ['owner', 'viewer', 'unrelated', 'labsOnly', 'everything', 'revoked']) users[name] = await createUser(pool);
  ctx.users = users;
  ctx.profile = await createProfile(pool, users.owner!);
  await addMember(pool, ctx.profile, users.viewer!, 'viewer');
  const grant = async (who: string, categories: string[], revoked = false) =>
    grantAccess(pool, { profileId: ctx.profile, providerId: await createProvider(pool, users[who]!), grantedBy: users.owner!, categories, revoked });
  await grant('labsOnly', ['observations']);
  await grant('everything', ['observations', 'medications', 'conditions', 'allergies']);
  await grant('revoked', ['observations', 'medications', 'conditions', 'allergies'], true);
  await insertRecord(pool, 'observations', ctx.profile, lab('Glucose', 5.5, 'mmol/L', '2026-01-01T00:00:00Z'));
  await insertRecord(pool, 'medications', ctx.profile, { name: 'Metformin' });
  await recomputeJourney(pool, ctx.profile);
});

async function visible(ctx: { db: import('../../helpers/database.js').TestDatabase }, user: string) {
  return ctx.db.asUser(user, async (c) => {
    const n = async (sql: string) => (await c.query(sql)).rows[0].n as number;
    return {
      results: await n(`select count(*)::int as n from public.journey_timeline where kind = 'results'`),
      medications: await n(`select count(*)::int as n from public.journey_timeline where kind like 'medication%'`),
      series: await n(`select count(*)::int as n from public.journey_lab_series`),
      points: await n(`select count(*)::int as n from public.journey_lab_points`),
      summary: await n(`select count(*)::int as n from public.journey_summaries`),
    };
  });
}

test('members see the whole journey; strangers and revoked providers see nothing', async (ctx) => {
  const all = { results: 1, medications: 1, series: 1, points: 1, summary: 1 };
  const none = { results: 0, medications: 0, series: 0, points: 0, summary: 0 };
  assert.equal(await visible(ctx, ctx.users.owner!), all);
  assert.equal(await visible(ctx, ctx.users.viewer!), all);
  assert.equal(await visible(ctx, ctx.users.unrelated!), none);
  assert.equal(await visible(ctx, ctx.users.revoked!), none);
});

test('a provider sees the parts of the journey their grant covers', async (ctx) => {
  assert.equal(await visible(ctx, ctx.users.labsOnly!), { results: 1, medications: 0, series: 1, points: 1, summary: 0 });
  assert.equal(await visible(ctx, ctx.users.everything!), { results: 1, medications: 1, series: 1, points: 1, summary: 1 });
});

test('nobody but the worker writes the journey', async (ctx) => {
  const error = await ctx.db.asUser(ctx.users.owner!, (c) => c.query(`update public.journey_summaries set open_alerts = 0`)).catch((e: Error) => e);
  assert.instance(error, Error);
  assert.match((error as Error).message, /permission denied/);
});

test.run();
