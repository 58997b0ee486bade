import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/db/migrations.js';
import { createTestDatabase, migrationsDir, type TestDatabase } from '../helpers/database.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { databaseSuite, rejection } from '../helpers/suite.js';

/**
 * Document paths in the database: a signed-in user inserts document rows and Storage
 * objects directly (supabase-js does), so the row constraint and the bucket policies must
 * hold on their own, whatever the api checks.
 */
const test = databaseSuite<{ owner: string; own: string; other: string }>('document paths in the database');

test.before(async (ctx) => {
  ctx.owner = await createUser(ctx.db.pool);
  ctx.own = await createProfile(ctx.db.pool, ctx.owner);
  ctx.other = await createProfile(ctx.db.pool, await createUser(ctx.db.pool));
});

/** Paths that name a file outside the row's own folder, or not canonically. */
function hostilePaths(own: string, other: string, doc: string): string[] {
  return [
    `${own}/../${other}/${doc}/report.pdf`,
    `${own}/${doc}/../../${other}/${doc}/report.pdf`,
    `${other}/${doc}/report.pdf`,
    `${own}/${randomUUID()}/report.pdf`, // another document's folder
    `${own}/./${doc}/report.pdf`,
    `${own}/${doc}/../report.pdf`,
    `${own}/${doc}/..`,
    `${own}/${doc}/.hidden`,
    `${own}/${doc}/a/b.pdf`,
    `${own}/${doc}/`,
    `${own}//${doc}/report.pdf`,
    `${own}/${doc}/..%2f..%2fx.pdf`,
    `${own}/${doc}/a\\b.pdf`,
    `${own.toUpperCase()}/${doc}/report.pdf`,
    `/${own}/${doc}/report.pdf`,
    `${own}/${doc}/report.pdf\n`,
    `${own}/${doc}/${'a'.repeat(201)}`,
  ];
}

const insertDocument = `insert into public.documents (id, profile_id, storage_path, file_name, media_type, size_bytes, sha256)
  values ($1::uuid, $2::uuid, $3::text, 'report.pdf', 'application/pdf', 1, repeat('a', 64))`;

test('a user cannot insert a document row whose storage_path leaves its own folder (traversal, other profiles, odd forms)', async ({ db, owner, own, other }) => {
  const doc = randomUUID();
  for (const storagePath of hostilePaths(own, other, doc)) {
    const error = await rejection(db.asUser(owner, (c) => c.query(insertDocument, [doc, own, storagePath])));
    assert.is((error as { code?: string }).code, '23514', `${JSON.stringify(storagePath)}: ${error.message}`);
  }
  // The canonical form is accepted, names with spaces and brackets included.
  await db.asUser(owner, (c) => c.query(insertDocument, [doc, own, `${own}/${doc}/Blood test (2), Dr O'Neil.pdf`]));
});

test('not even the service role can store a row that names another folder', async ({ db, own, other }) => {
  const doc = randomUUID();
  const error = await rejection(db.asService((c) => c.query(insertDocument, [doc, own, `${own}/../${other}/${doc}/report.pdf`])));
  assert.is((error as { code?: string }).code, '23514');
});

test('the documents bucket refuses objects whose names are not canonical, even inside the caller\'s own first folder', async ({ db, owner, own, other }) => {
  const insertObject = `insert into storage.objects (bucket_id, name) values ('documents', $1::text)`;
  const doc = randomUUID();
  const canonical = /^[0-9a-f-]{36}\/[0-9a-f-]{36}\/report\.pdf$/;
  // Another document folder of the caller's own profile is a legitimate object name.
  for (const name of hostilePaths(own, other, doc).filter((n) => !(canonical.test(n) && n.startsWith(`${own}/`)))) {
    const error = await rejection(db.asUser(owner, (c) => c.query(insertObject, [name])));
    assert.is((error as { code?: string }).code, '42501', `${JSON.stringify(name)}: ${error.message}`);
  }
  await db.asUser(owner, (c) => c.query(insertObject, [`${own}/${doc}/report.pdf`]));
  // Reading and deleting go through the same function: a traversal name matches nothing.
  await db.pool.query(insertObject, [`${own}/../${other}/${doc}/report.pdf`]);
  const { rows } = await db.asUser(owner, (c) => c.query(`select name from storage.objects where bucket_id = 'documents'`));
  assert.equal(rows.map((r) => r.name), [`${own}/${doc}/report.pdf`]);
  const deleted = await db.asUser(owner, (c) => c.query(`delete from storage.objects where bucket_id = 'documents' and name like '%/../%'`));
  assert.is(deleted.rowCount, 0);
});

test('a database with rows from before the fix: a row naming another folder is quarantined, its records dropped, the other family\'s row untouched', async () => {
  const files = (await readdir(migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
  const fix = files.findIndex((f) => f.endsWith('_canonical_document_paths.sql'));
  assert.ok(fix > 0);
  const before = await mkdtemp(path.join(tmpdir(), 'guardian-migrations-'));
  for (const f of files.slice(0, fix)) await copyFile(path.join(migrationsDir, f), path.join(before, f));

  const db: TestDatabase = await createTestDatabase({ empty: true });
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await migrate(client, { dir: before });
    const owner = await createUser(db.pool);
    const own = await createProfile(db.pool, owner);
    const other = await createProfile(db.pool, await createUser(db.pool));
    const [good, bad, theirs] = [randomUUID(), randomUUID(), randomUUID()];
    await db.pool.query(insertDocument, [good, own, `${own}/${good}/report.pdf`]);
    await db.pool.query(insertDocument, [theirs, other, `${other}/${theirs}/report.pdf`]);
    await db.pool.query(insertDocument, [bad, own, `${own}/../${other}/${theirs}/report.pdf`]);
    const record = `insert into public.observations (profile_id, name, value_numeric, unit, source_document_id) values ($1::uuid, 'Potassium', 4.1, 'mmol/L', $2::uuid)`;
    await db.pool.query(record, [own, bad]);
    await db.pool.query(record, [own, good]);
    await db.pool.query(record, [other, theirs]);

    await migrate(client, { dir: migrationsDir });
    const { rows: constraint } = await db.pool.query(`select convalidated from pg_constraint where conname = 'documents_storage_path_is_own'`);
    assert.equal(constraint, [{ convalidated: true }]);
    const { rows: docs } = await db.pool.query(`select id, storage_path, status, error_code from public.documents order by storage_path`);
    const byId = new Map(docs.map((d) => [d.id, d]));
    assert.equal(byId.get(bad), { id: bad, storage_path: `${own}/${bad}/quarantined`, status: 'failed', error_code: 'storage_path_invalid' });
    assert.is(byId.get(good).storage_path, `${own}/${good}/report.pdf`);
    assert.is(byId.get(theirs).storage_path, `${other}/${theirs}/report.pdf`);
    const { rows: kept } = await db.pool.query(`select source_document_id as doc from public.observations order by 1`);
    assert.equal(kept.map((r) => r.doc).sort(), [good, theirs].sort());
    const { rows: quarantine } = await db.pool.query(`select document_id, original_path from private.quarantined_document_paths`);
    assert.equal(quarantine, [{ document_id: bad, original_path: `${own}/../${other}/${theirs}/report.pdf` }]);
    // Still enforced on new rows.
    const next = randomUUID();
    const error = await rejection(db.pool.query(insertDocument, [next, own, `${own}/../${other}/${next}/report.pdf`]));
    assert.is((error as { code?: string }).code, '23514');
  } finally {
    await client.end();
    await db.drop();
  }
});

test.run();
