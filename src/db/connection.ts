/**
 * The one place that turns "connect to the database for this purpose" into
 * node-postgres options, for every pool and every LISTEN connection: which URL (the
 * pooled one, or the session-capable one), TLS (src/db/tls.ts), the application name,
 * and whether startup options may be sent (only on a direct connection: poolers refuse
 * or drop them, src/db/pool-mode.ts). What a purpose does instead of a startup option
 * is its own business (the caller pool sets its role in band, the queue pool its
 * commit mode per transaction); here it learns whether it has to.
 */
import type pg from 'pg';
import { detectPoolMode, type PoolMode } from './pool-mode.js';
import { databaseTls } from './tls.js';

/** Where the database is and how it pools: from the config (or the embedded server). */
export interface DatabaseTarget {
  /** For pools: the api's requests, the worker's jobs and bookkeeping (DATABASE_URL). */
  url: string;
  poolMode: PoolMode;
  /**
   * A URL whose connections keep their session (direct or a session pooler), for what
   * needs one: LISTEN, session advisory locks (migrations, journey rebuilds).
   * DATABASE_LISTEN_URL, else `url`.
   */
  sessionUrl: string;
  /** More trusted roots (PEM, DATABASE_CA). */
  extraCa?: string;
}

/** A target, or a plain URL (tests, benches, tools): its pool mode then comes from the URL. */
export type DatabaseLink = DatabaseTarget | string;

export interface ConnectionPurpose {
  /** Names the connections in pg_stat_activity (poolers pass it on). */
  applicationName: string;
  /** Startup options the purpose would like (`-c name=value`); sent only on a direct connection. */
  startupOptions?: string;
  /** Needs a session of its own (LISTEN, a session lock): connects to the session URL. */
  session?: boolean;
}

export interface ResolvedConnection {
  /** For new pg.Client / pg.Pool (spread it, then add pool sizes and timeouts). */
  config: pg.ClientConfig;
  /** How the connections are pooled. */
  mode: PoolMode;
  /** Whether purpose.startupOptions went into the config. */
  startupOptions: boolean;
}

/**
 * Pool modes of pooler addresses (host:port) that detection cannot tell from the URL:
 * a PgBouncer on an ordinary host. The test harness declares its own; deployments set
 * DATABASE_POOL_MODE, which reaches the code as a DatabaseTarget.
 */
const declaredModes = new Map<string, PoolMode>();

export function declarePoolMode(address: string, mode: PoolMode): void {
  declaredModes.set(address, mode);
}

function modeOf(url: string): PoolMode {
  let address: string | undefined;
  try {
    address = new URL(url).host;
  } catch {
    address = undefined;
  }
  return (address !== undefined ? declaredModes.get(address) : undefined) ?? detectPoolMode(url);
}

/** A plain URL as a target: its own session URL, its mode detected (or declared). */
export function targetFromUrl(url: string, extraCa?: string): DatabaseTarget {
  return { url, poolMode: modeOf(url), sessionUrl: url, ...(extraCa ? { extraCa } : {}) };
}

export function toTarget(link: DatabaseLink): DatabaseTarget {
  return typeof link === 'string' ? targetFromUrl(link) : link;
}

export class SessionUnavailableError extends Error {
  override readonly name = 'SessionUnavailableError';
  readonly code = 'DATABASE_SESSION_UNAVAILABLE';
}

/** node-postgres options for one purpose on a target. */
export function connectionConfig(link: DatabaseLink, purpose: ConnectionPurpose): ResolvedConnection {
  const target = toTarget(link);
  const url = purpose.session ? target.sessionUrl : target.url;
  const mode = url === target.url ? target.poolMode : modeOf(url);
  if (purpose.session && mode === 'transaction') {
    // LISTEN through a transaction pooler "works" and then hears nothing.
    throw new SessionUnavailableError(`${purpose.applicationName} needs a session, and the database URL is a transaction pooler: set DATABASE_LISTEN_URL to the direct or session-pooler URL`);
  }
  const { connectionString, ssl } = databaseTls(url, target.extraCa);
  const startupOptions = mode === 'direct' && purpose.startupOptions !== undefined;
  return {
    mode,
    startupOptions,
    config: {
      connectionString,
      ssl,
      application_name: purpose.applicationName,
      ...(startupOptions ? { options: purpose.startupOptions } : {}),
    },
  };
}

const poolTargets = new WeakMap<pg.Pool, DatabaseTarget>();

/** Records which target a pool was made for, so what is built on it later (the api's caller pool) connects alike. */
export function rememberTarget<P extends pg.Pool>(pool: P, target: DatabaseTarget): P {
  poolTargets.set(pool, target);
  return pool;
}

/** The target a pool was made for; for a pool made elsewhere, the one its connection string implies. */
export function targetOf(pool: pg.Pool): DatabaseTarget {
  const known = poolTargets.get(pool);
  if (known) return known;
  const { connectionString } = pool.options;
  if (!connectionString) throw new Error('this pool has no connection string: give the target explicitly');
  return targetFromUrl(connectionString);
}
