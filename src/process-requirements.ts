/**
 * What each Guardian process needs from its settings, decided in one place.
 *
 * Off Render every setting has a local stand-in (the embedded Postgres, the dev secret,
 * a storage folder), so nothing here applies. On Render (RENDER is set) those stand-ins
 * would be silent mistakes: an embedded Postgres or a storage folder lives on the
 * service's disk, which is thrown away at every deploy, and an api that cannot verify
 * tokens answers every user with 401. There a process refuses to start instead, naming
 * the variable to set, and asks only for what it uses: the worker never verifies a user
 * token, the cron job touches nothing but the database.
 */
import type { Config } from './config.js';

/**
 * The entry points: `api`, `worker` and `cron` are Render's three services, `all-in-one` is
 * `npm start` (api + worker + the local realtime gateway), and `cli` is every tool and test
 * (migrate, jobs, journey, token, extract, doctor), which stay lenient: the database ones
 * still never start an embedded Postgres on Render (src/db/pool.ts).
 */
export const PROCESSES = ['all-in-one', 'api', 'worker', 'cron', 'cli'] as const;
export type GuardianProcess = (typeof PROCESSES)[number];

interface Needs {
  database: boolean;
  /** User tokens are verified: the api's routes and the realtime gateway. */
  tokens: boolean;
  /** Document files are read or written: uploads (api) and processing (worker). */
  storage: boolean;
}

const NEEDS: Record<GuardianProcess, Needs> = {
  'all-in-one': { database: true, tokens: true, storage: true },
  api: { database: true, tokens: true, storage: true },
  worker: { database: true, tokens: false, storage: true },
  cron: { database: true, tokens: false, storage: false },
  cli: { database: false, tokens: false, storage: false },
};

export interface MissingSetting {
  variable: string;
  message: string;
}

/** The first setting `process` needs and lacks on Render, or undefined. Database, then tokens, then storage. */
export function missingSetting(process: GuardianProcess, config: Config): MissingSetting | undefined {
  if (!config.onRender) return undefined;
  const needs = NEEDS[process];
  if (needs.database && !config.databaseUrl) {
    return {
      variable: 'DATABASE_URL',
      message: `is required on Render by the ${process} (the Supabase project's pooler URL); without it an embedded Postgres would start on the service's disk, which is lost at every deploy`,
    };
  }
  if (needs.tokens && !config.auth.jwksUrl && !config.auth.jwtSecret) {
    return {
      variable: 'SUPABASE_URL',
      message: `(whose signing keys verify user tokens), SUPABASE_JWKS_URL or SUPABASE_JWT_SECRET is required on Render by the ${process}: without one no user token can be verified`,
    };
  }
  if (needs.storage && !(config.documents.supabaseUrl && config.documents.supabaseKey)) {
    return {
      variable: 'SUPABASE_URL',
      message: `and SUPABASE_SECRET_KEY are required on Render by the ${process}: documents are kept in Supabase Storage, since a folder on the service's disk is lost at every deploy`,
    };
  }
  return undefined;
}
