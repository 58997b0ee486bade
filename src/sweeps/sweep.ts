/**
 * A periodic sweep: maintenance that no event triggers (a lease expiring, a day
 * passing, an upload stranded by a crash). The list of them is ./index.ts; this
 * module runs them. A sweep's own work only does and counts; logging and the
 * never-throw rule live here once, so every sweep reports the same way.
 */
import { errorForLog, type Logger } from '../log.js';

export interface SweepWork {
  /** What the sweep did, for the log and the cron job's summary; all zero when nothing was due. */
  counts: Record<string, number>;
  /** The sweep made jobs due that no NOTIFY announces (a rescued lease): the worker should look at once. */
  wake?: boolean;
}

export interface PeriodicSweep {
  /** lower_snake, stable: it names the sweep in logs and in the cron job's summary. */
  readonly name: string;
  readonly everyMs: number;
  /** The long-running process that runs it on a timer. */
  readonly runsIn: 'api' | 'worker';
  /**
   * Whether the cron job runs it too. True for every sweep of the shared database, so
   * maintenance goes on while no worker is up; false for a sweep of one process's own
   * disk, which another process cannot see.
   */
  readonly inCron: boolean;
  run(): Promise<SweepWork>;
}

export interface SweepOutcome {
  name: string;
  ok: boolean;
  counts: Record<string, number>;
  wake: boolean;
}

/** Runs one sweep; logs what it did (only when it did something) or why it failed; never throws. */
export async function runSweep(sweep: PeriodicSweep, log: Logger): Promise<SweepOutcome> {
  try {
    const work = await sweep.run();
    if (Object.values(work.counts).some((count) => count > 0)) log.info({ sweep: sweep.name, ...work.counts }, 'sweep did work');
    return { name: sweep.name, ok: true, counts: work.counts, wake: work.wake ?? false };
  } catch (error) {
    // A failed sweep is retried on its next tick (or the next cron run).
    log.warn({ sweep: sweep.name, err: errorForLog(error) }, 'sweep failed');
    return { name: sweep.name, ok: false, counts: {}, wake: false };
  }
}

/**
 * Runs each sweep at once, then every `everyMs`. A sweep still running when its next
 * tick comes is not started twice: on a slow database, overlapping runs would only
 * contend for the same rows. `stop` waits for runs in flight, so a process shutting
 * down closes its pool after them, not under them.
 */
export function startSweeps(
  sweeps: readonly PeriodicSweep[],
  log: Logger,
  onOutcome: (outcome: SweepOutcome) => void = () => {},
): { stop(): Promise<void> } {
  const inFlight = new Map<PeriodicSweep, Promise<void>>();
  const tick = (sweep: PeriodicSweep) => {
    if (inFlight.has(sweep)) return;
    inFlight.set(sweep, runSweep(sweep, log).then(onOutcome).finally(() => inFlight.delete(sweep)));
  };
  const timers = sweeps.map((sweep) => {
    tick(sweep);
    const timer = setInterval(() => tick(sweep), sweep.everyMs);
    timer.unref();
    return timer;
  });
  return {
    async stop() {
      timers.forEach(clearInterval);
      await Promise.all(inFlight.values());
    },
  };
}
