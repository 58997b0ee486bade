/**
 * Every service boots with exactly the environment render.yaml gives it.
 *
 * render.yaml is read as Render reads it (test/helpers/render-blueprint.ts) and each
 * command runs as Render runs it: through `sh -c` from the project root, on the
 * production build (dist/, built by `npm test` before the tests), with RENDER=true, the
 * declared values, a stand-in for each secret (`sync: false`: the test database, a
 * local Supabase stand-in, well-formed fake keys; `generateValue`: random), PORT for a
 * web service, and PATH. Nothing else of the runner's environment.
 *
 * GUARDIAN_BLUEPRINT_ROOT runs it against another checkout, e.g. a production install
 * (npm ci, npm run build, npm prune --omit=dev) to prove no service needs a dev dependency.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../src/db/embedded-postgres.js';
import { enqueue } from '../../src/events/queue/enqueue.js';
import { config, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createProfile, createUser } from '../helpers/fixtures.js';
import { deployedEnvironment, readBlueprint, type Blueprint, type BlueprintService, type EnvVarDeclaration } from '../helpers/render-blueprint.js';
import { startCommandLine, type ServiceProcess } from '../helpers/service-process.js';
import { startStandIn, type StandIn } from '../helpers/stand-in-server.js';
import { until } from '../helpers/suite.js';

const root = process.env.GUARDIAN_BLUEPRINT_ROOT ?? config.projectRoot;
const EX_CONFIG = 78;
const TOKEN_SETTINGS = ['SUPABASE_JWT_SECRET', 'SUPABASE_JWKS_URL'];

interface Context {
  blueprint: Blueprint;
  db: TestDatabase;
  supabase: StandIn;
  secrets: Map<string, string>;
  migrated: boolean;
  running: ServiceProcess[];
  scratch: string;
}

const test = suite<Context>('render.yaml: every service boots with exactly the environment it declares', {} as Context);

test.before(async (ctx) => {
  if (!(await stat(path.join(root, 'dist', 'api.js')).catch(() => undefined))) {
    throw new Error(`${root}/dist/api.js is missing: run npm run build (npm test does it before the tests)`);
  }
  ctx.blueprint = await readBlueprint(path.join(root, 'render.yaml'));
  // Empty: the api's preDeployCommand migrates it, as on a first deploy.
  ctx.db = await createTestDatabase({ empty: true });
  // SUPABASE_URL's stand-in: the signing keys a real project publishes; nothing else is asked at boot.
  ctx.supabase = await startStandIn((request) =>
    request.path === '/auth/v1/.well-known/jwks.json' ? { body: { keys: [] } } : { status: 404, body: { message: 'not found' } },
  );
  const hex = (bytes: number) => randomBytes(bytes).toString('hex');
  // One value per secret for the whole deploy, as typed into Render once.
  ctx.secrets = new Map([
    ['DATABASE_URL', ctx.db.url],
    ['DATABASE_LISTEN_URL', ctx.db.url],
    ['SUPABASE_URL', ctx.supabase.url],
    ['SUPABASE_SECRET_KEY', `sb_secret_${hex(16)}`],
    ['SUPABASE_PUBLISHABLE_KEY', `sb_publishable_${hex(16)}`],
    ['SUPABASE_JWT_SECRET', hex(32)],
    ['OPENAI_API_KEY', `sk-placeholder-${hex(16)}`],
    ['CORS_ORIGINS', 'https://app.example.test'],
  ]);
  ctx.migrated = false;
  ctx.running = [];
  ctx.scratch = await mkdtemp(path.join(tmpdir(), 'guardian-blueprint-'));
});

test.after(async (ctx) => {
  await Promise.all((ctx.running ?? []).map((p) => p.stop()));
  await ctx.supabase?.close();
  await ctx.db?.drop();
  if (ctx.scratch) await rm(ctx.scratch, { recursive: true, force: true });
});

function secret(ctx: Context, declaration: EnvVarDeclaration): string {
  // Render: "a base64-encoded 256-bit value".
  if (declaration.generateValue) return randomBytes(32).toString('base64');
  const value = ctx.secrets.get(declaration.key);
  if (value === undefined) throw new Error(`render.yaml declares ${declaration.key} with sync: false: give it a stand-in value in this test`);
  return value;
}

/** What the service's processes get on Render, minus `without`, plus `extra`. */
function renderEnvironment(ctx: Context, service: BlueprintService, options: { without?: string[]; extra?: Record<string, string> } = {}): Record<string, string> {
  const env: Record<string, string> = { ...deployedEnvironment(service, (d) => secret(ctx, d)), RENDER: 'true', PATH: process.env.PATH ?? '', ...options.extra };
  for (const key of options.without ?? []) delete env[key];
  return env;
}

function run(ctx: Context, label: string, commandLine: string, env: Record<string, string>, options: { expectFailure?: boolean } = {}): ServiceProcess {
  const started = startCommandLine(label, commandLine, { cwd: root, env, echoStderr: !options.expectFailure });
  ctx.running.push(started);
  return started;
}

/** `work`, unless the process exits first: then fail at once with what it printed. */
async function whileRunning<T>(service: ServiceProcess, label: string, work: Promise<T>): Promise<T> {
  const died = service.exited.then(({ code, signal }) => {
    throw new Error(`${label} exited (code ${code}, signal ${signal}):\n${service.stderr()}`);
  });
  return Promise.race([work, died]);
}

async function exitWithin(service: ServiceProcess, label: string, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([service.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything a process said: stderr and its JSON log lines. */
const output = (service: ServiceProcess) => `${service.stderr()}\n${service.logs.map((l) => JSON.stringify(l)).join('\n')}`;

const servicesOf = (ctx: Context, type: string) => {
  const services = ctx.blueprint.services.filter((s) => s.type === type);
  assert.ok(services.length > 0, `render.yaml declares no ${type} service`);
  return services;
};

test('the preDeployCommand migrates an empty database with exactly its service\'s environment', async (ctx) => {
  const deploying = ctx.blueprint.services.filter((s) => s.preDeployCommand);
  assert.ok(deploying.length > 0, 'no service runs the migrations before a deploy');
  for (const service of deploying) {
    const label = `${service.name} preDeployCommand`;
    const migrate = run(ctx, label, service.preDeployCommand!, renderEnvironment(ctx, service));
    const { code } = await exitWithin(migrate, label, 120_000);
    assert.is(code, 0, `${label} failed:\n${output(migrate)}`);
  }
  const { rows } = await ctx.db.pool.query<{ n: number }>('select count(*)::int as n from public.job_queue');
  assert.is(rows[0]!.n, 0, 'the schema is in place');
  ctx.migrated = true;
});

test('every web service starts with exactly its render.yaml environment and answers its healthCheckPath with 200', async (ctx) => {
  assert.ok(ctx.migrated, 'the pre-deploy migration failed (see above)');
  for (const service of servicesOf(ctx, 'web')) {
    assert.ok(service.healthCheckPath, `${service.name} has no healthCheckPath`);
    const port = await freePort();
    const api = run(ctx, service.name, service.startCommand, renderEnvironment(ctx, service, { extra: { PORT: String(port) } }));
    const url = `http://127.0.0.1:${port}${service.healthCheckPath}`;
    const status = await whileRunning(api, service.name, until(async () => (await fetch(url)).status === 200 && 200, 60_000, 100));
    assert.is(status, 200);
    await api.stop();
    assert.is((await api.exited).code, 0, `${service.name} did not stop cleanly on SIGTERM`);
  }
});

test('every worker starts with exactly its render.yaml environment (no token settings), stays up and runs a job', async (ctx) => {
  assert.ok(ctx.migrated, 'the pre-deploy migration failed (see above)');
  for (const service of servicesOf(ctx, 'worker')) {
    const env = renderEnvironment(ctx, service);
    assert.equal(TOKEN_SETTINGS.filter((key) => key in env), [], `${service.name} is given token settings it does not use`);
    const worker = run(ctx, service.name, service.startCommand, env);
    await worker.waitForLog((line) => line.msg === 'worker started');
    // Up and working, not just up: a job queued now is run (a journey recompute: database
    // only). A completed job is deleted (JOB_COMPLETED_RETENTION_HOURS 0); a failed one stays.
    const profile = await createProfile(ctx.db.pool, await createUser(ctx.db.pool));
    const { id } = await enqueue(ctx.db.pool, 'recompute_journey', { profile_id: profile });
    await whileRunning(worker, service.name, until(async () => {
      const { rows } = await ctx.db.pool.query<{ status: string }>('select status from public.job_queue where id = $1::uuid', [id]);
      assert.not.equal(rows[0]?.status, 'failed', `${service.name} failed the job`);
      return rows.length === 0;
    }, 30_000, 100));
    assert.ok(worker.alive(), `${service.name} is not running`);
    assert.equal(worker.logs.filter((l) => l.level === 'error' || l.level === 'fatal'), []);
    await worker.stop();
    assert.is((await worker.exited).code, 0, `${service.name} did not stop cleanly on SIGTERM`);
  }
});

test('every cron job runs with exactly its render.yaml environment (the database only) and exits 0', async (ctx) => {
  assert.ok(ctx.migrated, 'the pre-deploy migration failed (see above)');
  for (const service of servicesOf(ctx, 'cron')) {
    const env = renderEnvironment(ctx, service);
    assert.equal(TOKEN_SETTINGS.filter((key) => key in env), [], `${service.name} is given token settings it does not use`);
    const cron = run(ctx, service.name, service.startCommand, env);
    const { code } = await exitWithin(cron, service.name, 60_000);
    assert.is(code, 0, `${service.name} failed:\n${output(cron)}`);
    assert.equal(cron.logs.filter((l) => l.level === 'error' || l.level === 'fatal'), []);
  }
});

test('on Render without DATABASE_URL every start and pre-deploy command exits non-zero naming DATABASE_URL, and no Postgres is started', async (ctx) => {
  const runs = ctx.blueprint.services.flatMap((service) =>
    [service.preDeployCommand, service.startCommand].filter((c): c is string => !!c).map((commandLine, i) => {
      // Where an embedded cluster would go: it must stay empty.
      const dir = path.join(ctx.scratch, `${service.name}-${i}`);
      const env = renderEnvironment(ctx, service, { without: ['DATABASE_URL'], extra: { EMBEDDED_PG_DIR: path.join(dir, 'postgres'), PORT: '0' } });
      return { label: `${service.name}: ${commandLine}`, dir, started: run(ctx, `${service.name} without DATABASE_URL`, commandLine, env, { expectFailure: true }) };
    }),
  );
  for (const { label, dir, started } of runs) {
    const { code } = await exitWithin(started, label, 60_000);
    assert.ok(code !== 0 && code !== null, `${label} exited with ${code}`);
    assert.match(output(started), /DATABASE_URL: is required on Render/, label);
    assert.not.match(output(started), /embedded postgres (started|already running)|initialising embedded/, label);
    assert.equal(await readdir(dir).catch(() => []), [], `${label} created ${dir}`);
  }
});

test('on Render the api refuses to start without a way to verify tokens or without Supabase Storage, and the worker without Storage, each naming what to set', async (ctx) => {
  const cases: { service: BlueprintService; without: string[]; extra?: Record<string, string>; message: RegExp }[] = [];
  for (const service of servicesOf(ctx, 'web')) {
    cases.push({ service, without: ['SUPABASE_URL', ...TOKEN_SETTINGS], message: /SUPABASE_URL: .*SUPABASE_JWKS_URL or SUPABASE_JWT_SECRET is required on Render by the api: without one no user token can be verified/ });
    // The legacy secret verifies tokens here: only Storage is missing.
    cases.push({
      service,
      without: ['SUPABASE_URL', 'SUPABASE_SECRET_KEY'],
      extra: { SUPABASE_JWT_SECRET: ctx.secrets.get('SUPABASE_JWT_SECRET')! },
      message: /SUPABASE_URL: and SUPABASE_SECRET_KEY are required on Render by the api: documents are kept in Supabase Storage/,
    });
  }
  for (const service of servicesOf(ctx, 'worker')) {
    cases.push({ service, without: ['SUPABASE_URL', 'SUPABASE_SECRET_KEY'], message: /SUPABASE_URL: and SUPABASE_SECRET_KEY are required on Render by the worker/ });
  }
  const runs = cases.map((c) => {
    const env = renderEnvironment(ctx, c.service, { without: c.without, extra: { ...(c.service.type === 'web' ? { PORT: '0' } : {}), ...c.extra } });
    const label = `${c.service.name} without ${c.without.join(', ')}`;
    return { ...c, label, started: run(ctx, label, c.service.startCommand, env, { expectFailure: true }) };
  });
  for (const { label, started, message } of runs) {
    const { code } = await exitWithin(started, label, 60_000);
    assert.is(code, EX_CONFIG, `${label} exited with ${code}:\n${output(started)}`);
    assert.match(started.stderr(), message, label);
    // One line that says what to fix, not a stack trace.
    assert.is(started.stderr().trim().split('\n').length, 1, started.stderr());
  }
});

test.run();
