/**
 * Keeping the leases of the jobs a worker holds (running or buffered). A job whose
 * lease was lost (the worker stalled past it and another worker took the job over) is
 * dropped and its run aborted: its result must not be acknowledged.
 */
import type { Logger } from '../log.js';
import type { LazyAbort } from './lazy-abort.js';
import type { Job, Queryable } from './queue/job.js';
import { heartbeatJobs } from './queue/lease.js';

/** A worker's lane for one job type, as far as leases go. */
export interface LeaseHolder {
  consumer: { type: string };
  held: Map<string, Job>;
  running: Map<string, LazyAbort>;
}

/** One heartbeat per job type; a failing heartbeat is logged and retried at the next beat. */
export async function renewLeases(pool: Queryable, workerId: string, holders: Iterable<LeaseHolder>, leaseMs: number, log: Logger): Promise<void> {
  for (const holder of holders) {
    const ids = [...holder.held.keys()];
    if (ids.length === 0) continue;
    try {
      const kept = await heartbeatJobs(pool, workerId, ids, leaseMs);
      for (const id of ids) {
        if (kept.has(id) || !holder.held.has(id)) continue;
        holder.held.delete(id);
        holder.running.get(id)?.abort(new Error('lease lost'));
        log.warn({ job_id: id, type: holder.consumer.type }, 'lease lost; job abandoned to its new holder');
      }
    } catch (error) {
      log.warn({ err: { message: (error as Error).message } }, 'heartbeat failed');
    }
  }
}
