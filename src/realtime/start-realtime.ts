/**
 * The local realtime stack as `npm start` runs it: the Supabase-Realtime-compatible
 * gateway on the api's port (/realtime/v1/websocket) and the change feed that fills
 * it from Postgres. Production clients use Supabase's own Realtime; this serves the
 * same client library where no Supabase stack runs.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Config } from '../config.js';
import { CallerPool } from '../db/caller-pool.js';
import type { DatabaseLink } from '../db/connection.js';
import type { Pool } from '../db/pool.js';
import { createTokenVerifier } from '../auth/tokens.js';
import type { Logger } from '../log.js';
import { createChangeFeed } from './change-feed.js';
import { createRealtimeGateway } from './gateway.js';
import { SubscriptionRegistry } from './registry.js';

/** `databaseUrl`: the database (a URL, or the resolved target with its pool mode and session URL). */
export async function startRealtime(deps: { config: Config; databaseUrl: DatabaseLink; pool: Pool; server: Server; log: Logger }) {
  const registry = new SubscriptionRegistry();
  const gateway = createRealtimeGateway({ server: deps.server, verifier: await createTokenVerifier(deps.config.auth), registry, log: deps.log });
  // A few connections: one read per change per distinct set of claims.
  const callerPool = new CallerPool(deps.databaseUrl, 4, (error) => deps.log.warn({ err: { message: error.message } }, 'realtime caller pool error'));
  const feed = createChangeFeed({ databaseUrl: deps.databaseUrl, callerPool, pool: deps.pool, registry, log: deps.log, gatewayId: randomUUID() });
  await feed.start();
  return {
    async close() {
      await feed.stop();
      await gateway.close();
      await callerPool.end();
    },
  };
}
