/**
 * "Run as this caller": every query of a request runs in one transaction with the
 * caller's database role and JWT claims set locally, exactly as PostgREST does, so
 * RLS decides what the caller sees and the settings vanish at commit (a pooled
 * connection never leaks one caller's identity to the next).
 */
import type pg from 'pg';
import type { Pool } from './pool.js';
import { inTransaction } from './transaction.js';

export const DATABASE_ROLES = ['anon', 'authenticated', 'service_role'] as const;
export type DatabaseRole = (typeof DATABASE_ROLES)[number];

export interface Caller {
  role: DatabaseRole;
  /** The verified JWT claims (sub, role, aud, exp, email, …); {} for anon without a token. */
  claims: Record<string, unknown>;
}

export class CallerError extends Error {
  override readonly name = 'CallerError';
  readonly code = 'caller_invalid';
}

export function asUser(userId: string, extra: Record<string, unknown> = {}): Caller {
  return { role: 'authenticated', claims: { sub: userId, role: 'authenticated', aud: 'authenticated', ...extra } };
}

export const anonCaller: Caller = { role: 'anon', claims: { role: 'anon' } };
export const serviceCaller: Caller = { role: 'service_role', claims: { role: 'service_role' } };

/** Sets role and claims for the current transaction on an open client. */
export async function assumeCaller(client: pg.ClientBase, caller: Caller): Promise<void> {
  // The role name comes from a closed list; set_config keeps it a parameter anyway.
  if (!DATABASE_ROLES.includes(caller.role)) throw new CallerError(`unknown database role "${String(caller.role)}"`);
  await client.query(
    `select set_config('role', $1::text, true), set_config('request.jwt.claims', $2::text, true)`,
    [caller.role, JSON.stringify(caller.claims)],
  );
}

/** Runs `work` in a transaction as `caller`; commits on success, rolls back on error. */
export function withCaller<T>(pool: Pool, caller: Caller, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await assumeCaller(client, caller);
    return work(client);
  });
}
