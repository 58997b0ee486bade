/**
 * Graceful shutdown: on SIGINT (Ctrl-C), SIGTERM (Render) or SIGHUP (the terminal was
 * closed) run the registered steps in reverse order of registration (stop taking
 * requests, then close the pool, then stop the embedded Postgres), each bounded, then
 * exit. Render sends SIGTERM and waits 30 s. A second signal, a second or more after the
 * first, exits at once (the exit hook of the embedded Postgres still asks it to stop).
 */
import type { Logger } from './log.js';

type Step = { name: string; run: () => Promise<unknown> };

/**
 * One Ctrl-C reaches every process of the terminal's foreground group, and the launchers
 * (npm, tsx) relay it as well: the same keypress arrives two or three times within
 * milliseconds. Only a signal after this long is a second request.
 */
const SAME_SIGNAL_MS = 1000;

export interface Shutdown {
  /** Registers a step; the last registered runs first. */
  (name: string, run: () => Promise<unknown>): void;
  /**
   * Start-up failed in a way a person can fix: runs the steps registered so far, then
   * prints `message` as the last line on stderr (after the shutdown's own lines, so it is
   * the one seen) and exits 1.
   */
  fail(message: string): Promise<never>;
}

export function installShutdown(log: Logger, graceMs = 25_000): Shutdown {
  const steps: Step[] = [];
  let startedAt: number | undefined;
  const shutdown = async (reason: string, failure?: string) => {
    if (startedAt !== undefined) {
      if (Date.now() - startedAt < SAME_SIGNAL_MS) return;
      log.warn({ signal: reason }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    startedAt = Date.now();
    log.info(failure ? { reason } : { signal: reason }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ grace_ms: graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    let code = failure ? 1 : 0;
    for (const step of steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        code = 1;
        log.error({ step: step.name, err: { message: (error as Error).message } }, 'shutdown step failed');
      }
    }
    log.info('stopped');
    if (failure) process.stderr.write(`${failure}\n`);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));
  const register = (name: string, run: () => Promise<unknown>) => void steps.push({ name, run });
  return Object.assign(register, {
    fail: async (message: string): Promise<never> => {
      await shutdown('start_failed', message);
      throw new Error('unreachable: shutdown exits');
    },
  });
}
