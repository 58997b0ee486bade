/**
 * Every consumer the worker process runs. Each pipeline lives in its own folder
 * (documents/, journey/, decision-support/, fhir/) and is registered here. Jobs of
 * types not registered yet (the journey and rules jobs the triggers record) wait,
 * durably, in the queue.
 */
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Consumer } from '../events/consumer.js';
import { createExtractor, createOcr, createStorage } from '../providers/index.js';
import { processDocumentConsumer } from './documents/process-document.js';

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
  ];
}
