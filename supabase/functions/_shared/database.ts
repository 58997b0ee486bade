/**
 * The function's Postgres: SUPABASE_DB_URL, which Supabase gives every function (locally,
 * `npm start` passes its own database). A direct connection rather than PostgREST, so a
 * local stack needs no REST or auth service, and the user's part runs under RLS exactly
 * as the api runs it (src/db/as-caller.ts): one transaction with the role and the JWT
 * claims set locally, gone at commit.
 */
// pg ships no types of its own; these are its DefinitelyTyped ones.
// @deno-types="npm:@types/pg@8.23.1"
import pg from 'npm:pg@8.23.1';
// @deno-types="npm:@types/pg@8.23.1"
import type { PoolClient } from 'npm:pg@8.23.1';
import { Problem } from './problem.ts';

export type { PoolClient };

const url = Deno.env.get('SUPABASE_DB_URL');
// A function instance serves a few requests at once; each holds a connection briefly.
const pool = url ? new pg.Pool({ connectionString: url, max: 3, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 }) : undefined;
pool?.on('error', () => {
  // A dropped idle connection is replaced on the next request.
});

/** Runs `work` in one transaction as the signed-in user: RLS decides what it sees. */
export function asUser<T>(claims: Record<string, unknown>, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(async (client) => {
    await client.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1::text, true)`, [JSON.stringify(claims)]);
    return work(client);
  });
}

/** Runs `work` in one transaction as the service (a caller that proved it is the project). */
export function asService<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(async (client) => {
    await becomeService(client);
    return work(client);
  });
}

async function inTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  if (!pool) throw new Error('SUPABASE_DB_URL is not set');
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch {
    throw new Problem(503, 'database_unavailable', 'the database is briefly unavailable; retry shortly', { 'Retry-After': '2' });
  }
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * From here to the end of the transaction, act as the service (after the user's part
 * proved what the user may do): the queue's functions are granted to service_role only.
 */
export async function becomeService(client: PoolClient): Promise<void> {
  await client.query(`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
}
