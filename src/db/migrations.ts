/**
 * The migration runner: applies supabase/migrations/*.sql in name order, each in
 * its own transaction, recorded in the Supabase CLI's ledger (./migration-ledger.ts)
 * so the CLI and this runner take turns on one database, and an applied file that was
 * later edited is refused instead of silently diverging from production.
 *
 * A session-level advisory lock serialises runners: the api, the worker and the
 * pre-deploy step may all start at once, and each migration must run exactly once.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import { applySupabaseStandin } from './supabase-standin.js';
import { MigrationError, readMigrations, type Migration } from './migration-files.js';
import { appliedVersions, carryOverLegacyLedger, checkUnchanged, ensureLedger, readLedger, recordApplied } from './migration-ledger.js';
import { transactionOn } from './transaction.js';

/** Arbitrary but fixed: every Guardian process agrees on it. ("guardian" in ASCII.) */
const MIGRATION_LOCK_KEY = 0x677561726469616en;

export interface MigrationResult {
  standin: boolean;
  applied: string[];
  alreadyApplied: number;
}

async function applyOne(client: pg.ClientBase, migration: Migration, log: Logger | undefined): Promise<void> {
  // A migration's own RAISE NOTICE says what it left out on this server and why (pg_cron
  // where the server does not offer it): the operator reads it in the log. Postgres's
  // "already exists, skipping" notices are noise and stay out.
  const onNotice = (notice: { message?: string; where?: string }) => {
    if (notice.where?.includes(' at RAISE')) log?.info({ migration: migration.name, notice: notice.message }, 'migration notice');
  };
  client.on('notice', onNotice);
  try {
    await transactionOn(client, async () => {
      await client.query(migration.sql);
      await recordApplied(client, migration);
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError('migration_failed', `${migration.name} failed and was rolled back: ${reason}`, migration.name);
  } finally {
    client.off('notice', onNotice);
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
    await carryOverLegacyLedger(client, migrations);
    const applied = await readLedger(client);
    for (const m of migrations) checkUnchanged(m, applied.get(m.version));
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await applyOne(client, m, options.log);
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
  const applied = await appliedVersions(client);
  return { applied: applied.size, pending: migrations.filter((m) => !applied.has(m.version)).map((m) => m.name) };
}
