/**
 * Migration files: supabase/migrations/*.sql, named as the Supabase CLI names them,
 * read in name order.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Supabase CLI's naming: a 14-digit timestamp, an underscore, a name. */
const MIGRATION_FILE = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  /** The file name. */
  name: string;
  /** Its 14-digit timestamp: the CLI's version, unique among the files. */
  version: string;
  /** The rest of the name without `.sql`: the CLI's `name` column. */
  label: string;
  sql: string;
  checksum: string;
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
      const [, version, label] = MIGRATION_FILE.exec(name)!;
      const sql = await readFile(path.join(dir, name), 'utf8');
      return { name, version: version!, label: label!, sql, checksum: checksum(sql) };
    }),
  ).then((migrations) => {
    // The ledger is keyed by version, as the CLI keys it: two files with one version
    // would record as one, and the second would never run.
    for (let i = 1; i < migrations.length; i++) {
      if (migrations[i]!.version === migrations[i - 1]!.version) {
        throw new MigrationError('migration_bad_name', `${migrations[i]!.name}: another migration has the version ${migrations[i]!.version}`, migrations[i]!.name);
      }
    }
    return migrations;
  });
}
