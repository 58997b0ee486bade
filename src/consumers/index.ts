/**
 * Every consumer the worker process runs, and the pipelines' periodic sweeps. Each
 * pipeline lives in its own folder (documents/, journey/, decision-support/) and is
 * registered here.
 */
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Consumer } from '../events/consumer.js';
import type { Logger } from '../log.js';
import { createExtractor, createOcr, createStorage } from '../providers/index.js';
import { decisionSupportConsumer } from './decision-support/consumer.js';
import { dailySweep } from './decision-support/daily-sweep.js';
import { processDocumentConsumer } from './documents/process-document.js';
import { strandedUploadSweep } from './documents/requeue-stranded.js';
import { journeyConsumer } from './journey/consumer.js';

export async function registeredConsumers(deps: { config: Config; pool: Pool }): Promise<Consumer[]> {
  const { config, pool } = deps;
  return [
    processDocumentConsumer({
      pool,
      storage: createStorage(config),
      ocr: await createOcr(config),
      extractor: await createExtractor(config),
      settings: config.documents,
    }),
    journeyConsumer({ pool }),
    decisionSupportConsumer({ pool }),
  ];
}

/**
 * The daily rules sweep, checked hourly: it claims the UTC day in the database, so
 * however many workers (and the cron job) try, it runs once a day, within an hour of
 * midnight UTC when a worker is up. And every minute, uploads left without a job.
 */
export function periodicSweeps(deps: { pool: Pool; log: Logger }): { everyMs: number; run: () => Promise<unknown> }[] {
  return [
    { everyMs: 60 * 60 * 1000, run: () => dailySweep(deps.pool, deps.log) },
    { everyMs: 60 * 1000, run: () => strandedUploadSweep(deps.pool, deps.log) },
  ];
}
