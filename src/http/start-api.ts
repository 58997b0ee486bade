/**
 * The api as `npm run api` and `npm start` run it: dependencies from the config,
 * listening on PORT, pruning the rate-limit windows every five minutes, and sweeping
 * the temporary upload files a crashed api left behind (at start, then with the prune).
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { createStorage } from '../providers/index.js';
import { createTokenVerifier } from '../auth/tokens.js';
import type { HttpMetrics } from './metrics.js';
import { pruneRateLimits } from './rate-limit.js';
import { compactJourneyWrites } from '../consumers/journey/journey-writes.js';
import { listen } from './server.js';

const PRUNE_EVERY_MS = 5 * 60 * 1000;

export async function startApi(config: Config, pool: Pool, log: Logger, metrics?: HttpMetrics) {
  const storage = createStorage(config);
  const sweep = () =>
    storage.sweepTemporaryFiles?.().then(
      (removed) => removed > 0 && log.info({ removed }, 'removed temporary upload files left by an interrupted upload'),
      (error: Error) => log.warn({ err: { message: error.message } }, 'sweeping temporary upload files failed'),
    );
  await sweep();
  const api = await listen(
    {
      pool,
      log,
      migrationsDir: path.join(config.projectRoot, 'supabase', 'migrations'),
      verifier: await createTokenVerifier(config.auth),
      storage,
      http: config.http,
      documents: config.documents,
      metrics,
    },
    config.port,
    config.host,
  );
  const timer = setInterval(() => {
    pruneRateLimits(pool).catch((error: Error) => log.warn({ err: { message: error.message } }, 'pruning rate limits failed'));
    compactJourneyWrites(pool).catch((error: Error) => log.warn({ err: { message: error.message } }, 'compacting journey versions failed'));
    void sweep();
  }, PRUNE_EVERY_MS);
  timer.unref();
  return {
    port: api.port,
    server: api.server,
    async close() {
      clearInterval(timer);
      await api.close();
    },
  };
}
