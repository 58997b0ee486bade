/**
 * Applies the local stand-in for Supabase's roles, `auth`, `storage` and the
 * `supabase_realtime` publication, only where Supabase is absent.
 */
import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { transactionOn } from './transaction.js';

const standinSql = new URL('./supabase-standin.sql', import.meta.url);

/**
 * A Supabase database has its own admin role; its presence means the real `auth`
 * and `storage` schemas are there and must not be touched.
 */
export async function isSupabase(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ supabase: boolean }>(
    `select exists (select 1 from pg_roles where rolname = 'supabase_admin') as supabase`,
  );
  return rows[0]?.supabase ?? false;
}

/** Idempotent; returns whether the stand-in was applied (false on real Supabase). */
export async function applySupabaseStandin(client: pg.ClientBase): Promise<boolean> {
  if (await isSupabase(client)) return false;
  const sql = await readFile(standinSql, 'utf8');
  await transactionOn(client, () => client.query(sql));
  return true;
}
