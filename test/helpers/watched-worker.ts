/**
 * `npm run worker`'s own entry point (src/worker.ts) in a child process, with its
 * memory read from /proc (Linux): VmHWM is the kernel's exact peak RSS, so no spike
 * between two samples is missed. The child is killed once its RSS passes `killAtMb`,
 * so a memory regression ends quickly instead of taking the machine's memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface WatchedWorker {
  child: ChildProcess;
  /** The highest VmHWM seen, in MB (0 until the first reading). */
  peakMb(): number;
  /** True once the child has exited or was killed. */
  exited(): boolean;
  /** True when it was killed for passing `killAtMb`. */
  killedForMemory(): boolean;
  /** Reads the peak one last time, then ends the child (SIGTERM, SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number>;
}

/** kB figures of /proc/<pid>/status, in MB; undefined once the process is gone or being reaped. */
function memoryMb(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
    const memory = { rss: mb('VmRSS'), peak: mb('VmHWM') };
    return memory.rss >= 0 && memory.peak >= 0 ? memory : undefined;
  } catch {
    return undefined;
  }
}

export function startWatchedWorker(options: { projectRoot: string; env: NodeJS.ProcessEnv; killAtMb: number }): WatchedWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(options.projectRoot, 'src', 'worker.ts')], {
    cwd: options.projectRoot,
    env: options.env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  let killed = false;
  const read = () => {
    const memory = child.pid === undefined ? undefined : memoryMb(child.pid);
    if (!memory) return;
    peak = Math.max(peak, memory.peak);
    if (memory.rss > options.killAtMb && !killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  const watch = setInterval(read, 20);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  child.once('exit', () => clearInterval(watch));
  return {
    child,
    peakMb: () => peak,
    exited,
    killedForMemory: () => killed,
    async stop(graceMs = 5000) {
      read();
      clearInterval(watch);
      if (!exited()) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await gone;
        clearTimeout(timer);
      }
      return peak;
    },
  };
}
