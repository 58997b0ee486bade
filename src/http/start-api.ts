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
import { targetOf } from '../db/connection.js';
import { resolveJwtSecret } from '../auth/tokens.js';
import { EdgeFunctionHost } from '../functions/edge-function-host.js';

export async function startApi(config: Config, pool: Pool, log: Logger, metrics?: HttpMetrics) {
  const storage = createStorage(config);
  const edgeFunctions = await localEdgeFunctions(config, pool, log);
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
      edgeFunctions,
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
      await edgeFunctions?.close();
    },
  };
}

/**
 * The Edge Functions, when this machine serves them (config.edgeFunctions: Deno installed,
 * not on Render), with what Supabase gives a function: the database, the project's URL and
 * the key user tokens are signed with (the dev secret locally) and the project's secret keys.
 */
async function localEdgeFunctions(config: Config, pool: Pool, log: Logger): Promise<EdgeFunctionHost | undefined> {
  if (!config.edgeFunctions) return undefined;
  const env: Record<string, string> = { SUPABASE_DB_URL: targetOf(pool).url };
  const secret = await resolveJwtSecret(config.auth);
  if (secret) env.SUPABASE_JWT_SECRET = new TextDecoder().decode(secret);
  if (config.auth.secretKeys.length > 0) env.SUPABASE_SECRET_KEYS = JSON.stringify(Object.fromEntries(config.auth.secretKeys.map((key, i) => [i === 0 ? 'default' : `key_${i}`, key])));
  const project = config.documents.supabaseUrl;
  if (project) env.SUPABASE_URL = project;
  const host = new EdgeFunctionHost(config.edgeFunctions, env, log);
  log.info({ functions: await host.names() }, 'edge functions served under /functions/v1');
  return host;
}
