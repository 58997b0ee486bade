/**
 * The caller pool and the worker's queue pool through a real transaction pooler
 * (PgBouncer 1.18, pool_mode = transaction, ONE server connection): every client
 * connection's transactions run on the same server session in turn, and PgBouncer resets
 * nothing between them, so anything a caller left in the session would reach the next.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import * as assert from 'uvu/assert';
import { asUser } from '../../src/db/as-caller.js';
import { CallerPool } from '../../src/db/caller-pool.js';
import type { DatabaseTarget } from '../../src/db/connection.js';
import { createQueuePool } from '../../src/events/queue-pool.js';
import { createLogger } from '../../src/log.js';
import { databaseUrl, serverUrl } from '../helpers/database.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { needingPgBouncer, pgbouncerPath, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite<{ bouncer: PgBouncer; target: DatabaseTarget; callers: CallerPool; plain: pg.Pool }>('caller pool through a transaction pooler');
const poolerTest = needingPgBouncer(test);

test.before(async (ctx) => {
  if (!pgbouncerPath) return;
  ctx.bouncer = await startPgBouncer({ serverUrl: serverUrl(), mode: 'transaction', poolSize: 1 });
  const direct = databaseUrl(ctx.db.name);
  ctx.target = { url: ctx.bouncer.url(ctx.db.name), poolMode: 'transaction', sessionUrl: direct };
  // Four client connections, one server connection: they take turns on it.
  ctx.callers = new CallerPool(ctx.target, 4);
  // A client that sets nothing: it sees the server session as the last transaction left it.
  ctx.plain = new pg.Pool({ connectionString: ctx.target.url, max: 1 });
});

test.after(async (ctx) => {
  await ctx.callers?.end();
  await ctx.plain?.end();
  await ctx.bouncer?.stop();
});

const visible = `select id from public.profiles order by id`;

/**
 * A utility statement (create/drop role) with values: they take no parameters, so
 * Postgres quotes the name and password itself (format's %I and %L).
 */
async function utility(pool: pg.Pool, template: string, ...args: string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(`create or replace function pg_temp.run(statement text) returns void language plpgsql as $$ begin execute statement; end $$`);
    await client.query(`select pg_temp.run(format($1::text, variadic $2::text[]))`, [template, args]);
  } finally {
    client.release();
  }
}

poolerTest('users take turns on one server connection, concurrently, and each sees only their own rows', async (ctx) => {
  const [alice, bob] = [await createUser(ctx.db.pool), await createUser(ctx.db.pool)];
  const [a, b] = [await createProfile(ctx.db.pool, alice), await createProfile(ctx.db.pool, bob)];
  const backends = new Set<number>();
  await Promise.all(Array.from({ length: 200 }, async (_, i) => {
    const [user, own] = i % 2 === 0 ? [alice, a] : [bob, b];
    if (i % 3 === 0) {
      const rows = await ctx.callers.transaction(asUser(user), async (c) => {
        backends.add((await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
        return (await c.query(visible)).rows.map((r) => r.id);
      });
      assert.equal(rows, [own]);
    } else {
      const { rows } = await ctx.callers.read<{ id: string; pid: number }>(asUser(user), `select id, pg_backend_pid() as pid from public.profiles order by id`, []);
      rows.forEach((r) => backends.add(r.pid));
      assert.equal(rows.map((r) => r.id), [own]);
    }
  }));
  assert.is(backends.size, 1, 'every transaction ran on the one server connection');
});

poolerTest('nothing is left in the server session: after callers, a plain client is the login role with no claims and default planning', async (ctx) => {
  const user = await createUser(ctx.db.pool);
  await ctx.callers.read(asUser(user), visible, [], 'named_read');
  await ctx.callers.transaction(asUser(user), (c) => c.query(visible));
  const { rows } = await ctx.plain.query<{ role: string; claims: string | null; plan: string; sync: string }>(
    `select current_user as role, nullif(current_setting('request.jwt.claims', true), '') as claims,
            current_setting('plan_cache_mode') as plan, current_setting('synchronous_commit') as sync`,
  );
  assert.equal(rows[0], { role: 'postgres', claims: null, plan: 'auto', sync: 'on' });
});

poolerTest('statement names are ignored (PgBouncer 1.18 keeps no prepared statements in transaction mode), and reads still run as the caller', async (ctx) => {
  const user = await createUser(ctx.db.pool);
  const profile = await createProfile(ctx.db.pool, user);
  const runs = await Promise.all(Array.from({ length: 40 }, () => ctx.callers.read<{ id: string; role: string }>(
    asUser(user), `select id, current_user as role from public.profiles where id = $1::uuid`, [profile], 'guardian_test_named',
  )));
  for (const { rows } of runs) assert.equal(rows, [{ id: profile, role: 'authenticated' }]);
});

poolerTest('fails closed: a login that may not become authenticated gets an error, never rows (through the pooler and direct)', async (ctx) => {
  const role = `guardian_nobody_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  await utility(ctx.db.pool, 'create role %I login password %L', role, password);
  const server = new URL(serverUrl());
  server.username = role;
  server.password = password;
  const outsider = await startPgBouncer({ serverUrl: server.toString(), mode: 'transaction', poolSize: 1 });
  const user = await createUser(ctx.db.pool);
  await createProfile(ctx.db.pool, user);
  const direct = new URL(databaseUrl(ctx.db.name));
  direct.username = role;
  direct.password = password;
  const pools = [new CallerPool({ url: outsider.url(ctx.db.name), poolMode: 'transaction', sessionUrl: direct.toString() }, 1), new CallerPool(direct.toString(), 1)];
  try {
    for (const pool of pools) {
      const read = await pool.read(asUser(user), visible, []).then(() => 'rows', (e: Error) => e.message);
      assert.match(read, /permission denied to set role|not authenticated|role "authenticated"/);
      const tx = await pool.transaction(asUser(user), (c) => c.query(visible)).then(() => 'rows', (e: Error) => e.message);
      assert.match(tx, /permission denied to set role|not authenticated|role "authenticated"/);
    }
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await outsider.stop();
    await utility(ctx.db.pool, 'drop role if exists %I', role);
  }
});

poolerTest('the queue pool commits asynchronously in its own transactions and leaves the session as it found it', async (ctx) => {
  const queue = createQueuePool(ctx.target, createLogger('silent'));
  try {
    // Off for the statement, on for the session afterwards: set for its transaction only.
    const { rows } = await queue.query<{ sync: string }>(`select current_setting('synchronous_commit') as sync`);
    assert.is(rows[0]!.sync, 'off');
    const after = await ctx.plain.query<{ sync: string }>(`select current_setting('synchronous_commit') as sync`);
    assert.is(after.rows[0]!.sync, 'on');
    // A failing statement rolls its transaction back and reports its own error.
    const error = await queue.query('select 1/0').then(() => undefined, (e: Error) => e);
    assert.match(String(error?.message), /division by zero/);
  } finally {
    await queue.end();
  }
});

test.run();
