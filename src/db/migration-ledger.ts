/**
 * The migration ledger is the Supabase CLI's own table,
 * `supabase_migrations.schema_migrations` (version, name, statements), so that
 * `supabase db push` and `npm run migrate` agree on one database about what has run:
 * either may apply a migration, and the other skips it.
 *
 * The CLI keeps no checksum; it keeps each migration's statements. An applied file that
 * was later edited is recognised by comparing its text with the recorded statements,
 * ignoring whitespace and semicolons (the CLI trims statements and drops their
 * terminators, and whitespace never changes what SQL does).
 */
import type pg from 'pg';
import { MigrationError, type Migration } from './migration-files.js';
import { transactionOn } from './transaction.js';

export interface LedgerEntry {
  /** The 14-digit timestamp that starts the file's name: the CLI's version. */
  version: string;
  /** The statements the migration ran; null for an entry recorded without them (`supabase migration repair`). */
  statements: string[] | null;
}

const comparable = (sql: string) => sql.replace(/[\s;]+/g, '');

/** Creates the table as the CLI does (it may come first or second), idempotently. */
export async function ensureLedger(client: pg.ClientBase): Promise<void> {
  await client.query(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
    alter table supabase_migrations.schema_migrations add column if not exists statements text[];
    alter table supabase_migrations.schema_migrations add column if not exists name text;
    -- Outside the Data API's schemas; RLS with no policy leaves it to its owner, the
    -- migrating role.
    alter table supabase_migrations.schema_migrations enable row level security;
    revoke all on schema supabase_migrations from public;
  `);
}

export async function readLedger(client: pg.ClientBase): Promise<Map<string, LedgerEntry>> {
  const { rows } = await client.query<LedgerEntry>('select version, statements from supabase_migrations.schema_migrations');
  return new Map(rows.map((row) => [row.version, row]));
}

/** Versions recorded; none when the database was never migrated (readiness checks ask before migrating). */
export async function appliedVersions(client: pg.ClientBase): Promise<Set<string>> {
  const { rows: [ledger] } = await client.query<{ present: boolean }>(
    `select to_regclass('supabase_migrations.schema_migrations') is not null as present`,
  );
  if (!ledger?.present) return new Set();
  const { rows } = await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations');
  return new Set(rows.map((row) => row.version));
}

/** Refuses a migration that was changed after it was applied. */
export function checkUnchanged(migration: Migration, entry: LedgerEntry | undefined): void {
  if (!entry?.statements || entry.statements.length === 0) return;
  if (comparable(entry.statements.join('\n')) === comparable(migration.sql)) return;
  throw new MigrationError(
    'migration_changed',
    `${migration.name} was changed after it was applied; migrations are append-only: restore the file and add a new migration`,
    migration.name,
  );
}

/** Records an applied migration as the CLI would, inside the migration's own transaction. */
export async function recordApplied(client: pg.ClientBase, migration: Migration): Promise<void> {
  await client.query(
    'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1::text, $2::text, $3::text[])',
    [migration.version, migration.label, [migration.sql]],
  );
}

/**
 * Databases migrated before the ledger was the CLI's kept theirs in
 * `guardian_migrations.applied` (name, sha-256 checksum). Their entries move over once,
 * checked against the files as before, and the old table goes, so there is one ledger.
 */
export async function carryOverLegacyLedger(client: pg.ClientBase, migrations: readonly Migration[]): Promise<number> {
  const { rows: exists } = await client.query<{ t: string | null }>(`select to_regclass('guardian_migrations.applied')::text as t`);
  if (!exists[0]?.t) return 0;
  return transactionOn(client, async () => {
    const { rows } = await client.query<{ name: string; checksum: string }>('select name, checksum from guardian_migrations.applied');
    const files = new Map(migrations.map((m) => [m.name, m]));
    for (const row of rows) {
      const file = files.get(row.name);
      if (file && file.checksum !== row.checksum) {
        throw new MigrationError(
          'migration_changed',
          `${row.name} was changed after it was applied; migrations are append-only: restore the file and add a new migration`,
          row.name,
        );
      }
      await client.query(
        `insert into supabase_migrations.schema_migrations (version, name, statements)
         values ($1::text, $2::text, $3::text[]) on conflict (version) do nothing`,
        [row.name.slice(0, 14), row.name.slice(15, -'.sql'.length), file ? [file.sql] : null],
      );
    }
    await client.query('drop schema guardian_migrations cascade');
    return rows.length;
  });
}
