/**
 * The whole loop of `npm start` for a test: the api on a free port with the realtime
 * gateway on the same server, and a worker running the document, journey and
 * decision-support consumers (local OCR and extraction) on the suite's database.
 */
import { loadConfig, type AuthSettings } from '../../src/config.js';
import { decisionSupportConsumer } from '../../src/consumers/decision-support/consumer.js';
import { processDocumentConsumer } from '../../src/consumers/documents/process-document.js';
import { journeyConsumer } from '../../src/consumers/journey/consumer.js';
import { Worker } from '../../src/events/worker.js';
import { createDemoSignIn } from '../../src/http/demo-sign-in.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { LocalExtractor } from '../../src/providers/extraction/local-extractor.js';
import { LocalOcr } from '../../src/providers/ocr/local-ocr.js';
import { terminateTesseract } from '../../src/providers/ocr/tesseract.js';
import type { LocalStorage } from '../../src/providers/storage/local-storage.js';
import { startRealtime } from '../../src/realtime/start-realtime.js';
import { testAppDeps } from './api.js';
import { testSettings } from './jobs.js';
import type { TestDatabase } from './database.js';

export interface LiveStack {
  api: Awaited<ReturnType<typeof listen>>;
  realtime: Awaited<ReturnType<typeof startRealtime>>;
  /** The signing settings of both the api and the gateway: one token is good for both. */
  auth: AuthSettings;
  storage: LocalStorage;
  /** A worker with the three pipelines, not yet started. */
  worker(): Worker;
  close(): Promise<void>;
}

/** demoUser: the api offers "sign in as the demo user" for this user, as `npm start` does for the seeded one. */
export async function startLiveStack(db: TestDatabase, options: { demoUser?: string } = {}): Promise<LiveStack> {
  const { auth, deps } = await testAppDeps(db.pool);
  const api = await listen({ ...deps, demo: options.demoUser ? createDemoSignIn(auth, options.demoUser) : undefined }, 0);
  const log = createLogger('silent');
  const realtime = await startRealtime({ config: { ...loadConfig({}), auth }, databaseUrl: db.url, pool: db.pool, server: api.server, log });
  return {
    api,
    realtime,
    auth,
    storage: deps.storage,
    worker: () => new Worker({
      pool: db.pool,
      databaseUrl: db.url,
      consumers: [
        processDocumentConsumer({
          pool: db.pool,
          storage: deps.storage,
          ocr: new LocalOcr({ maxPages: 3 }),
          extractor: new LocalExtractor(),
          settings: { maxBytes: 2 * 1024 * 1024, maxPages: 3 },
        }),
        journeyConsumer({ pool: db.pool }),
        decisionSupportConsumer({ pool: db.pool }),
      ],
      settings: testSettings({ pollIntervalMs: 100 }),
      log,
    }),
    async close() {
      await realtime.close();
      await api.close();
      await terminateTesseract(); // its worker thread would keep the test process alive
    },
  };
}
