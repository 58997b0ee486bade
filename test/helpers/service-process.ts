/**
 * Guardian's own entry points (`src/api.ts`, `src/worker.ts`, `src/main.ts`) as child
 * processes, configured from the environment exactly as Render or `npm start` runs
 * them, for tests that must watch a whole process survive (or not) what is done to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { config } from './database.js';
import { poolModeEnv } from './pooled-run.js';

export interface ServiceProcess {
  child: ChildProcess;
  /** JSON log lines seen so far (objects), newest last. */
  logs: Record<string, unknown>[];
  /** Resolves with the first log line for which `match` holds. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
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
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }>();
  let buffered = '';
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
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${entry} ${child.pid}] ${chunk.toString()}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    logs,
    alive: () => child.exitCode === null && child.signalCode === null,
    waitForLog(match, timeoutMs = 60_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (line: Record<string, unknown>) => { cleanup(); resolve(line); } };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`${entry}: no matching log line within ${timeoutMs} ms`)); }, timeoutMs);
        const onExit = () => { cleanup(); reject(new Error(`${entry} exited (code ${child.exitCode}, signal ${child.signalCode}) before the log line`)); };
        const cleanup = () => { clearTimeout(timer); waiters.delete(waiter); child.off('exit', onExit); };
        waiters.add(waiter);
        child.once('exit', onExit);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
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
