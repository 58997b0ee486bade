/**
 * A real connection pooler for tests and benches: Debian's PgBouncer (1.18 here, the
 * `pgbouncer` package; .ci/run installs it) started on a free port with a generated
 * configuration in a temporary folder, in session or transaction mode, in front of the
 * test server. Like Supavisor it refuses startup options (`-c role=…`: "unsupported
 * startup parameter: options") and, in transaction mode, has no prepared statements and
 * lends a server connection for one transaction only, without resetting it: whatever a
 * client leaves in a session reaches the next one, which is what the tests look for.
 *
 * `[databases] * = …` passes every database name through (each test file has its own
 * database), logging in to the server as the test server's user with its password;
 * clients are not authenticated (auth_type any), the listener is on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Test } from 'uvu';
import { access, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/db/embedded-postgres.js';

export type PgBouncerMode = 'session' | 'transaction';

export interface PgBouncer {
  mode: PgBouncerMode;
  /** host:port, as pool modes are declared (src/db/connection.ts declarePoolMode). */
  address: string;
  port: number;
  /** A URL for `database` through the pooler (add ?sslmode=… for the TLS listener). */
  url(database: string, host?: string): string;
  /** What PgBouncer printed (warnings, refusals): for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** The Postgres to pool (the test server: DATABASE_URL or the embedded one). */
  serverUrl: string;
  mode: PgBouncerMode;
  /** Server connections per database (default_pool_size); small values make clients share them. */
  poolSize?: number;
  /** Serve clients over TLS with this certificate (client_tls_sslmode = require). */
  tls?: { certFile: string; keyFile: string };
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/**
 * Where Debian's pgbouncer is, if installed. Suites that need it are skipped with a notice
 * without it, as the browser test is without Chromium, so `npm test` on a fresh machine
 * stays green; .ci/run installs it, so CI always runs them.
 */
export const pgbouncerPath: string | undefined = CANDIDATES.find((file) => existsSync(file));
let noticed = false;

/** `test` when pgbouncer is installed, else `test.skip` (and one notice). Guard the suite's hooks with pgbouncerPath. */
export function needingPgBouncer<T>(test: Test<T>): (name: string, handler: (context: T) => Promise<void> | void) => void {
  if (pgbouncerPath) return test;
  if (!noticed) console.log('  (PgBouncer tests skipped: no pgbouncer here; apt-get install pgbouncer)');
  noticed = true;
  return test.skip;
}

async function binary(): Promise<string> {
  for (const file of CANDIDATES) {
    if (await access(file).then(() => true, () => false)) return file;
  }
  throw new Error('pgbouncer is not installed: `apt-get install -y pgbouncer` (Debian\'s package; .ci/run installs it)');
}

/** A value in a PgBouncer/libpq connection string: quoted, with \ and ' escaped. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Postgres refuses root and so does PgBouncer: as root it runs as `postgres` (-u), which must read the folder. */
async function postgresUser(): Promise<{ name: string; uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const { readFile } = await import('node:fs/promises');
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and there is no postgres user for pgbouncer to run as');
  const [, , uid, gid] = line.split(':');
  return { name: 'postgres', uid: Number(uid), gid: Number(gid) };
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const executable = await binary();
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-pgbouncer-'));
  const runAs = await postgresUser();
  const target = [`host=${server.hostname.replace(/^\[(.*)\]$/, '$1')}`, `port=${server.port || '5432'}`, `user=${quoted(user)}`];
  if (password) target.push(`password=${quoted(password)}`);
  const lines = [
    '[databases]',
    `* = ${target.join(' ')}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = any',
    `pool_mode = ${options.mode}`,
    'max_client_conn = 2000',
    `default_pool_size = ${options.poolSize ?? 50}`,
    'server_reset_query = DISCARD ALL',
    // Logs to stderr, which is kept for failure messages.
    'logfile =',
    'pidfile =',
    'log_connections = 0',
    'log_disconnections = 0',
  ];
  if (options.tls) {
    lines.push('client_tls_sslmode = require', `client_tls_cert_file = ${options.tls.certFile}`, `client_tls_key_file = ${options.tls.keyFile}`);
  }
  const ini = path.join(dir, 'pgbouncer.ini');
  await writeFile(ini, `${lines.join('\n')}\n`, { mode: 0o600 });
  if (runAs) {
    await chmod(dir, 0o700);
    await chown(dir, runAs.uid, runAs.gid);
    await chown(ini, runAs.uid, runAs.gid);
  }
  const child: ChildProcess = spawn(executable, [...(runAs ? ['-u', runAs.name] : []), ini], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const url = (database: string, host = '127.0.0.1') => `postgres://${encodeURIComponent(user)}@${host}:${port}/${encodeURIComponent(database)}`;
  const bouncer: PgBouncer = {
    mode: options.mode,
    address,
    port,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM'); // PgBouncer's immediate shutdown
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await answering(bouncer, decodeURIComponent(server.pathname.slice(1)) || 'postgres', child, options.tls !== undefined);
  } catch (error) {
    await bouncer.stop();
    throw error;
  }
  return bouncer;
}

/** Polls until a query through the pooler answers (PgBouncer starts in a few ms), or the process died. */
async function answering(bouncer: PgBouncer, database: string, child: ChildProcess, tls: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`pgbouncer exited at start:\n${bouncer.output()}`);
    // The TLS listener is checked without verification: this only asks whether it answers.
    const client = new pg.Client({ connectionString: bouncer.url(database), ssl: tls ? { rejectUnauthorized: false } : false });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`pgbouncer did not answer within 10 s (${(error as Error).message}):\n${bouncer.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
