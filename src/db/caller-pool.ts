/**
 * Connections for work done as a signed-in user: every query through them runs as the
 * `authenticated` role with the caller's claims, under row-level security.
 *
 * Direct and session-pooled connections keep their session, and the fast path uses it:
 * a single read statement (`read`) runs without an explicit transaction, the role and
 * the caller's claims being session settings, set only when the connection last served
 * someone else (the connection remembers whose claims it holds). For one user's steady
 * traffic that is one round trip per read instead of four (begin, set claims, query,
 * commit), which on this machine was most of an api request's database cost. On a
 * direct connection the role is also a startup option, so a connection that cannot
 * take it never opens; poolers refuse startup options, so the role is (also) set in
 * band, in the same round trip as the claims.
 *
 * Through a transaction pooler (Supavisor on 6543, PgBouncer pool_mode=transaction) no
 * session setting survives the transaction, and the next transaction of the same client
 * may run on a server connection another client left behind. There every read is its
 * own transaction: role and claims set locally, then the statement, sent together as one
 * implicit transaction (src/db/implicit-transaction.ts), so it is still one round trip.
 * Statement names are ignored there (PgBouncer 1.18 has no prepared statements in
 * transaction mode), so those statements are planned on every call.
 *
 * Multi-statement work (`transaction`) sets role and claims locally, as PostgREST does,
 * in every mode. The login role can still SET ROLE back (it is the session user), as
 * with PostgREST's per-transaction switch: only our own SQL runs here, never a caller's.
 */
import pg from 'pg';
import type { Caller } from './as-caller.js';
import { connectionConfig, type DatabaseLink } from './connection.js';
import { surviveConnectionLoss } from './connection-loss.js';
import { implicitTransaction } from './implicit-transaction.js';

const SETTINGS = Symbol('guardian.session-settings');
type CallerClient = pg.PoolClient & { [SETTINGS]?: string };

/*
 * The role is set in the FROM subquery (OFFSET 0 keeps it a subquery), so it is in
 * force when the outer select list reads current_user: the answer checked below is
 * the role the connection now has, whatever order Postgres evaluates a select list in.
 */
/** Session settings for `read` on a connection that keeps its session. */
const ASSUME_FOR_SESSION = `select set_config('request.jwt.claims', $1::text, false), set_config('plan_cache_mode', $2::text, false), current_user as role
  from (select set_config('role', 'authenticated', false) offset 0) as assumed`;
/** Settings for one transaction; gone at commit, whatever the session holds. */
const ASSUME_FOR_TRANSACTION = `select set_config('request.jwt.claims', $1::text, true), set_config('plan_cache_mode', 'auto', true), current_user as role
  from (select set_config('role', 'authenticated', true) offset 0) as assumed`;

export class CallerPool {
  readonly pool: pg.Pool;
  /** Through a transaction pooler: nothing may be left in, or expected from, the session. */
  private readonly perTransaction: boolean;

  constructor(database: DatabaseLink, max: number, onError: (error: Error) => void = () => {}) {
    // The api pool's name too: a transaction pooler (PgBouncer) sends SET application_name
    // whenever a server connection passes between clients of different names, a
    // statement more per transaction (measured: ~15% fewer transactions a second).
    const connection = connectionConfig(database, { applicationName: 'guardian', startupOptions: '-c role=authenticated' });
    this.perTransaction = connection.mode === 'transaction';
    this.pool = new pg.Pool({
      ...connection.config,
      max,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
    });
    surviveConnectionLoss(this.pool, onError);
  }

  /**
   * One read statement as the caller (role authenticated). With a `name` it is prepared
   * once per connection and its plan reused: safe across users, because the policies
   * read the caller from the claims when the plan runs, not when it is made.
   *
   * A named statement runs with its generic plan (plan_cache_mode force_generic_plan),
   * so it is planned once per connection: left to choose, Postgres re-planned the
   * journey read on every call because it judged the generic plan dearer (measured:
   * 0.8 ms planning per 0.9 ms executing). Statements given a name must be written so
   * that their generic plan is good (bounds as plain parameters, no `$1 is null or`).
   * Everything else runs with Postgres' own choice ('auto'): the setting covers
   * unnamed statements and PL/pgSQL too, whose optional filters need custom plans.
   * Through a transaction pooler the name is ignored (see the top of this file).
   */
  async read<R extends pg.QueryResultRow>(caller: Caller, sql: string, params: unknown[], name?: string): Promise<pg.QueryResult<R>> {
    assertAuthenticated(caller);
    if (this.perTransaction) return this.readInTransaction<R>(caller, sql, params);
    const client = (await this.pool.connect()) as CallerClient;
    try {
      const claims = JSON.stringify(caller.claims);
      const planMode = name ? 'force_generic_plan' : 'auto';
      const settings = `${planMode} ${claims}`;
      if (client[SETTINGS] !== settings) {
        client[SETTINGS] = undefined; // unknown until the set succeeds
        assertRole(await client.query(ASSUME_FOR_SESSION, [claims, planMode]));
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

  /**
   * The read as one transaction, in one round trip. If the role cannot be taken the
   * settings statement fails and the server skips the statement (it never runs); the
   * role the settings report is checked before any row is handed out.
   */
  private async readInTransaction<R extends pg.QueryResultRow>(caller: Caller, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    const client = await this.pool.connect();
    try {
      const [assumed, result] = await implicitTransaction(client, [
        { text: ASSUME_FOR_TRANSACTION, values: [JSON.stringify(caller.claims)] },
        { text: sql, values: params },
      ]);
      assertRole(assumed!);
      client.release();
      return result as pg.QueryResult<R>;
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
  }

  /** Several statements in one transaction as the caller (role and claims set locally). */
  async transaction<T>(caller: Caller, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    assertAuthenticated(caller);
    const client = (await this.pool.connect()) as CallerClient;
    try {
      const claims = [JSON.stringify(caller.claims)];
      // Through a transaction pooler begin and settings go out together (one round trip).
      const assumed = this.perTransaction
        ? (await implicitTransaction(client, [{ text: 'begin', values: [] }, { text: ASSUME_FOR_TRANSACTION, values: claims }]))[1]!
        : (await client.query('begin'), await client.query(ASSUME_FOR_TRANSACTION, claims));
      assertRole(assumed);
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
 * Fails closed if the connection is not the authenticated role (e.g. a setting that did
 * not take): better no answer than one that bypasses RLS.
 */
function assertRole(result: pg.QueryResult): void {
  if (result.rows[0]?.role !== 'authenticated') {
    throw new Error(`caller connection runs as ${String(result.rows[0]?.role)}, not authenticated; refusing to use it`);
  }
}
