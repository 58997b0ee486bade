/**
 * Each test file gets its own database, cloned from a template that holds the
 * Supabase stand-in and every migration. Cloning (CREATE DATABASE … TEMPLATE) takes
 * ~100 ms; migrating from scratch per file would take seconds and share state.
 *
 * The server is DATABASE_URL (test/run.ts points it at the embedded Postgres when
 * the caller gave none). The template is named after a hash of the migrations, so
 * it is rebuilt exactly when they change, once, under an advisory lock.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { asUser, serviceCaller, withCaller, type Caller } from '../../src/db/as-caller.js';
import { readMigrations } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrations.js';
import { pooledUrl } from './pooled-run.js';

export const config = loadConfig();
export const migrationsDir = path.join(config.projectRoot, 'supabase', 'migrations');
const TEMPLATE_LOCK_KEY = 0x6775617264746c; // "guardtl"

export function serverUrl(): string {
  if (!config.databaseUrl) throw new Error('DATABASE_URL is not set: run the tests with `npm test` (test/run.ts sets it)');
  return config.databaseUrl;
}

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function templateName(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(await readFile(new URL('../../src/db/supabase-standin.sql', import.meta.url), 'utf8'));
  // The ledger's shape is part of what a template holds.
  hash.update(await readFile(new URL('../../src/db/migration-ledger.ts', import.meta.url), 'utf8'));
  for (const m of await readMigrations(migrationsDir)) hash.update(m.name).update(m.checksum);
  return `guardian_tpl_${hash.digest('hex').slice(0, 16)}`;
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** Builds the migrated template once per migration set; concurrent runs wait for one another. */
export async function ensureTemplate(): Promise<string> {
  const name = await templateName();
  await withAdmin(async (admin) => {
    await admin.query('select pg_advisory_lock($1::bigint)', [TEMPLATE_LOCK_KEY]);
    try {
      const { rowCount } = await admin.query('select 1 from pg_database where datname = $1::text', [name]);
      if (rowCount) return;
      const building = `${name}_building_${randomBytes(4).toString('hex')}`;
      await admin.query(`create database ${admin.escapeIdentifier(building)}`);
      const client = new pg.Client({ connectionString: databaseUrl(building) });
      await client.connect();
      try {
        await migrate(client, { dir: migrationsDir });
      } finally {
        await client.end();
      }
      await admin.query(`alter database ${admin.escapeIdentifier(building)} rename to ${admin.escapeIdentifier(name)}`);
      await admin.query(`alter database ${admin.escapeIdentifier(name)} with is_template true`);
      // Templates of older migration sets are dead weight now.
      const { rows } = await admin.query<{ datname: string }>(
        `select datname from pg_database where datname like 'guardian\\_tpl\\_%' and datname <> $1::text`,
        [name],
      );
      for (const { datname } of rows) {
        await admin.query(`alter database ${admin.escapeIdentifier(datname)} with is_template false`).catch(() => {});
        await admin.query(`drop database if exists ${admin.escapeIdentifier(datname)}`).catch(() => {});
      }
    } finally {
      await admin.query('select pg_advisory_unlock($1::bigint)', [TEMPLATE_LOCK_KEY]);
    }
  });
  return name;
}

export interface TestDatabase {
  name: string;
  /** For the code under test: the server, or the session pooler of a pooled run (test/helpers/pooled-run.ts). */
  url: string;
  /** Connected as the server's superuser (like the migrating role): bypasses RLS. */
  pool: pg.Pool;
  /** Runs `work` in a transaction as `caller` (role + claims), so RLS applies. */
  as<T>(caller: Caller, work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  asUser<T>(userId: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  asService<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template, or an empty one (`empty: true`). */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const template = options.empty ? 'template0' : await ensureTemplate();
  const name = `guardian_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) =>
    admin.query(`create database ${admin.escapeIdentifier(name)} template ${admin.escapeIdentifier(template)}`),
  );
  const url = pooledUrl(name) ?? databaseUrl(name);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  pool.on('error', () => {}); // a test may terminate backends on purpose
  const db: TestDatabase = {
    name,
    url,
    pool,
    as: (caller, work) => withCaller(pool, caller, work),
    asUser: (userId, work) => withCaller(pool, asUser(userId), work),
    asService: (work) => withCaller(pool, serviceCaller, work),
    async drop() {
      await pool.end();
      await withAdmin((admin) => admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`));
    },
  };
  return db;
}

/** One connection of its own for `work`, closed after (migrations need a session of their own). */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
