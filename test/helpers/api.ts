/**
 * The api under test: the real app factory on a test database, a local-folder
 * storage, and tokens signed with a per-suite secret (as Supabase would sign them).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Koa from 'koa';
import supertest from 'supertest';
import { loadConfig, type AuthSettings, type HttpSettings } from '../../src/config.js';
import { createTokenVerifier, mintToken } from '../../src/auth/tokens.js';
import { createApp, type AppDeps } from '../../src/http/app.js';
import { createLogger } from '../../src/log.js';
import { LocalStorage } from '../../src/providers/storage/local-storage.js';
import { migrationsDir, type TestDatabase } from './database.js';

export interface TestApi {
  app: Koa;
  request: supertest.Agent;
  storage: LocalStorage;
  storageDir: string;
  auth: AuthSettings;
  /** A Supabase-shaped access token for the user (email optional). */
  tokenFor(userId: string, options?: { email?: string; expiresInSeconds?: number }): Promise<string>;
  serviceToken(): Promise<string>;
}

/** App dependencies around any pool (e.g. one pointing at a dead server). */
export interface TestAppOverrides {
  http?: Partial<HttpSettings>;
  auth?: Partial<AuthSettings>;
  maxUploadBytes?: number;
}

export async function testAppDeps(pool: import('pg').Pool, overrides: TestAppOverrides = {}) {
  const config = loadConfig({});
  const dir = await mkdtemp(path.join(tmpdir(), 'guardian-api-'));
  const auth: AuthSettings = { ...config.auth, jwtSecret: `test-secret-${path.basename(dir)}-0123456789abcdef`, ...overrides.auth };
  const storageDir = path.join(dir, 'storage');
  const storage = new LocalStorage(storageDir);
  return {
    auth,
    storageDir,
    deps: {
      pool,
      log: createLogger('silent'),
      migrationsDir,
      verifier: await createTokenVerifier(auth),
      storage,
      http: { ...config.http, ...overrides.http },
      documents: { maxBytes: overrides.maxUploadBytes ?? config.documents.maxBytes },
    } satisfies AppDeps,
  };
}

export async function createTestApi(
  db: TestDatabase,
  overrides: TestAppOverrides = {},
): Promise<TestApi> {
  const { auth, storageDir, deps } = await testAppDeps(db.pool, overrides);
  const app = createApp(deps);
  const storage = deps.storage;
  return {
    app,
    request: supertest.agent(app.callback()),
    storage,
    storageDir,
    auth,
    tokenFor: (userId, options = {}) => mintToken(auth, { userId, email: options.email, expiresInSeconds: options.expiresInSeconds }),
    serviceToken: () => mintToken(auth, { role: 'service_role' }),
  };
}
