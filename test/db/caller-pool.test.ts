import * as assert from 'uvu/assert';
import { asUser } from '../../src/db/as-caller.js';
import { CallerPool } from '../../src/db/caller-pool.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite<{ callers: CallerPool }>('caller pool');

test.before(async (ctx) => {
  // One connection: every call reuses it, so any identity left behind would show.
  ctx.callers = new CallerPool(ctx.db.url, 1);
});
test.after(async (ctx) => {
  await ctx.callers.end();
});

const visible = `select id from public.profiles order by id`;

test('one connection serves users in turn, each seeing only their own rows', async (ctx) => {
  const [alice, bob] = [await createUser(ctx.db.pool), await createUser(ctx.db.pool)];
  const [a, b] = [await createProfile(ctx.db.pool, alice), await createProfile(ctx.db.pool, bob)];
  for (let round = 0; round < 3; round++) {
    assert.equal((await ctx.callers.read(asUser(alice), visible, [])).rows.map((r) => r.id), [a]);
    assert.equal((await ctx.callers.read(asUser(bob), visible, [])).rows.map((r) => r.id), [b]);
    const inTx = await ctx.callers.transaction(asUser(alice), async (c) => (await c.query(visible)).rows.map((r) => r.id));
    assert.equal(inTx, [a]);
    // After alice's transaction the session still holds bob's claims: a read as bob must not see alice's rows.
    assert.equal((await ctx.callers.read(asUser(bob), visible, [])).rows.map((r) => r.id), [b]);
  }
});

test('its connections are the authenticated role, and callers of other roles are refused', async (ctx) => {
  const user = await createUser(ctx.db.pool);
  const { rows } = await ctx.callers.read(asUser(user), `select current_user as role`, []);
  assert.is(rows[0]?.role, 'authenticated');
  const error = await ctx.callers.read({ role: 'service_role', claims: { role: 'service_role' } }, visible, []).catch((e: Error) => e);
  assert.match((error as Error).message, /signed-in users only/);
});

test('named statements run with their generic plan; everything else with Postgres\' own choice', async (ctx) => {
  const user = asUser(await createUser(ctx.db.pool));
  const mode = `select current_setting('plan_cache_mode') as mode`;
  for (let round = 0; round < 2; round++) {
    assert.is((await ctx.callers.read(user, mode, [], 'test_plan_mode')).rows[0]?.mode, 'force_generic_plan');
    // The same connection, next: an unnamed read, then a transaction after a named read.
    assert.is((await ctx.callers.read(user, mode, [])).rows[0]?.mode, 'auto');
    await ctx.callers.read(user, mode, [], 'test_plan_mode');
    assert.is(await ctx.callers.transaction(user, async (c) => (await c.query(mode)).rows[0]?.mode), 'auto');
  }
});

test.run();
