/**
 * The database connection settings: DATABASE_POOL_MODE
 * (detected from Supavisor's ports), DATABASE_LISTEN_URL (required for a transaction
 * pooler) and DATABASE_CA, validated at start with the variable's name.
 */
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../src/config.js';
import { detectPoolMode } from '../src/db/pool-mode.js';
import { SUPABASE_ROOT_CA_FILE } from '../src/db/tls.js';

const test = suite('config: database pooling and TLS');

const TRANSACTION = 'postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres';
const SESSION = 'postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres';
const DIRECT = 'postgres://postgres:pw@db.ref.supabase.co:5432/postgres';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.instance(error, ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(Object.keys(env))} to be refused`);
}

test('the pool mode is detected from a Supabase pooler URL: 6543 transaction, 5432 session, anything else direct', () => {
  assert.is(detectPoolMode(TRANSACTION), 'transaction');
  assert.is(detectPoolMode(SESSION), 'session');
  assert.is(detectPoolMode('postgres://u:p@aws-0-eu-central-1.pooler.supabase.com/postgres'), 'session');
  assert.is(detectPoolMode(DIRECT), 'direct');
  assert.is(detectPoolMode('postgres://u:p@127.0.0.1:6543/postgres'), 'direct');
  assert.is(loadConfig({}).databasePoolMode, 'direct');
  assert.is(loadConfig({ DATABASE_URL: SESSION }).databasePoolMode, 'session');
  assert.is(loadConfig({ DATABASE_URL: DIRECT }).databasePoolMode, 'direct');
  assert.is(loadConfig({ DATABASE_URL: TRANSACTION, DATABASE_LISTEN_URL: SESSION }).databasePoolMode, 'transaction');
  // An explicit mode wins (your own PgBouncer cannot be recognised by its URL).
  assert.is(loadConfig({ DATABASE_URL: 'postgres://u@10.0.0.9:6432/db', DATABASE_POOL_MODE: 'session' }).databasePoolMode, 'session');
});

test('a transaction pooler needs DATABASE_LISTEN_URL, a session-capable one', () => {
  const missing = refusal({ DATABASE_URL: TRANSACTION });
  assert.is(missing.variable, 'DATABASE_LISTEN_URL');
  assert.match(missing.message, /required when DATABASE_URL is a transaction pooler/);
  assert.is(refusal({ DATABASE_URL: TRANSACTION, DATABASE_LISTEN_URL: TRANSACTION }).variable, 'DATABASE_LISTEN_URL');
  assert.is(refusal({ DATABASE_URL: 'postgres://u@10.0.0.9:6432/db', DATABASE_POOL_MODE: 'transaction' }).variable, 'DATABASE_LISTEN_URL');
  const listen = refusal({ DATABASE_URL: SESSION, DATABASE_LISTEN_URL: TRANSACTION });
  assert.match(listen.message, /LISTEN needs a session/);
  const ok = loadConfig({ DATABASE_URL: TRANSACTION, DATABASE_LISTEN_URL: DIRECT });
  assert.is(ok.databaseListenUrl, DIRECT);
  assert.is(loadConfig({ DATABASE_URL: SESSION }).databaseListenUrl, undefined);
});

test('bad values name the variable, and a URL is never echoed', () => {
  assert.is(refusal({ DATABASE_URL: DIRECT, DATABASE_POOL_MODE: 'statement' }).variable, 'DATABASE_POOL_MODE');
  assert.is(refusal({ DATABASE_POOL_MODE: 'transaction' }).variable, 'DATABASE_POOL_MODE'); // the embedded Postgres is direct
  assert.is(refusal({ DATABASE_LISTEN_URL: DIRECT }).variable, 'DATABASE_LISTEN_URL');
  const badListen = refusal({ DATABASE_URL: DIRECT, DATABASE_LISTEN_URL: 'https://secret-pw@example.com/x' });
  assert.is(badListen.variable, 'DATABASE_LISTEN_URL');
  assert.not.match(badListen.message, /secret-pw/);
  for (const params of ['sslmode=no-verify', 'sslrootcert=/tmp/ca.pem', 'ssl=true', 'options=-c%20role%3Dpostgres']) {
    const error = refusal({ DATABASE_URL: `${DIRECT}?${params}` });
    assert.is(error.variable, 'DATABASE_URL', params);
    assert.match(error.message, /not supported/, params);
  }
  assert.is(loadConfig({ DATABASE_URL: `${DIRECT}?sslmode=disable` }).databaseUrl, `${DIRECT}?sslmode=disable`);
});

test('DATABASE_CA: a readable PEM file of CA certificates, loaded once', () => {
  const file = fileURLToPath(SUPABASE_ROOT_CA_FILE);
  const ca = loadConfig({ DATABASE_URL: DIRECT, DATABASE_CA: file }).databaseCa;
  assert.is(ca?.file, file);
  assert.match(ca?.pem ?? '', /BEGIN CERTIFICATE/);
  assert.is(loadConfig({}).databaseCa, undefined);
  assert.match(refusal({ DATABASE_CA: '/nonexistent/ca.pem' }).message, /^DATABASE_CA: cannot read/);
  assert.match(refusal({ DATABASE_CA: fileURLToPath(import.meta.url) }).message, /no PEM certificate/);
});

test.run();
