/**
 * The `evaluate_rules` consumer: queued by the derived-job triggers after clinical
 * changes (debounced per profile like the journey) and by the daily sweep for rules
 * that fire with time alone.
 */
import { z } from 'zod';
import type { Pool } from '../../db/pool.js';
import { defineConsumer, type Consumer } from '../../events/consumer.js';
import { JOB_TYPES } from '../../events/job-types.js';
import { evaluateProfile } from './evaluate-profile.js';



const payload = z.object({ profile_id: z.uuid() });

export function decisionSupportConsumer(deps: { pool: Pool; concurrency?: number }): Consumer {
  return defineConsumer({
    type: JOB_TYPES.evaluateRules,
    concurrency: deps.concurrency ?? 2,
    payload,
    orderingKey: (job) => job.payload.profile_id,
    async handle(job, { log }) {
      const result = await evaluateProfile(deps.pool, job.payload.profile_id, { log });
      // Counts only: which alerts (their rules and summaries) is the profile's business.
      if (result && result.opened > 0) log.info({ profile_id: job.payload.profile_id, opened: result.opened, resolved: result.resolved }, 'alerts opened');
      // Counts and rule keys only: the job's result is visible to operators.
      return result ?? { skipped: 'profile_deleted' };
    },
  });
}
