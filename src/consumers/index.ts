/**
 * Every consumer the worker process runs. Each pipeline lives in its own folder
 * (documents/, journey/, decision-support/) and is registered here.
 */
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Consumer } from '../events/consumer.js';
import { createExtractor, createOcr, createStorage } from '../providers/index.js';
import { decisionSupportConsumer } from './decision-support/consumer.js';
import { processDocumentConsumer } from './documents/process-document.js';
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
