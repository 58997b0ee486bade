/**
 * TLS is on and verifying for any non-local database host, off for a
 * local one, and node-postgres' own sslmode handling never gets a say. Unit tests: the
 * decision, the options node-postgres ends up with, and the shipped Supabase root.
 * (test/db/tls-pgbouncer.test.ts proves the same options against a real TLS listener.)
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import pg from 'pg';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectionConfig } from '../../src/db/connection.js';
import { databaseTls, isLocalHost, SUPABASE_ROOT_CA_FILE, SUPABASE_ROOT_CA_SHA256, trustedCertificates } from '../../src/db/tls.js';

const test = suite('database TLS');

const verifying = (ssl: unknown) => typeof ssl === 'object' && ssl !== null && (ssl as tls.ConnectionOptions).rejectUnauthorized === true && (ssl as tls.ConnectionOptions).secureContext !== undefined;

test('local hosts and unix sockets are plain text; every other host is TLS that verifies the server', () => {
  for (const url of [
    'postgres://u:p@localhost:5432/db',
    'postgres://u:p@127.0.0.1:5432/db',
    'postgres://u:p@127.0.0.53/db',
    'postgres://u:p@[::1]:5432/db',
    'postgres://u@%2Fvar%2Frun%2Fpostgresql/db',
    'postgres:///db?host=/var/run/postgresql',
  ]) {
    assert.is(databaseTls(url).ssl, false, url);
  }
  for (const url of [
    'postgres://postgres:p@db.abcdefghijklmnop.supabase.co:5432/postgres',
    'postgres://postgres.abcdefghijklmnop:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres',
    'postgres://u:p@10.0.0.5:5432/db',
    'postgres://u:p@[2001:db8::1]:5432/db',
    'postgres://u:p@localhost.example.com/db',
  ]) {
    assert.ok(verifying(databaseTls(url).ssl), url);
  }
  assert.ok(isLocalHost('LOCALHOST') && isLocalHost('[::1]') && !isLocalHost('128.0.0.1'));
});

test('sslmode: disable turns TLS off anywhere; require/verify-ca/verify-full turn it on (verifying) even locally; allow/prefer change nothing', () => {
  const remote = 'postgres://u:p@db.example.com:5432/db';
  const local = 'postgres://u:p@127.0.0.1:5432/db';
  assert.is(databaseTls(`${remote}?sslmode=disable`).ssl, false);
  for (const mode of ['require', 'verify-ca', 'verify-full']) {
    assert.ok(verifying(databaseTls(`${remote}?sslmode=${mode}`).ssl), mode);
    assert.ok(verifying(databaseTls(`${local}?sslmode=${mode}`).ssl), `local ${mode}`);
  }
  for (const mode of ['allow', 'prefer']) {
    assert.ok(verifying(databaseTls(`${remote}?sslmode=${mode}`).ssl), mode);
    assert.is(databaseTls(`${local}?sslmode=${mode}`).ssl, false, `local ${mode}`);
  }
});

test('the URL node-postgres sees carries no TLS parameter, and what it ends up with is our decision, not its sslmode parsing', () => {
  const { connectionString } = databaseTls('postgres://u:p@db.example.com:5432/db?sslmode=require&application_name=x');
  assert.not.match(connectionString, /ssl/);
  assert.match(connectionString, /application_name=x/);
  // node-postgres' own reading of sslmode=require would be `{}` (Node's roots only); of
  // sslmode=disable on a remote host, plain text. Ours reaches the client unchanged.
  for (const [url, expectTls] of [
    ['postgres://u:p@db.example.com:5432/db?sslmode=require', true],
    ['postgres://u:p@db.example.com:5432/db', true],
    ['postgres://u:p@db.example.com:5432/db?sslmode=disable', false],
    ['postgres://u:p@127.0.0.1:5432/db', false],
  ] as const) {
    const client = new pg.Client(connectionConfig(url, { applicationName: 'tls-test' }).config);
    const ssl = (client as unknown as { connectionParameters: { ssl: unknown } }).connectionParameters.ssl;
    assert.is(expectTls ? verifying(ssl) : ssl === false, true, url);
  }
});

test('unsupported TLS parameters are refused rather than half-honoured', () => {
  for (const url of [
    'postgres://u:p@db.example.com/db?sslmode=no-verify',
    'postgres://u:p@db.example.com/db?sslrootcert=/tmp/ca.pem',
    'postgres://u:p@db.example.com/db?ssl=true',
    'postgres://u:p@db.example.com/db?uselibpqcompat=true',
  ]) {
    assert.throws(() => databaseTls(url), /not supported/, url);
  }
});

test('the trusted roots: Node\'s own, Supabase Root 2021 CA (the shipped file, pinned by fingerprint), and DATABASE_CA', () => {
  const shipped = new X509Certificate(readFileSync(SUPABASE_ROOT_CA_FILE));
  assert.is(shipped.fingerprint256, SUPABASE_ROOT_CA_SHA256);
  assert.match(shipped.subject, /CN=Supabase Root 2021 CA/);
  assert.is(shipped.issuer, shipped.subject);
  assert.ok(shipped.ca);
  const roots = trustedCertificates();
  const fingerprints = roots.map((pem) => new X509Certificate(pem).fingerprint256);
  assert.ok(fingerprints.includes(SUPABASE_ROOT_CA_SHA256));
  assert.is(roots.length, tls.rootCertificates.length + 1, 'Node\'s default roots stay trusted');
  const extra = readFileSync(SUPABASE_ROOT_CA_FILE, 'utf8'); // any CA will do
  assert.is(trustedCertificates(extra).length, roots.length + 1);
  assert.is(trustedCertificates(extra).at(-1), extra);
});

test('startup options only on a direct connection; LISTEN refuses a transaction pooler and uses the session URL', () => {
  const purpose = { applicationName: 'test', startupOptions: '-c role=authenticated' };
  const direct = connectionConfig('postgres://u:p@db.abc.supabase.co:5432/postgres', purpose);
  assert.is(direct.mode, 'direct');
  assert.is(direct.config.options, '-c role=authenticated');
  const session = connectionConfig('postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres', purpose);
  assert.is(session.mode, 'session');
  assert.is(session.startupOptions, false);
  assert.is(session.config.options, undefined);
  const target = { url: 'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres', poolMode: 'transaction' as const, sessionUrl: 'postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres' };
  assert.is(connectionConfig(target, purpose).config.options, undefined);
  const listen = connectionConfig(target, { applicationName: 'listener', session: true });
  assert.match(String(listen.config.connectionString), /:5432\//);
  assert.is(listen.mode, 'session');
  assert.throws(() => connectionConfig({ ...target, sessionUrl: target.url }, { applicationName: 'listener', session: true }), /DATABASE_LISTEN_URL/);
  assert.is(connectionConfig(target, purpose).config.application_name, 'test');
});

test.run();
