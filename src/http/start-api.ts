/**
 * The api as `npm run api` and `npm start` run it: dependencies from the config,
 * listening on PORT, with the api's share of the periodic sweeps (src/sweeps) on timers.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Pool } from '../db/pool.js';
import type { Logger } from '../log.js';
import { createStorage } from '../providers/index.js';
import { createTokenVerifier } from '../auth/tokens.js';
import type { HttpMetrics } from './metrics.js';
import { periodicSweeps, sweepsRunIn } from '../sweeps/index.js';
import { startSweeps } from '../sweeps/sweep.js';
import { demoSignInFor } from './demo-sign-in.js';
import { listen } from './server.js';

export async function startApi(config: Config, pool: Pool, log: Logger, metrics?: HttpMetrics) {
  const storage = createStorage(config);
  const sweeps = sweepsRunIn('api', periodicSweeps({ pool, jobs: config.jobs, storage }));
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
      demo: demoSignInFor(config),
    },
    config.port,
    config.host,
  );
  const timers = startSweeps(sweeps, log);
  return {
    port: api.port,
    server: api.server,
    async close() {
      await timers.stop();
      await api.close();
    },
  };
}
