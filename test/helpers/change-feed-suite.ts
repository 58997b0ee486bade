/**
 * A change-feed suite for the realtime tests: two users with a profile each, the feed
 * under test over a caller pool that counts its reads, a fresh subscription registry
 * per test, and a plain listener that hears what the triggers send.
 */
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import type { Test } from 'uvu';
import { CallerPool } from '../../src/db/caller-pool.js';
import { createLogger } from '../../src/log.js';
import { createChangeFeed, REALTIME_CHANNEL, type ChangeFeed } from '../../src/realtime/change-feed.js';
import {
  SubscriptionRegistry,
  type PostgresChangeBinding,
  type PostgresChangesData,
  type Subscription,
} from '../../src/realtime/registry.js';
import { createProfile, createUser } from './fixtures.js';
import { databaseSuite, until, type DatabaseContext } from './suite.js';

// A stand-in for a gateway subscription that records what the feed delivers to it.
export interface Delivery {
  data: PostgresChangesData;
  bindingIds: number[];
}
export type FakeSubscription = Subscription & { got: Delivery[] };

let nextKey = 0;
export function fakeSub(
  userId: string | 'service',
  bindings: (Omit<PostgresChangeBinding, 'schema' | 'event'> & Partial<Pick<PostgresChangeBinding, 'schema' | 'event'>>)[],
  opts: { throws?: boolean } = {},
): FakeSubscription {
  const got: Delivery[] = [];
  const claims = userId === 'service' ? { role: 'service_role' } : { sub: userId, role: 'authenticated', aud: 'authenticated' };
  return {
    key: `sub-${nextKey++}`,
    bindings: bindings.map((b) => ({ schema: 'public', event: '*', ...b })),
    claims: () => claims,
    role: () => (userId === 'service' ? 'service_role' : 'authenticated'),
    deliver(data, bindingIds) {
      if (opts.throws) throw new Error('socket gone');
      got.push({ data, bindingIds });
    },
    got,
  };
}

export interface ChangeFeedContext {
  userA: string;
  userB: string;
  profileA: string;
  profileB: string;
  registry: SubscriptionRegistry;
  callerPool: CallerPool;
  reads: number;
  feed: ChangeFeed;
  listener: pg.Client;
  heard: string[];
}

const log = createLogger('silent');

export function changeFeedSuite(name: string): Test<DatabaseContext & ChangeFeedContext> {
  const test = databaseSuite<ChangeFeedContext>(name);
  test.before(async (ctx) => {
    ctx.userA = await createUser(ctx.db.pool);
    ctx.userB = await createUser(ctx.db.pool);
    ctx.profileA = await createProfile(ctx.db.pool, ctx.userA);
    ctx.profileB = await createProfile(ctx.db.pool, ctx.userB);
    ctx.registry = new SubscriptionRegistry();
    ctx.callerPool = new CallerPool(ctx.db.url, 4);
    ctx.reads = 0;
    const read = ctx.callerPool.read.bind(ctx.callerPool);
    // Counts the row reads the feed makes as a caller (the "one read per claims group" rule).
    ctx.callerPool.read = ((...args: Parameters<CallerPool['read']>) => {
      ctx.reads++;
      return read(...args);
    }) as CallerPool['read'];
    ctx.feed = createChangeFeed({
      databaseUrl: ctx.db.url,
      callerPool: ctx.callerPool,
      pool: ctx.db.pool,
      // Indirect, so each test can start from an empty registry.
      registry: { forTable: (schema, table) => ctx.registry.forTable(schema, table) },
      log,
      gatewayId: `test-${randomUUID()}`,
    });
    // A plain listener on the same channel, to see what the triggers send.
    ctx.listener = new pg.Client({ connectionString: ctx.db.url });
    ctx.listener.on('error', () => {}); // the database is dropped WITH (FORCE) at the end
    await ctx.listener.connect();
    ctx.heard = [];
    ctx.listener.on('notification', (n) => {
      if (n.channel === REALTIME_CHANNEL) ctx.heard.push(n.payload ?? '');
    });
    await ctx.listener.query(`listen ${REALTIME_CHANNEL}`);
  });

  test.after(async (ctx) => {
    await ctx.feed.stop();
    await ctx.listener.end();
    await ctx.callerPool.end();
  });

  test.before.each((ctx) => {
    ctx.registry = new SubscriptionRegistry();
    ctx.heard.length = 0;
    ctx.reads = 0;
  });
  return test;
}

/** Everything the triggers sent before a marker sent after the statement under test (NOTIFY is delivered in commit order). */
export async function heardBefore(ctx: ChangeFeedContext & { db: { pool: pg.Pool } }): Promise<string[]> {
  const marker = `marker-${randomUUID()}`;
  await ctx.db.pool.query(`select pg_notify($1::text, $2::text)`, [REALTIME_CHANNEL, marker]);
  await until(() => ctx.heard.includes(marker));
  const before = ctx.heard.slice(0, ctx.heard.indexOf(marker));
  ctx.heard.length = 0;
  return before;
}
