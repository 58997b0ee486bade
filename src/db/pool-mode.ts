/**
 * How a database URL pools connections, which decides what a connection may rely on.
 *
 *   direct       Postgres itself (or anything that passes sessions through untouched):
 *                startup options (`-c name=value`), session settings, named prepared
 *                statements, LISTEN, session advisory locks.
 *   session      a pooler that gives each client connection one server connection for
 *                its whole life (Supavisor on port 5432, PgBouncer pool_mode=session):
 *                everything direct has, except startup options, which poolers refuse
 *                (PgBouncer 1.18: "unsupported startup parameter: options") or drop.
 *   transaction  a pooler that lends a server connection for one transaction only
 *                (Supavisor on 6543, PgBouncer pool_mode=transaction): nothing survives
 *                from one transaction to the next, so no session settings, no named
 *                prepared statements (PgBouncer 1.18 has none), no LISTEN, no session
 *                locks, and no startup options.
 *
 * Pure: src/config.ts uses it to default DATABASE_POOL_MODE, and `npm run doctor` to
 * explain a URL.
 */

export const POOL_MODES = ['direct', 'session', 'transaction'] as const;
export type PoolMode = (typeof POOL_MODES)[number];

/** Supavisor, Supabase's pooler: `aws-0-<region>.pooler.supabase.com` and the like. */
const SUPABASE_POOLER_HOST = /\.pooler\.supabase\.com$/i;
/** Supavisor's transaction-mode port (session mode is on 5432). */
const SUPAVISOR_TRANSACTION_PORT = '6543';

/**
 * The pool mode a URL implies: a Supabase pooler host on 6543 is transaction mode, on
 * any other port (5432) session mode; anything else is taken as direct. A pooler on some
 * other host (your own PgBouncer) cannot be recognised from its URL: set
 * DATABASE_POOL_MODE for it.
 */
export function detectPoolMode(url: string): PoolMode {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'direct';
  }
  if (!SUPABASE_POOLER_HOST.test(parsed.hostname)) return 'direct';
  return parsed.port === SUPAVISOR_TRANSACTION_PORT ? 'transaction' : 'session';
}
