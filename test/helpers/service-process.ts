/**
 * Guardian's own entry points (`src/api.ts`, `src/worker.ts`, `src/main.ts`) as child
 * processes, configured from the environment exactly as Render or `npm start` runs
 * them, for tests that must watch a whole process survive (or not) what is done to it;
 * and any command line run the way Render runs a start command (`startCommandLine`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../src/config.js';
import { mintToken } from '../../src/auth/tokens.js';

import path from 'node:path';
import { config } from './database.js';
import { poolModeEnv } from './pooled-run.js';

export interface ServiceProcess {
  child: ChildProcess;
  /** JSON log lines seen so far (objects), newest last. */
  logs: Record<string, unknown>[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the first log line for which `match` holds. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited, with its code (null when a signal ended it). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Still running (no exit, no signal). */
  alive(): boolean;
  stop(): Promise<void>;
}

export function startService(entry: 'api' | 'worker' | 'main', env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(config.projectRoot, 'src', `${entry}.ts`)], {
    cwd: config.projectRoot,
    // Only what the test gives (and PATH): nothing of the runner's own settings leaks in.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...poolModeEnv(env.DATABASE_URL), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(entry, child, { group: false, echoStderr: true });
}

/**
 * `commandLine` through `/bin/sh -c`, as Render runs a start command, with exactly `env`
 * (the caller passes PATH if the command needs one), in its own process group so that
 * stop() reaches every process of it. A single command is exec'd in place of the shell
 * (as bash does by itself; dash does not), so its signals and exit code are its own.
 * `echoStderr: false` for a process expected to fail: its message is read from stderr()
 * instead of cluttering the output.
 */
export function startCommandLine(
  label: string,
  commandLine: string,
  options: { cwd: string; env: Record<string, string>; echoStderr?: boolean },
): ServiceProcess {
  const single = !/[;&|()`\n]/.test(commandLine);
  const child = spawn('/bin/sh', ['-c', single ? `exec ${commandLine}` : commandLine], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return watch(label, child, { group: true, echoStderr: options.echoStderr ?? true });
}

function watch(label: string, child: ChildProcess, options: { group: boolean; echoStderr: boolean }): ServiceProcess {
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }>();
  let buffered = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const text of lines) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      // Request lines are many and say nothing a test waits for: keep the rest.
      if (line.msg !== 'request') logs.push(line);
      for (const waiter of waiters) if (waiter.match(line)) waiter.resolve(line);
    }
  });
  // An uncaught exception is printed on stderr: shown, so a failing test says why.
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (options.echoStderr) process.stderr.write(`[${label} ${child.pid}] ${chunk.toString()}`);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const signal = (name: NodeJS.Signals) => {
    try {
      if (options.group && child.pid !== undefined) process.kill(-child.pid, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitForLog(match, timeoutMs = 60_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (line: Record<string, unknown>) => { cleanup(); resolve(line); } };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`${label}: no matching log line within ${timeoutMs} ms`)); }, timeoutMs);
        const onExit = () => { cleanup(); reject(new Error(`${label} exited (code ${child.exitCode}, signal ${child.signalCode}) before the log line`)); };
        const cleanup = () => { clearTimeout(timer); waiters.delete(waiter); child.off('exit', onExit); };
        waiters.add(waiter);
        child.once('exit', onExit);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The port an api logged at start (`api listening`). */
export async function listeningPort(service: ServiceProcess): Promise<number> {
  const line = await service.waitForLog((l) => typeof l.port === 'number' && typeof l.msg === 'string' && l.msg.startsWith('api listening'));
  return line.port as number;
}

/**
 * `npm run api` and `npm run worker` as Render runs them (separate processes) on one
 * database: a signing secret of their own, a storage folder, rate limits out of the way of
 * one user's test traffic, plus `settings` (DATABASE_URL and whatever the test is about).
 * Resolves once both are up, with the api's address and tokens it accepts.
 */
export async function startApiAndWorker(
  services: ServiceProcess[],
  settings: Record<string, string>,
): Promise<{ base: string; tokenFor(userId: string): Promise<string> }> {
  const secret = randomBytes(32).toString('hex');
  const env = {
    PORT: '0',
    SUPABASE_JWT_SECRET: secret,
    STORAGE_DIR: await mkdtemp(path.join(tmpdir(), 'guardian-services-')),
    RATE_LIMIT_PER_USER_PER_MINUTE: '100000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
    UPLOAD_RATE_LIMIT_PER_USER_PER_MINUTE: '10000',
    ...settings,
  };
  const api = startService('api', env);
  const worker = startService('worker', env);
  services.push(api, worker);
  const base = `http://127.0.0.1:${await listeningPort(api)}`;
  await worker.waitForLog((line) => line.msg === 'worker started');
  const auth = loadConfig({ SUPABASE_JWT_SECRET: secret }).auth;
  return { base, tokenFor: (userId) => mintToken(auth, { userId, expiresInSeconds: 600 }) };
}
