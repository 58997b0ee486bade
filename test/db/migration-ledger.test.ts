/**
 * One migration ledger for the Supabase CLI and `npm run migrate`: the real CLI
 * (`supabase db push --db-url`, the devDependency pinned in package.json) and the runner
 * take turns on one database, in either order, and neither applies what the other did.
 */
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import { MigrationError, readMigrations } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrations.js';
import { applySupabaseStandin } from '../../src/db/supabase-standin.js';
import { config, createTestDatabase, migrationsDir, withClient, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);
const test = suite<{ dbs: TestDatabase[] }>('migration ledger shared with the Supabase CLI', { dbs: [] });
test.after(async (ctx) => {
  await Promise.all(ctx.dbs.map((db) => db.drop()));
});

const supabaseCli = path.join(config.projectRoot, 'node_modules', '.bin', 'supabase');

/** A database with only the Supabase stand-in: what a fresh Supabase project offers. */
async function freshProject(ctx: { dbs: TestDatabase[] }): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true });
  ctx.dbs.push(db);
  await withClient(db.url, (client) => applySupabaseStandin(client));
  return db;
}

/** A throwaway project folder: supabase/migrations holding the real migrations plus `extra`. */
async function projectWith(extra: Record<string, string> = {}): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'guardian-cli-'));
  await mkdir(path.join(root, 'supabase'));
  await cp(migrationsDir, path.join(root, 'supabase', 'migrations'), { recursive: true });
  for (const [name, sql] of Object.entries(extra)) await writeFile(path.join(root, 'supabase', 'migrations', name), sql);
  return root;
}

async function dbPush(db: TestDatabase, workdir: string): Promise<string> {
  const url = new URL(db.url);
  url.searchParams.set('sslmode', 'disable');
  const { stdout, stderr } = await run(supabaseCli, ['db', 'push', '--db-url', url.toString(), '--workdir', workdir, '--yes'], {
    cwd: workdir,
    env: { ...process.env, DO_NOT_TRACK: '1', SUPABASE_TELEMETRY_DISABLED: '1' },
  });
  return stdout + stderr;
}

const ledger = (db: TestDatabase) =>
  db.pool.query<{ version: string; name: string }>('select version, name from supabase_migrations.schema_migrations order by version').then((r) => r.rows);

test('the CLI first, then npm run migrate: nothing is applied twice; the CLI then finds the database up to date', async (ctx) => {
  const db = await freshProject(ctx);
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
  const project = await projectWith();
  await dbPush(db, project);
  assert.is((await ledger(db)).length, files.length);
  const result = await withClient(db.url, (client) => migrate(client, { dir: migrationsDir }));
  assert.equal(result.applied, []);
  assert.is(result.alreadyApplied, files.length);
  assert.match(await dbPush(db, project), /up to date/i);
});

test('npm run migrate first, then the CLI: it applies only a migration the runner has not, and the runner then skips it', async (ctx) => {
  const db = await freshProject(ctx);
  await withClient(db.url, (client) => migrate(client, { dir: migrationsDir }));
  const rows = await ledger(db);
  assert.equal(rows[0], { version: '20261125000100', name: 'profiles_and_members' });
  assert.match(await dbPush(db, await projectWith()), /up to date/i);

  const project = await projectWith({ '29990101000000_counted.sql': 'create table public.counted (n int);\ninsert into public.counted values (1);\n' });
  const pushed = await dbPush(db, project);
  assert.match(pushed, /29990101000000_counted/);
  const again = await withClient(db.url, (client) => migrate(client, { dir: path.join(project, 'supabase', 'migrations') }));
  assert.equal(again.applied, []);
  assert.is((await db.pool.query('select count(*)::int as n from public.counted')).rows[0].n, 1);
});

test('a migration the CLI applied and someone then edited is refused by the runner', async (ctx) => {
  const db = await freshProject(ctx);
  const project = await projectWith({ '29990101000000_extra.sql': 'create table public.extra (id int);\n' });
  await dbPush(db, project);
  // Whitespace and semicolons are not a change; a new column is.
  await writeFile(path.join(project, 'supabase', 'migrations', '29990101000000_extra.sql'), '\n\ncreate table public.extra (id int)  ;;\n');
  await withClient(db.url, (client) => migrate(client, { dir: path.join(project, 'supabase', 'migrations') }));
  await writeFile(path.join(project, 'supabase', 'migrations', '29990101000000_extra.sql'), 'create table public.extra (id int, sneaky text);\n');
  try {
    await withClient(db.url, (client) => migrate(client, { dir: path.join(project, 'supabase', 'migrations') }));
    assert.unreachable('an edited migration must be refused');
  } catch (error) {
    assert.instance(error, MigrationError);
    assert.is((error as MigrationError).code, 'migration_changed');
  }
});

test("a database migrated with the runner's earlier ledger is carried over once, and the earlier ledger is gone", async (ctx) => {
  const db = await freshProject(ctx);
  await withClient(db.url, (client) => migrate(client, { dir: migrationsDir }));
  const before = await ledger(db);
  // The earlier ledger, as a database migrated before this change has it.
  await db.pool.query(`
    create schema guardian_migrations;
    create table guardian_migrations.applied (name text primary key, checksum text not null, applied_at timestamptz not null default now())`);
  for (const m of await readMigrations(migrationsDir)) {
    await db.pool.query('insert into guardian_migrations.applied (name, checksum) values ($1::text, $2::text)', [m.name, m.checksum]);
  }
  await db.pool.query('drop schema supabase_migrations cascade');

  const result = await withClient(db.url, (client) => migrate(client, { dir: migrationsDir }));
  assert.equal(result.applied, []);
  assert.equal(await ledger(db), before);
  assert.is((await db.pool.query(`select to_regnamespace('guardian_migrations') as s`)).rows[0].s, null);
  assert.match(await dbPush(db, await projectWith()), /up to date/i);
});

test.run();
