/**
 * Connections for work done as a signed-in user. Every connection of this pool is
 * switched to the `authenticated` role when it opens (a startup option, verified), so
 * queries through it run under row-level security.
 *
 * A single read statement (`read`) runs without an explicit transaction: the caller's
 * claims are set for the session, and only when the connection last served someone
 * else (the connection remembers whose claims it holds). For one user's steady
 * traffic that is one round trip per read instead of four (begin, set claims, query,
 * commit), which on this machine was most of an api request's database cost.
 * Multi-statement work (`transaction`) sets the claims locally, as PostgREST does.
 *
 * The login role can still SET ROLE back (it is the session user), as with PostgREST's
 * per-transaction switch: only our own SQL runs here, never a caller's.
 */
import pg from 'pg';
import type { Caller } from './as-caller.js';
import { surviveConnectionLoss } from './connection-loss.js';

const SETTINGS = Symbol('guardian.session-settings');
type CallerClient = pg.PoolClient & { [SETTINGS]?: string };

export class CallerPool {
  readonly pool: pg.Pool;

  constructor(url: string, max: number, onError: (error: Error) => void = () => {}) {
    // The role is a startup option: a connection that cannot take it never opens
    // (rather than running a first query as the login role).
    this.pool = new pg.Pool({ connectionString: url, max, options: '-c role=authenticated', connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
    surviveConnectionLoss(this.pool, onError);
  }

  /**
   * One statement as the caller (role authenticated). With a `name` it is prepared once
   * per connection and its plan reused: safe across users, because the policies read
   * the caller from the session's claims when the plan runs, not when it is made.
   *
   * A named statement runs with its generic plan (plan_cache_mode force_generic_plan),
   * so it is planned once per connection: left to choose, Postgres re-planned the
   * journey read on every call because it judged the generic plan dearer (measured:
   * 0.8 ms planning per 0.9 ms executing). Statements given a name must be written so
   * that their generic plan is good (bounds as plain parameters, no `$1 is null or`).
   * Everything else runs with Postgres' own choice ('auto'): the setting covers
   * unnamed statements and PL/pgSQL too, whose optional filters need custom plans.
   * Claims and plan mode are session settings, set together in one round trip and
   * only when the connection last ran with others.
   */
  async read<R extends pg.QueryResultRow>(caller: Caller, sql: string, params: unknown[], name?: string): Promise<pg.QueryResult<R>> {
    assertAuthenticated(caller);
    const client = (await this.pool.connect()) as CallerClient;
    try {
      const claims = JSON.stringify(caller.claims);
      const planMode = name ? 'force_generic_plan' : 'auto';
      const settings = `${planMode} ${claims}`;
      if (client[SETTINGS] !== settings) {
        client[SETTINGS] = undefined; // unknown until the set succeeds
        assertRole(await client.query(
          `select set_config('request.jwt.claims', $1::text, false), set_config('plan_cache_mode', $2::text, false), current_user as role`,
          [claims, planMode],
        ));
        client[SETTINGS] = settings;
      }
      const result = await client.query<R>(name ? { name, text: sql, values: params } : { text: sql, values: params });
      client.release();
      return result;
    } catch (error) {
      // A connection in an unknown state is not reused.
      client.release(error as Error);
      throw error;
    }
  }

  /** Several statements in one transaction as the caller (claims set locally). */
  async transaction<T>(caller: Caller, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    assertAuthenticated(caller);
    const client = (await this.pool.connect()) as CallerClient;
    try {
      await client.query('begin');
      // Local settings: gone at commit, whatever the session holds for read().
      assertRole(await client.query(
        `select set_config('request.jwt.claims', $1::text, true), set_config('plan_cache_mode', 'auto', true), current_user as role`,
        [JSON.stringify(caller.claims)],
      ));
      const result = await work(client);
      await client.query('commit');
      client.release();
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      client.release(error as Error);
      throw error;
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

function assertAuthenticated(caller: Caller): void {
  if (caller.role !== 'authenticated') throw new Error(`the caller pool serves signed-in users only, not ${caller.role}`);
}

/**
 * Fails closed if the connection is not the authenticated role (e.g. a connection
 * pooler that drops startup options): better no answer than one that bypasses RLS.
 */
function assertRole(result: pg.QueryResult): void {
  if (result.rows[0]?.role !== 'authenticated') {
    throw new Error(`caller connection runs as ${String(result.rows[0]?.role)}, not authenticated; refusing to use it`);
  }
}
