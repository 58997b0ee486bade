import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import { MigrationError } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrations.js';
import { config, createTestDatabase, migrationsDir, withClient, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);
const test = suite<{ dbs: TestDatabase[] }>('migration runner', { dbs: [] });
test.after(async (ctx) => {
  await Promise.all(ctx.dbs.map((db) => db.drop()));
});

async function emptyDatabase(ctx: { dbs: TestDatabase[] }): Promise<TestDatabase> {
  const db = await createTestDatabase({ empty: true });
  ctx.dbs.push(db);
  return db;
}

/** A throwaway migrations folder: the real ones plus extra files. */
async function migrationsWith(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-migrations-'));
  for (const file of await readdir(migrationsDir)) await copyFile(path.join(migrationsDir, file), path.join(dir, file));
  for (const [name, sql] of Object.entries(extra)) await writeFile(path.join(dir, name), sql);
  return dir;
}

const schemaFingerprint = `
  select md5(string_agg(format('%s.%s %s', table_schema, table_name, column_name), ',' order by 1)) as f
  from information_schema.columns where table_schema in ('public', 'auth', 'storage', 'private')`;

test('applies every migration once, recorded with its version, name and statements; a second run is a no-op', async (ctx) => {
  const db = await emptyDatabase(ctx);
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
  await withClient(db.url, async (client) => {
    const first = await migrate(client, { dir: migrationsDir });
    assert.equal(first.applied, files);
    assert.is(first.standin, true);
    const fingerprint = (await client.query(schemaFingerprint)).rows[0].f;
    const ledger = await client.query(`select version || '_' || name || '.sql' as file, statements from supabase_migrations.schema_migrations order by version`);
    assert.equal(ledger.rows.map((r) => r.file), files);
    assert.ok(ledger.rows.every((r) => Array.isArray(r.statements) && r.statements.length === 1));

    const second = await migrate(client, { dir: migrationsDir });
    assert.equal(second.applied, []);
    assert.is(second.alreadyApplied, files.length);
    assert.is((await client.query(schemaFingerprint)).rows[0].f, fingerprint);
    const again = await client.query(`select version || '_' || name || '.sql' as file, statements from supabase_migrations.schema_migrations order by version`);
    assert.equal(again.rows, ledger.rows);
  });
});

test('refuses to run when an applied migration was changed, and applies nothing', async (ctx) => {
  const db = await emptyDatabase(ctx);
  const first = await migrationsWith({ '29990101000000_extra.sql': 'create table public.extra (id int);' });
  await withClient(db.url, (client) => migrate(client, { dir: first }));
  const changed = await migrationsWith({
    '29990101000000_extra.sql': 'create table public.extra (id int, sneaky text);',
    '29990101000001_later.sql': 'create table public.later (id int);',
  });
  await withClient(db.url, async (client) => {
    try {
      await migrate(client, { dir: changed });
      assert.unreachable('a changed migration must be refused');
    } catch (error) {
      assert.instance(error, MigrationError);
      assert.is((error as MigrationError).code, 'migration_changed');
      assert.is((error as MigrationError).migration, '29990101000000_extra.sql');
      assert.match((error as Error).message, /append-only/);
    }
    const later = await client.query(`select to_regclass('public.later') as t`);
    assert.is(later.rows[0].t, null);
  });
});

test('a failing migration is rolled back whole and not recorded', async (ctx) => {
  const db = await emptyDatabase(ctx);
  const dir = await migrationsWith({
    '29990101000000_broken.sql': 'create table public.half (id int);\nselect 1 / 0;',
  });
  await withClient(db.url, async (client) => {
    try {
      await migrate(client, { dir });
      assert.unreachable();
    } catch (error) {
      assert.is((error as MigrationError).code, 'migration_failed');
      assert.match((error as Error).message, /29990101000000_broken\.sql failed and was rolled back: division by zero/);
    }
    assert.is((await client.query(`select to_regclass('public.half') as t`)).rows[0].t, null);
    const recorded = await client.query(`select 1 from supabase_migrations.schema_migrations where version = '29990101000000'`);
    assert.is(recorded.rowCount, 0);
  });
});

test('refuses a file not named <14-digit timestamp>_<name>.sql', async (ctx) => {
  const db = await emptyDatabase(ctx);
  const dir = await migrationsWith({ 'add_things.sql': 'select 1;' });
  await withClient(db.url, async (client) => {
    try {
      await migrate(client, { dir });
      assert.unreachable();
    } catch (error) {
      assert.is((error as MigrationError).code, 'migration_bad_name');
    }
  });
});

test('refuses two files with one version (the ledger is keyed by version, as the CLI keys it)', async (ctx) => {
  const db = await emptyDatabase(ctx);
  const dir = await migrationsWith({ '29990101000000_one.sql': 'select 1;', '29990101000000_two.sql': 'select 2;' });
  await withClient(db.url, async (client) => {
    try {
      await migrate(client, { dir });
      assert.unreachable();
    } catch (error) {
      assert.is((error as MigrationError).code, 'migration_bad_name');
      assert.match((error as Error).message, /29990101000000_two\.sql: another migration has the version 29990101000000/);
    }
  });
});

test('two processes migrating at once apply each migration exactly once', async (ctx) => {
  const db = await emptyDatabase(ctx);
  // A migration that is not idempotent: run twice, it would fail or count 2.
  const dir = await migrationsWith({
    '29990101000000_count_runs.sql': `
      create table if not exists public.runs (n int);
      select pg_sleep(0.3);
      insert into public.runs values (1);`,
  });
  const env = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'info' };
  const cli = path.join(config.projectRoot, 'test', 'helpers', 'migrate-dir.ts');
  const results = await Promise.all(
    [1, 2].map(() => run(process.execPath, ['--import', 'tsx', cli, dir], { cwd: config.projectRoot, env })),
  );
  const applied = results.map((r) => r.stdout.split('\n').filter((l) => l.includes('"migration applied"')).length);
  const files = (await readdir(dir)).length;
  assert.equal(applied.sort(), [0, files]);
  await withClient(db.url, async (client) => {
    assert.is((await client.query('select count(*)::int as n from public.runs')).rows[0].n, 1);
    assert.is((await client.query('select count(*)::int as n from supabase_migrations.schema_migrations')).rows[0].n, files);
  });
});

test.run();
