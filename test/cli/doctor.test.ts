/**
 * `npm run doctor` against the local stack, with good settings and with
 * each thing a deployment gets wrong.
 */
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import type { Finding } from '../../src/doctor/finding.js';
import { config, createTestDatabase, serverUrl, type TestDatabase } from '../helpers/database.js';
import { needingPgBouncer, startPgBouncer } from '../helpers/pgbouncer.js';
import { startStandIn, type StandIn } from '../helpers/stand-in-server.js';
import { databaseSuite } from '../helpers/suite.js';

const run = promisify(execFile);
const test = databaseSuite<{ supabase: StandIn; jwks: unknown }>('npm run doctor');
const SECRET_KEY = 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz';

test.before(async (ctx) => {
  const { publicKey } = await generateKeyPair('ES256');
  ctx.jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }] };
  // The Supabase project: its JWKS endpoint (what doctor reads of it).
  ctx.supabase = await startStandIn((request) =>
    request.path === '/auth/v1/.well-known/jwks.json' ? { body: ctx.jwks } : { status: 404, body: {} });
});

test.after(async (ctx) => {
  await ctx.supabase?.close();
});

async function doctor(env: Record<string, string>): Promise<{ code: number; findings: Finding[] }> {
  let stdout: string;
  let code = 0;
  try {
    ({ stdout } = await run(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', 'cli', 'doctor.ts'), '--json'], {
      cwd: config.projectRoot,
      env: { PATH: process.env.PATH ?? '', ...env },
    }));
  } catch (failure) {
    ({ stdout } = failure as { stdout: string });
    code = (failure as { code: number }).code;
  }
  return { code, findings: (JSON.parse(stdout) as { findings: Finding[] }).findings };
}

const good = (ctx: { db: TestDatabase; supabase: StandIn }) => ({
  DATABASE_URL: ctx.db.url,
  SUPABASE_URL: ctx.supabase.url,
  SUPABASE_SECRET_KEY: SECRET_KEY,
});
const errors = (findings: Finding[]) => findings.filter((f) => f.severity === 'error').map((f) => `${f.area}: ${f.message}`);

test('a healthy deployment: every check passes and doctor exits 0', async (ctx) => {
  const { code, findings } = await doctor(good(ctx));
  assert.equal(errors(findings), []);
  assert.is(code, 0);
  const areas = new Set(findings.filter((f) => f.severity === 'ok').map((f) => f.area));
  for (const area of ['settings', 'connection', 'roles', 'rls', 'migrations', 'storage', 'realtime', 'keys']) assert.ok(areas.has(area), area);
});

test('an unmigrated database: migrations, the bucket and the publication are reported with the fix', async (ctx) => {
  const empty = await createTestDatabase({ empty: true });
  try {
    const { code, findings } = await doctor({ ...good(ctx), DATABASE_URL: empty.url });
    assert.is(code, 1);
    const wrong = errors(findings).join('\n');
    assert.match(wrong, /migrations: no migration has been applied/);
    assert.match(wrong, /storage: the documents bucket does not exist/);
    assert.match(wrong, /realtime: not in the supabase_realtime publication/);
    assert.ok(findings.filter((f) => f.severity === 'error').every((f) => f.fix), 'every error says how to fix it');
  } finally {
    await empty.drop();
  }
});

test('row-level security switched off, a public bucket, a signed-in role that can read the queue: each is an error', async (ctx) => {
  await ctx.db.pool.query(`alter table public.observations disable row level security;
                           update storage.buckets set public = true where id = 'documents';
                           grant select on public.job_queue to authenticated`);
  try {
    const { code, findings } = await doctor(good(ctx));
    assert.is(code, 1);
    const wrong = errors(findings).join('\n');
    assert.match(wrong, /rls: row-level security is off on public\.observations/);
    assert.match(wrong, /storage: the documents bucket is public/);
    assert.match(wrong, /roles: signed-in users can read the job queue/);
  } finally {
    await ctx.db.pool.query(`alter table public.observations enable row level security;
                             update storage.buckets set public = false where id = 'documents';
                             revoke select on public.job_queue from authenticated`);
  }
});

test('on Render: Supabase\'s IPv6-only direct host, no Storage, signing keys that cannot be read', async (ctx) => {
  const direct = await doctor({ RENDER: 'true', DATABASE_URL: 'postgres://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres', SUPABASE_JWT_SECRET: 'x'.repeat(40) });
  assert.is(direct.code, 1);
  const wrong = errors(direct.findings).join('\n');
  assert.match(wrong, /connection: DATABASE_URL names Supabase's direct host db\.abcdefghijklmnop\.supabase\.co, which has only an IPv6 address \(Render has no outbound IPv6\)/);
  assert.match(wrong, /storage: SUPABASE_URL is not set/);
  const fix = direct.findings.find((f) => f.area === 'connection')!.fix!;
  assert.match(fix, /pooler\.supabase\.com/);

  const noKeys = await doctor({ ...good(ctx), SUPABASE_URL: 'http://127.0.0.1:9' });
  assert.match(errors(noKeys.findings).join('\n'), /keys: the JWKS URL cannot be read/);
  assert.is(noKeys.code, 1);
});

test('a setting that does not parse is reported by its variable, and nothing is contacted', async (ctx) => {
  const before = ctx.supabase.requests.length;
  const { code, findings } = await doctor({ ...good(ctx), DATABASE_POOL_MAX: 'many' });
  assert.is(code, 1);
  assert.equal(findings.map((f) => [f.area, f.severity]), [['settings', 'error']]);
  assert.match(findings[0]!.message, /^DATABASE_POOL_MAX: /);
  assert.is(ctx.supabase.requests.length, before);
});

needingPgBouncer(test)('through a transaction pooler: the pool mode is explained, LISTEN is checked on DATABASE_LISTEN_URL, and a missing one is named', async (ctx) => {
  const bouncer = await startPgBouncer({ serverUrl: serverUrl(), mode: 'transaction' });
  try {
    const pooled = { ...good(ctx), DATABASE_URL: bouncer.url(ctx.db.name), DATABASE_POOL_MODE: 'transaction' };
    const { code, findings } = await doctor({ ...pooled, DATABASE_LISTEN_URL: ctx.db.url });
    assert.equal(errors(findings), []);
    assert.is(code, 0);
    const said = findings.map((f) => f.message).join('\n');
    assert.match(said, /transaction-mode pooler: requests set role and claims per transaction/);
    assert.match(said, /DATABASE_LISTEN_URL connects, and LISTEN works on it/);

    const missing = await doctor(pooled);
    assert.is(missing.code, 1);
    assert.match(errors(missing.findings)[0]!, /^settings: DATABASE_LISTEN_URL: is required when DATABASE_URL is a transaction pooler/);
  } finally {
    await bouncer.stop();
  }
});

test.run();
