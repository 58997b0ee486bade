/**
 * The migration runner: applies supabase/migrations/*.sql in name order, each in
 * its own transaction, and records name and checksum so an applied file that was
 * later edited is refused instead of silently diverging from production.
 *
 * A session-level advisory lock serialises runners: the api, the worker and the
 * pre-deploy step may all start at once, and each migration must run exactly once.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from '../log.js';
import { applySupabaseStandin } from './supabase-standin.js';
import { transactionOn } from './transaction.js';

/** Supabase CLI's naming: a 14-digit timestamp, an underscore, a name. */
const MIGRATION_FILE = /^(\d{14})_([a-z0-9_]+)\.sql$/;

/** Arbitrary but fixed: every Guardian process agrees on it. ("guardian" in ASCII.) */
const MIGRATION_LOCK_KEY = 0x677561726469616en;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  standin: boolean;
  applied: string[];
  alreadyApplied: number;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    readonly code: 'migration_changed' | 'migration_bad_name' | 'migration_failed',
    message: string,
    readonly migration?: string,
  ) {
    super(message);
  }
}

export function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (name) => {
      if (!MIGRATION_FILE.test(name)) {
        throw new MigrationError(
          'migration_bad_name',
          `${name}: migration files are named <14-digit timestamp>_<lower_snake_name>.sql`,
          name,
        );
      }
      const sql = await readFile(path.join(dir, name), 'utf8');
      return { name, sql, checksum: checksum(sql) };
    }),
  );
}

async function ensureLedger(client: pg.ClientBase): Promise<void> {
  // Kept out of `public` so the Data API never exposes it; RLS on with no policy
  // means only the owner (the migrating role) can read it.
  await client.query(`
    create schema if not exists guardian_migrations;
    create table if not exists guardian_migrations.applied (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    );
    alter table guardian_migrations.applied enable row level security;
    revoke all on schema guardian_migrations from public;
  `);
}

async function appliedChecksums(client: pg.ClientBase): Promise<Map<string, string>> {
  const { rows } = await client.query<{ name: string; checksum: string }>(
    'select name, checksum from guardian_migrations.applied order by name',
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

async function applyOne(client: pg.ClientBase, migration: Migration): Promise<void> {
  try {
    await transactionOn(client, async () => {
      await client.query(migration.sql);
      await client.query('insert into guardian_migrations.applied (name, checksum) values ($1::text, $2::text)', [
        migration.name,
        migration.checksum,
      ]);
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError('migration_failed', `${migration.name} failed and was rolled back: ${reason}`, migration.name);
  }
}

/**
 * Prepares a database: the Supabase stand-in where Supabase is absent, then every
 * pending migration. Safe to call from several processes at once. Holds a session
 * lock: `client` must keep its session (createSessionClient, never a transaction pooler).
 */
export async function migrate(
  client: pg.ClientBase,
  options: { dir: string; log?: Logger },
): Promise<MigrationResult> {
  const migrations = await readMigrations(options.dir);
  await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
  try {
    const standin = await applySupabaseStandin(client);
    await ensureLedger(client);
    const applied = await appliedChecksums(client);
    for (const m of migrations) {
      const known = applied.get(m.name);
      if (known !== undefined && known !== m.checksum) {
        throw new MigrationError(
          'migration_changed',
          `${m.name} was changed after it was applied (checksum ${known.slice(0, 12)}… now ${m.checksum.slice(0, 12)}…); migrations are append-only: restore the file and add a new migration`,
          m.name,
        );
      }
    }
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await applyOne(client, m);
      options.log?.info({ migration: m.name }, 'migration applied');
      done.push(m.name);
    }
    return { standin, applied: done, alreadyApplied: migrations.length - done.length };
  } finally {
    await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
  }
}

/** Applied and pending counts, for /healthz. */
export async function migrationState(
  client: pg.ClientBase,
  dir: string,
): Promise<{ applied: number; pending: string[] }> {
  const migrations = await readMigrations(dir);
  const { rows } = await client.query<{ name: string }>(
    `select name from guardian_migrations.applied`,
  );
  const applied = new Set(rows.map((r) => r.name));
  return { applied: applied.size, pending: migrations.filter((m) => !applied.has(m.name)).map((m) => m.name) };
}
