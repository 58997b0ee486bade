/**
 * The division of work between the Render cron job and the database's own scheduler:
 * where the server offers pg_cron (Supabase does), a migration schedules jobs there,
 * and the cron job skips each sweep whose pg_cron job is active, so the same work is
 * not done twice every five minutes. Where pg_cron is absent, or the question cannot
 * be answered, the cron job runs every sweep itself: the sweeps are safe to overlap,
 * so doing the work twice is the lesser harm than not doing it.
 */
import type { Queryable } from '../events/queue/job.js';
import { errorForLog, type Logger } from '../log.js';
import type { PeriodicSweep } from './sweep.js';

/**
 * Names of this database's active pg_cron jobs, visible to the current role (pg_cron
 * shows each role its own jobs). Empty where pg_cron is not installed.
 */
export async function activePgCronJobs(db: Queryable): Promise<Set<string>> {
  const { rows: installed } = await db.query<{ present: boolean }>(`select to_regclass('cron.job') is not null as present`);
  if (!installed[0]?.present) return new Set();
  const { rows } = await db.query<{ jobname: string }>(
    `select jobname from cron.job where active and jobname is not null and database = current_database()`,
  );
  return new Set(rows.map((r) => r.jobname));
}

export interface CronShare {
  /** The sweeps the cron job runs. */
  run: PeriodicSweep[];
  /** Sweeps left to the database: sweep name → the pg_cron job doing its work. */
  inDatabase: Record<string, string>;
}

/** The cron job's share of `sweeps` (those with inCron), less the ones pg_cron does. */
export async function cronShare(sweeps: readonly PeriodicSweep[], db: Queryable, log: Logger): Promise<CronShare> {
  const candidates = sweeps.filter((sweep) => sweep.inCron);
  let active = new Set<string>();
  try {
    active = await activePgCronJobs(db);
  } catch (error) {
    log.warn({ err: errorForLog(error) }, 'could not read the pg_cron jobs: running every sweep');
  }
  const inDatabase: Record<string, string> = {};
  const run: PeriodicSweep[] = [];
  for (const sweep of candidates) {
    if (sweep.pgCronJob && active.has(sweep.pgCronJob)) inDatabase[sweep.name] = sweep.pgCronJob;
    else run.push(sweep);
  }
  return { run, inDatabase };
}
