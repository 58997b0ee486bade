/**
 * Writing a batch of job acknowledgements (complete, fail) so a short database outage
 * does not lose them.
 */
import type { Logger } from '../log.js';

/**
 * Acknowledgements retry through short outages: 6 tries, 0.1, 0.2, 0.4, 0.8 and 1.6 s apart (~3 s).
 * If the database stays away, the jobs are left to their leases: they run again, which
 * idempotent consumers allow.
 */
export async function acknowledgeWithRetry(what: string, write: () => Promise<void>, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= 5) {
        log.error({ err: { message: (error as Error).message }, what }, 'giving up on acknowledgement; leases will expire and the jobs rerun');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 100 * 2 ** attempt)));
    }
  }
}
