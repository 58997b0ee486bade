/**
 * The TLS options of src/db/tls.ts against a real TLS listener: PgBouncer serving
 * clients over TLS with a certificate for `localhost` from a CA made here (openssl).
 * The connection verifies the chain (the test CA given as DATABASE_CA would be) and the
 * host name, and a local URL without sslmode stays plain text.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import * as assert from 'uvu/assert';
import { connectionConfig, targetFromUrl } from '../../src/db/connection.js';
import { serverUrl } from '../helpers/database.js';
import { needingPgBouncer, pgbouncerPath, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { databaseSuite } from '../helpers/suite.js';

const run = promisify(execFile);
const test = databaseSuite<{ dir: string; ca: string; bouncer: PgBouncer }>('database TLS against a TLS listener');
const poolerTest = needingPgBouncer(test);

test.before(async (ctx) => {
  if (!pgbouncerPath) return;
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'guardian-tls-'));
  const file = (name: string) => path.join(ctx.dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2', '-subj', '/CN=Guardian Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  await writeFile(file('server.ext'), 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('server.crt'), '-days', '2', '-extfile', file('server.ext')]);
  if (userInfo().uid === 0) {
    // PgBouncer runs as postgres when we are root: its key must be readable by it.
    const [, , uid, gid] = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'))!.split(':');
    for (const name of ['', 'server.crt', 'server.key']) await chown(path.join(ctx.dir, name), Number(uid), Number(gid));
  }
  ctx.ca = await readFile(file('ca.crt'), 'utf8');
  ctx.bouncer = await startPgBouncer({ serverUrl: serverUrl(), mode: 'session', tls: { certFile: file('server.crt'), keyFile: file('server.key') } });
});

test.after(async (ctx) => {
  await ctx.bouncer?.stop();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

/** Connects with Guardian's options for `url`; the socket it got, or the error. */
async function connect(url: string, ca?: string): Promise<TLSSocket | false | Error> {
  const client = new pg.Client(connectionConfig(targetFromUrl(url, ca), { applicationName: 'tls-test' }).config);
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    const stream = (client as unknown as { connection: { stream: unknown } }).connection.stream;
    return stream instanceof TLSSocket ? stream : false;
  } catch (error) {
    return error as Error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

poolerTest('sslmode=verify-full with the server\'s CA given (DATABASE_CA): an encrypted, verified connection', async (ctx) => {
  const socket = await connect(`${ctx.bouncer.url(ctx.db.name, 'localhost')}?sslmode=verify-full`, ctx.ca);
  assert.ok(socket instanceof TLSSocket, String(socket));
  assert.is((socket as TLSSocket).authorized, true);
});

poolerTest('a CA nobody gave is not trusted: the connection is refused, never made unverified', async (ctx) => {
  for (const mode of ['require', 'verify-ca', 'verify-full']) {
    const result = await connect(`${ctx.bouncer.url(ctx.db.name, 'localhost')}?sslmode=${mode}`);
    assert.instance(result, Error, mode);
    assert.match((result as Error).message, /self[- ]signed|unable to (verify|get local issuer)/i, mode);
  }
});

poolerTest('the host name is verified too (even for sslmode=require): a certificate for localhost does not do for 127.0.0.1', async (ctx) => {
  const result = await connect(`${ctx.bouncer.url(ctx.db.name, '127.0.0.1')}?sslmode=require`, ctx.ca);
  assert.instance(result, Error);
  assert.match((result as Error).message, /not in the cert's list|does not match|altnames/i);
});

poolerTest('a local URL without sslmode is plain text (this listener requires TLS, so it refuses)', async (ctx) => {
  const result = await connect(ctx.bouncer.url(ctx.db.name, 'localhost'), ctx.ca);
  assert.instance(result, Error);
  assert.match((result as Error).message, /SSL|TLS|ssl/);
});

test.run();
