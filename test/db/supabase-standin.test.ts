import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { applySupabaseStandin } from '../../src/db/supabase-standin.js';
import { databaseSuite } from '../helpers/suite.js';

const test = databaseSuite('supabase stand-in');

test('auth.uid() follows request.jwt.claims, and the older per-claim setting', async ({ db }) => {
  const sub = randomUUID();
  const row = await db.as({ role: 'authenticated', claims: { sub, role: 'authenticated', email: 'a@example.test' } }, async (c) =>
    (await c.query('select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() as jwt, current_user as db_role')).rows[0],
  );
  assert.is(row.uid, sub);
  assert.is(row.role, 'authenticated');
  assert.is(row.email, 'a@example.test');
  assert.equal(row.jwt, { sub, role: 'authenticated', email: 'a@example.test' });
  assert.is(row.db_role, 'authenticated');

  const other = randomUUID();
  const client = await db.pool.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('request.jwt.claim.sub', $1::text, true)`, [other]);
    assert.is((await client.query('select auth.uid() as uid')).rows[0].uid, other);
    await client.query('rollback');
  } finally {
    client.release();
  }
});

test('without claims auth.uid() is null; claims end with the transaction', async ({ db }) => {
  const sub = randomUUID();
  const client = await db.pool.connect();
  try {
    assert.is((await client.query('select auth.uid() as uid')).rows[0].uid, null);
    await client.query('begin');
    await client.query(`select set_config('request.jwt.claims', $1::text, true)`, [JSON.stringify({ sub })]);
    assert.is((await client.query('select auth.uid() as uid')).rows[0].uid, sub);
    await client.query('commit');
    assert.is((await client.query('select auth.uid() as uid')).rows[0].uid, null);
  } finally {
    client.release();
  }
});

test('roles are Supabase-shaped: service_role bypasses RLS, the API roles do not, authenticator holds all three', async ({ db }) => {
  const { rows } = await db.pool.query<{ rolname: string; rolbypassrls: boolean; rolinherit: boolean; rolcanlogin: boolean }>(
    `select rolname, rolbypassrls, rolinherit, rolcanlogin from pg_roles
     where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname`,
  );
  assert.equal(rows, [
    { rolname: 'anon', rolbypassrls: false, rolinherit: false, rolcanlogin: false },
    { rolname: 'authenticated', rolbypassrls: false, rolinherit: false, rolcanlogin: false },
    { rolname: 'authenticator', rolbypassrls: false, rolinherit: false, rolcanlogin: true },
    { rolname: 'service_role', rolbypassrls: true, rolinherit: false, rolcanlogin: false },
  ]);
  const members = await db.pool.query<{ role: string }>(
    `select r.rolname as role from pg_auth_members m join pg_roles r on r.oid = m.roleid
     join pg_roles u on u.oid = m.member where u.rolname = 'authenticator' order by 1`,
  );
  assert.equal(members.rows.map((r) => r.role), ['anon', 'authenticated', 'service_role']);
});

test('storage.foldername() splits an object path like Supabase', async ({ db }) => {
  const { rows } = await db.pool.query(`select storage.foldername('p1/d1/report.pdf') as f, storage.filename('p1/d1/report.pdf') as n`);
  assert.equal(rows[0].f, ['p1', 'd1']);
  assert.is(rows[0].n, 'report.pdf');
});

test('the documents bucket exists, private, and documents is published for realtime', async ({ db }) => {
  const bucket = await db.pool.query(`select public from storage.buckets where id = 'documents'`);
  assert.equal(bucket.rows, [{ public: false }]);
  const published = await db.pool.query(
    `select tablename from pg_publication_tables where pubname = 'supabase_realtime' order by tablename`,
  );
  assert.ok(published.rows.some((r) => r.tablename === 'documents'));
});

test("auth.sessions has Supabase's shape: its columns and types, a session goes with its user, the API roles see none", async ({ db }) => {
  const { rows: columns } = await db.pool.query<{ column_name: string; type: string; is_nullable: string }>(
    `select column_name, format_type(atttypid, atttypmod) as type, is_nullable
       from information_schema.columns c
       join pg_attribute a on a.attrelid = 'auth.sessions'::regclass and a.attname = c.column_name
      where table_schema = 'auth' and table_name = 'sessions' order by ordinal_position`,
  );
  assert.equal(
    columns.map((c) => `${c.column_name} ${c.type}${c.is_nullable === 'NO' ? ' not null' : ''}`),
    [
      'id uuid not null',
      'user_id uuid not null',
      'created_at timestamp with time zone',
      'updated_at timestamp with time zone',
      'factor_id uuid',
      'aal auth.aal_level',
      'not_after timestamp with time zone',
      'refreshed_at timestamp without time zone',
      'user_agent text',
      'ip inet',
      'tag text',
    ],
  );
  const user = randomUUID();
  await db.pool.query(`insert into auth.users (id, email) values ($1::uuid, 'sessions@example.test')`, [user]);
  await db.pool.query(
    `insert into auth.sessions (id, user_id, created_at, aal, ip) values (gen_random_uuid(), $1::uuid, now(), 'aal1', '127.0.0.1')`,
    [user],
  );
  const seen = await db.asUser(user, async (c) => c.query('select count(*)::int as n from auth.sessions').then((r) => r.rows[0].n, (e: Error) => e.message));
  assert.match(String(seen), /permission denied/);
  await db.pool.query('delete from auth.users where id = $1::uuid', [user]);
  assert.is((await db.pool.query('select count(*)::int as n from auth.sessions where user_id = $1::uuid', [user])).rows[0].n, 0);
});

test('applying the stand-in again changes nothing and does not fail', async ({ db }) => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const before = (await client.query(`select count(*)::int as n from pg_proc where pronamespace = 'auth'::regnamespace`)).rows[0].n;
    assert.is(await applySupabaseStandin(client), true);
    const after = (await client.query(`select count(*)::int as n from pg_proc where pronamespace = 'auth'::regnamespace`)).rows[0].n;
    assert.is(after, before);
  } finally {
    await client.end();
  }
});

test.run();
