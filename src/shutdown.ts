/**
 * Graceful shutdown: on SIGINT or SIGTERM run the registered steps in reverse order
 * of registration (stop taking requests, then close the pool, then stop the
 * embedded Postgres), each bounded, then exit. Render sends SIGTERM and waits 30 s.
 */
import type { Logger } from './log.js';

type Step = { name: string; run: () => Promise<unknown> };

export function installShutdown(log: Logger, graceMs = 25_000): (name: string, run: () => Promise<unknown>) => void {
  const steps: Step[] = [];
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ grace_ms: graceMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    let code = 0;
    for (const step of steps.reverse()) {
      try {
        await step.run();
      } catch (error) {
        code = 1;
        log.error({ step: step.name, err: { message: (error as Error).message } }, 'shutdown step failed');
      }
    }
    log.info('stopped');
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return (name, run) => steps.push({ name, run });
}
