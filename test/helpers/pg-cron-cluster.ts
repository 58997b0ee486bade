/**
 * A PostgreSQL 15 cluster of a test's own with pg_cron running in it, as on Supabase:
 * Debian's binaries (postgresql-15 and postgresql-15-cron; .ci/run installs the
 * latter), `shared_preload_libraries = 'pg_cron'`, `cron.database_name` its `postgres`
 * database, on a free port on 127.0.0.1 with its unix socket in its temporary folder.
 * The machine's own server does not preload pg_cron (a server-wide setting that needs
 * a restart), hence a cluster per suite. pg_cron's launcher runs each job over a libpq
 * connection to `cron.host`: here the cluster's socket folder, trusted like its TCP
 * listener, which only answers on the loopback interface.
 *
 * Postgres refuses to run as root, so as root the cluster belongs to the `postgres` OS
 * user (runuser), who must own the folder.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'uvu';
import { freePort } from '../../src/db/embedded-postgres.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const PG_CRON_LIBRARY = '/usr/lib/postgresql/15/lib/pg_cron.so';
const PG_CRON_CONTROL = '/usr/share/postgresql/15/extension/pg_cron.control';

/** Whether Debian's PostgreSQL 15 and its pg_cron package are installed here. */
export const pgCronInstalled: boolean = [path.join(BIN, 'initdb'), path.join(BIN, 'pg_ctl'), PG_CRON_LIBRARY, PG_CRON_CONTROL].every((file) =>
  existsSync(file),
);
let noticed = false;

/**
 * `test` where pg_cron can run here, else `test.skip` (and one notice), so `npm test` on
 * a fresh machine stays green; CI installs the package, so there they always run.
 * Guard the suite's hooks with pgCronInstalled.
 */
export function needingPgCron<T>(test: Test<T>): (name: string, handler: (context: T) => Promise<void> | void) => void {
  if (pgCronInstalled) return test;
  if (!noticed) console.log('  (pg_cron tests skipped: no PostgreSQL 15 with pg_cron here; apt-get install postgresql-15-cron)');
  noticed = true;
  return test.skip;
}

export interface PgCronCluster {
  /** The `postgres` database, where pg_cron keeps its jobs: connected as the superuser `postgres`. */
  url: string;
  /** The server's log, for a failing test's message. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and there is no postgres user to own the pg_cron test cluster');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPgCronCluster(): Promise<PgCronCluster> {
  if (!pgCronInstalled) throw new Error('PostgreSQL 15 with pg_cron is not installed: apt-get install -y postgresql-15-cron');
  const owner = await postgresUser();
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-pg-cron-'));
  if (owner) await chown(dir, owner.uid, owner.gid);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const asOwner = (file: string, args: string[]) => (owner ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args));
  const port = await freePort();
  const settings = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${dir}'`,
    `shared_preload_libraries = 'pg_cron'`,
    `cron.database_name = 'postgres'`,
    `cron.host = '${dir}'`,
    // A test cluster: nothing in it must survive a crash.
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
  ];
  const stop = async () => {
    await asOwner(path.join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await asOwner(path.join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const conf = path.join(data, 'postgresql.conf');
    await writeFile(conf, `${await readFile(conf, 'utf8')}\n${settings.join('\n')}\n`);
    await asOwner(path.join(BIN, 'pg_ctl'), ['-D', data, '-l', logFile, '-w', '-t', '60', 'start']);
  } catch (error) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    throw new Error(`the pg_cron test cluster did not start: ${(error as Error).message}\n${log}`);
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    stop,
  };
}
