import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, type GuardianProcess } from '../src/config.js';

const test = suite('config');

test('defaults give a runnable local setup (embedded Postgres, port 3000)', () => {
  const config = loadConfig({});
  assert.is(config.databaseUrl, undefined);
  assert.is(config.port, 3000);
  assert.is(config.logLevel, 'info');
  assert.is(config.seedDemoData, true);
  assert.ok(config.embeddedPgDir.endsWith('/.data/postgres'));
});

test('a bad value names the variable and what was expected', () => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ PORT: 'eighty' }, 'PORT', /whole number/],
    [{ PORT: '70000' }, 'PORT', /0 to 65535/],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL', /postgres:\/\//],
    [{ DATABASE_URL: 'postgres://u@h:5432' }, 'DATABASE_URL', /names no database/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of/],
    [{ SEED_DEMO_DATA: 'maybe' }, 'SEED_DEMO_DATA', /true or false/],
    [{ DATABASE_POOL_MAX: '0' }, 'DATABASE_POOL_MAX', /1 to 500/],
    [{ JOURNEY_CACHE_MB: '5000' }, 'JOURNEY_CACHE_MB', /0 to 4096/],
  ];
  for (const [env, variable, message] of cases) {
    try {
      loadConfig(env);
      assert.unreachable(`${variable} should have been refused`);
    } catch (error) {
      assert.instance(error, ConfigError);
      assert.is((error as ConfigError).variable, variable);
      assert.is((error as ConfigError).code, 'config_invalid');
      assert.match((error as Error).message, new RegExp(`^${variable}: `));
      assert.match((error as Error).message, message);
    }
  }
});

test('a connection string is never echoed in the error (it carries a password)', () => {
  try {
    loadConfig({ DATABASE_URL: 'not a url with secret-password' });
    assert.unreachable();
  } catch (error) {
    assert.not.match((error as Error).message, /secret-password/);
  }
});

test('values are parsed, not just accepted', () => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://app:pw@db.example:6543/guardian',
    PORT: '8080',
    LOG_LEVEL: 'DEBUG',
    SEED_DEMO_DATA: 'off',
    DATABASE_POOL_MAX: '25',
    JOURNEY_CACHE_MB: '0',
  });
  assert.is(config.databaseUrl, 'postgres://app:pw@db.example:6543/guardian');
  assert.is(config.port, 8080);
  assert.is(config.logLevel, 'debug');
  assert.is(config.seedDemoData, false);
  assert.is(config.databasePoolMax, 25);
  assert.is(config.http.journeyCacheBytes, 0);
  assert.is(loadConfig({}).http.journeyCacheBytes, 32 * 1024 * 1024);
});

test('development is explicit: only npm start / npm run token default to it, and only they may invent a local secret', () => {
  const production = loadConfig({});
  assert.is(production.environment, 'production');
  assert.is(production.auth.allowDevSecret, false);
  const local = loadConfig({}, { defaultEnvironment: 'development' });
  assert.is(local.environment, 'development');
  assert.is(local.auth.allowDevSecret, true);
  // A deployment that names its signing keys trusts exactly those, in any environment.
  assert.is(loadConfig({ SUPABASE_JWKS_URL: 'https://p.supabase.co/auth/v1/.well-known/jwks.json' }, { defaultEnvironment: 'development' }).auth.allowDevSecret, false);
  assert.is(loadConfig({ SUPABASE_JWT_SECRET: 'x'.repeat(40) }, { defaultEnvironment: 'development' }).auth.allowDevSecret, false);
  assert.is(loadConfig({ GUARDIAN_ENV: 'production' }, { defaultEnvironment: 'development' }).auth.allowDevSecret, false);
  assert.is(loadConfig({ GUARDIAN_ENV: 'development' }).auth.allowDevSecret, true);
  assert.throws(() => loadConfig({ RENDER: 'true', GUARDIAN_ENV: 'development', SUPABASE_JWT_SECRET: 'x'.repeat(40) }), /GUARDIAN_ENV: development is refused on Render/);
});

test('X-Forwarded-For is trusted for no hops off Render, for Render\'s two proxies on it, or as configured', () => {
  assert.is(loadConfig({}).http.trustProxyHops, 0);
  assert.is(loadConfig({ RENDER: 'true', SUPABASE_JWT_SECRET: 'x'.repeat(40) }).http.trustProxyHops, 2);
  assert.is(loadConfig({ TRUST_PROXY_HOPS: '1' }).http.trustProxyHops, 1);
  assert.throws(() => loadConfig({ TRUST_PROXY_HOPS: '11' }), /TRUST_PROXY_HOPS/);
});

// What Render gives each service (render.yaml), minus what the case under test takes away.
const RENDER_DATABASE = { RENDER: 'true', DATABASE_URL: 'postgres://app:pw@pooler.example:6543/postgres' };
const RENDER_STORAGE = { SUPABASE_URL: 'https://abcd.supabase.co', SUPABASE_SECRET_KEY: 'sb_secret_0123456789abcdef0123' };

function refusal(env: Record<string, string>, process: GuardianProcess): ConfigError {
  try {
    loadConfig(env, { process });
  } catch (error) {
    assert.instance(error, ConfigError);
    return error as ConfigError;
  }
  throw new Error(`the ${process} should have refused ${Object.keys(env).join(', ')}`);
}

test('on Render every service and npm start require DATABASE_URL; the CLIs are left to resolveDatabase', () => {
  const everything = { RENDER: 'true', ...RENDER_STORAGE };
  for (const process of ['api', 'worker', 'cron', 'all-in-one'] as const) {
    const error = refusal(everything, process);
    assert.is(error.variable, 'DATABASE_URL');
    assert.match(error.message, /^DATABASE_URL: is required on Render by the /);
  }
  assert.is(loadConfig(everything, { process: 'cli' }).databaseUrl, undefined);
  assert.is(loadConfig(everything).onRender, true);
});

test('on Render the api and npm start need a way to verify tokens: SUPABASE_URL (its JWKS), SUPABASE_JWKS_URL or SUPABASE_JWT_SECRET', () => {
  const noTokens = { ...RENDER_DATABASE, SUPABASE_SERVICE_ROLE_KEY: 'eyJ.legacy.jwt', SUPABASE_URL: '' };
  for (const process of ['api', 'all-in-one'] as const) {
    const error = refusal(noTokens, process);
    assert.is(error.variable, 'SUPABASE_URL');
    assert.match(error.message, /SUPABASE_JWKS_URL or SUPABASE_JWT_SECRET is required on Render/);
  }
  const derived = loadConfig({ ...RENDER_DATABASE, ...RENDER_STORAGE }, { process: 'api' });
  assert.is(derived.auth.jwksUrl, 'https://abcd.supabase.co/auth/v1/.well-known/jwks.json');
  assert.ok(loadConfig({ ...RENDER_DATABASE, ...RENDER_STORAGE, SUPABASE_JWT_SECRET: 'x'.repeat(40) }, { process: 'api' }));
});

test('on Render the api and the worker need Supabase Storage: a folder on the service disk is lost at each deploy', () => {
  for (const process of ['api', 'worker', 'all-in-one'] as const) {
    const error = refusal({ ...RENDER_DATABASE, SUPABASE_JWT_SECRET: 'x'.repeat(40) }, process);
    assert.is(error.variable, 'SUPABASE_URL');
    assert.match(error.message, /SUPABASE_SECRET_KEY are required on Render .*Supabase Storage/);
  }
});

test('on Render the worker needs no token settings and the cron job only the database', () => {
  const worker = loadConfig({ ...RENDER_DATABASE, ...RENDER_STORAGE }, { process: 'worker' });
  assert.is(worker.auth.jwtSecret, undefined);
  const cron = loadConfig(RENDER_DATABASE, { process: 'cron' });
  assert.is(cron.documents.supabaseUrl, undefined);
  assert.is(cron.auth.jwksUrl, undefined);
});

test('off Render nothing is required: npm start runs with no settings at all', () => {
  for (const process of ['api', 'worker', 'cron', 'all-in-one', 'cli'] as const) {
    assert.is(loadConfig({}, { process, defaultEnvironment: process === 'all-in-one' ? 'development' : 'production' }).onRender, false);
  }
  assert.is(loadConfig({}, { process: 'all-in-one', defaultEnvironment: 'development' }).auth.allowDevSecret, true);
});

test.run();
