/**
 * The `recompute_journey` consumer. The derived-job triggers queue one pending job
 * per changed profile, due a second after the first change, so a document's burst of
 * records is one recompute; the job drains whatever changes have accumulated.
 */
import { z } from 'zod';
import type { Pool } from '../../db/pool.js';
import { defineConsumer, type Consumer } from '../../events/consumer.js';
import { JOB_TYPES } from '../../events/job-types.js';
import { recomputeJourney } from './recompute.js';



const payload = z.object({ profile_id: z.uuid() });

export function journeyConsumer(deps: { pool: Pool; concurrency?: number }): Consumer {
  return defineConsumer({
    type: JOB_TYPES.recomputeJourney,
    // Short database-bound transactions; more than the pool's share would only queue.
    concurrency: deps.concurrency ?? 4,
    payload,
    orderingKey: (job) => job.payload.profile_id,
    async handle(job) {
      return recomputeJourney(deps.pool, job.payload.profile_id);
    },
  });
}
