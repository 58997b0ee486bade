/**
 * "Sign in as the demo user" for the local all-in-one: the /app page asks the server for
 * a token for the seeded demo user instead of making a newcomer copy one from the log.
 *
 * Only where `npm start` would log such a token anyway: development, demo data loaded,
 * and tokens signed with the machine's own dev secret (no Supabase key configured). In
 * production there is no DemoSignIn at all, so the route that would use it answers 404.
 */
import type { AuthSettings, Config } from '../config.js';
import { mintToken } from '../auth/tokens.js';
import { DEMO_USER } from '../db/demo-data.js';

/** As long as the token `npm start` logs: a working day of trying things. */
const DEMO_TOKEN_SECONDS = 12 * 3600;

export interface DemoSignIn {
  userId: string;
  mint(): Promise<string>;
}

export function createDemoSignIn(auth: AuthSettings, userId = DEMO_USER): DemoSignIn {
  return { userId, mint: () => mintToken(auth, { userId, expiresInSeconds: DEMO_TOKEN_SECONDS }) };
}

/** The demo sign-in this configuration allows, or undefined (production, no demo data, real keys). */
export function demoSignInFor(config: Pick<Config, 'environment' | 'seedDemoData' | 'auth'>): DemoSignIn | undefined {
  const allowed = config.environment === 'development' && config.seedDemoData && config.auth.allowDevSecret
    && !config.auth.jwtSecret && !config.auth.jwksUrl;
  return allowed ? createDemoSignIn(config.auth) : undefined;
}
