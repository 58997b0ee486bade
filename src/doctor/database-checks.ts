/**
 * Checks against the live database, on one connection made the way the app makes them:
 * encryption, the Supabase roles, row-level security, migrations, the documents bucket
 * and the realtime publication.
 */
import type pg from 'pg';
import { migrationState } from '../db/migrations.js';
import { PUBLISHED_TABLES } from '../realtime/row-reader.js';
import { error, ok, type Finding } from './finding.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export async function databaseChecks(client: pg.PoolClient, options: { host: string; migrationsDir: string }): Promise<Finding[]> {
  const findings: Finding[] = [];
  findings.push(await encryption(client, options.host));
  findings.push(...(await roles(client)));
  findings.push(await rowLevelSecurity(client));
  findings.push(await migrations(client, options.migrationsDir));
  findings.push(await documentsBucket(client));
  findings.push(await realtimePublication(client));
  return findings;
}

async function encryption(client: pg.PoolClient, host: string): Promise<Finding> {
  const { rows } = await client.query<{ version: string }>(`select current_setting('server_version') as version`);
  // The socket this process talks on (to the pooler, where there is one): a TLS socket says `encrypted`.
  const stream = (client as unknown as { connection?: { stream?: { encrypted?: boolean } } }).connection?.stream;
  const encrypted = stream?.encrypted === true;
  const where = `Postgres ${rows[0]?.version ?? '?'} at ${host}`;
  if (encrypted) return ok('connection', `${where}, over TLS`);
  if (LOCAL_HOSTS.has(host)) return ok('connection', `${where}, local (no TLS needed)`);
  return error('connection', `${where}, in plaintext`, 'health data must not cross a network unencrypted: remove sslmode=disable, and set DATABASE_CA if the server\'s certificate is not verified');
}

async function roles(client: pg.PoolClient): Promise<Finding[]> {
  const { rows } = await client.query<{ rolname: string; rolcanlogin: boolean; rolbypassrls: boolean; member: boolean }>(
    `select r.rolname::text, r.rolcanlogin, r.rolbypassrls, pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER') as member
     from pg_catalog.pg_roles r where r.rolname in ('anon', 'authenticated', 'service_role')`,
  );
  const byName = new Map(rows.map((r) => [r.rolname, r]));
  const missing = ['anon', 'authenticated', 'service_role'].filter((name) => !byName.has(name));
  if (missing.length > 0) {
    return [error('roles', `roles missing: ${missing.join(', ')}`, 'this is not a Supabase database: point DATABASE_URL at the project\'s (locally, npm run migrate creates the stand-in)')];
  }
  const findings: Finding[] = [];
  const authenticated = byName.get('authenticated')!;
  if (authenticated.rolcanlogin || authenticated.rolbypassrls) {
    findings.push(error('roles', 'the authenticated role can log in or bypass RLS', 'restore Supabase\'s role: alter role authenticated nologin nobypassrls'));
  }
  if (!authenticated.member) {
    findings.push(error('roles', 'the database user cannot switch to the authenticated role', 'connect as the project\'s postgres user (its pooler user is postgres.<project ref>)'));
  }
  const { rows: grants } = await client.query<{ exposed: boolean }>(
    `select pg_catalog.has_table_privilege('authenticated', 'public.job_queue', 'select') or
            pg_catalog.has_table_privilege('anon', 'public.job_queue', 'select') as exposed`,
  ).catch(() => ({ rows: [{ exposed: false }] }));
  if (grants[0]?.exposed) findings.push(error('roles', 'signed-in users can read the job queue', 'revoke all on public.job_queue from anon, authenticated (migration 0500)'));
  if (findings.length === 0) findings.push(ok('roles', 'anon, authenticated and service_role as Supabase defines them; the app can act as a signed-in user'));
  return findings;
}

async function rowLevelSecurity(client: pg.PoolClient): Promise<Finding> {
  const { rows } = await client.query<{ name: string }>(
    `select n.nspname || '.' || c.relname as name
     from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('public', 'private') and c.relkind in ('r', 'p') and not c.relrowsecurity
     order by 1`,
  );
  if (rows.length === 0) return ok('rls', 'row-level security is on for every table in public and private');
  return error('rls', `row-level security is off on ${rows.map((r) => r.name).join(', ')}`, 'alter table … enable row level security, with policies, in a new migration');
}

async function migrations(client: pg.PoolClient, dir: string): Promise<Finding> {
  const state = await migrationState(client, dir);
  if (state.applied === 0) return error('migrations', 'no migration has been applied', 'run npm run migrate (Render: the pre-deploy command)');
  if (state.pending.length > 0) {
    return error('migrations', `${state.pending.length} pending: ${state.pending.slice(0, 3).join(', ')}${state.pending.length > 3 ? ', …' : ''}`, 'run npm run migrate (Render: the pre-deploy command)');
  }
  return ok('migrations', `all ${state.applied} applied`);
}

async function documentsBucket(client: pg.PoolClient): Promise<Finding> {
  const { rows } = await client.query<{ public: boolean | null }>(`select public from storage.buckets where id = 'documents'`).catch(() => ({ rows: [] }));
  if (!rows[0]) return error('storage', 'the documents bucket does not exist', 'run npm run migrate (migration 0300 creates it)');
  if (rows[0].public) return error('storage', 'the documents bucket is public: anyone with a link reads medical files', 'update storage.buckets set public = false where id = \'documents\'');
  return ok('storage', 'the documents bucket exists and is private');
}

async function realtimePublication(client: pg.PoolClient): Promise<Finding> {
  const { rows } = await client.query<{ name: string }>(
    `select schemaname || '.' || tablename as name from pg_catalog.pg_publication_tables where pubname = 'supabase_realtime'`,
  );
  const published = new Set(rows.map((r) => r.name));
  const missing = [...PUBLISHED_TABLES.keys()].filter((name) => !published.has(name));
  if (missing.length > 0) {
    return error('realtime', `not in the supabase_realtime publication: ${missing.join(', ')}`, 'alter publication supabase_realtime add table … (a migration does this; run npm run migrate)');
  }
  return ok('realtime', `${PUBLISHED_TABLES.size} tables published to Realtime`);
}

/** The finding for a database that cannot be reached at all. */
export function unreachable(reason: string): Finding {
  return error('connection', `cannot connect: ${reason}`, 'check DATABASE_URL (host, port, user postgres.<project ref> for the pooler, password) and that the database is up');
}

