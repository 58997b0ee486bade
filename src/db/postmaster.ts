/**
 * A Postgres cluster as its data folder describes it: the postmaster.pid file Postgres
 * keeps while it runs names the server's process, its port and its state. This is what
 * finds a cluster an earlier run left behind, and what stops it without a handle on the
 * process that started it (as `pg_ctl stop` does, with no need to run as its user).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface Postmaster {
  pid: number;
  port: number;
  /** "starting", "ready", "stopping" or "standby" (Postgres 10+ writes it once known). */
  status: string | undefined;
}

/** Whether a process with this id exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (the postgres user, when we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live postmaster of this data folder, if any; a file left by a crash (its process gone) is none. */
export async function runningPostmaster(dataDir: string): Promise<Postmaster | undefined> {
  const pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (!pidFile) return undefined;
  const lines = pidFile.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  return processAlive(pid) ? { pid, port, status: lines[7]?.trim() || undefined } : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops a postmaster with a fast shutdown (SIGINT: sessions end, the cluster is left
 * consistent), then an immediate one (SIGQUIT) if it is still up after `timeoutMs`.
 * Resolves once the process is gone.
 */
export async function stopPostmaster(pid: number, timeoutMs = 30_000): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  signal('SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      signal('SIGQUIT');
      break;
    }
    await sleep(50);
  }
  while (processAlive(pid)) await sleep(50);
}
