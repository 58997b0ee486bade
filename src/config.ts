/**
 * Every setting Guardian reads, resolved and validated in one place.
 *
 * This is the only module that touches `process.env` (house rule): everything
 * else receives a `Config`. Validation happens once at start-up and a bad value
 * stops the process with a message that names the variable, so a typo in a
 * Render dashboard fails the deploy instead of failing the first request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { missingSetting, type GuardianProcess } from './process-requirements.js';

export { PROCESSES, type GuardianProcess } from './process-requirements.js';
import { detectPoolMode, POOL_MODES, type PoolMode } from './db/pool-mode.js';
import { tlsParameterProblem } from './db/tls.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * development: the local all-in-one (`npm start`, `npm run token`), which may create and
 * trust a local HS256 secret when no Supabase signing key is configured. production:
 * everything else; only configured keys are trusted.
 */
export const ENVIRONMENTS = ['development', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export interface Config {
  environment: Environment;
  /** Running on Render (it sets RENDER): settings that are conveniences locally are required there. */
  onRender: boolean;
  /** Postgres connection string; undefined means "start the embedded Postgres". */
  databaseUrl: string | undefined;
  /** Connections per process pool. */
  databasePoolMax: number;
  /**
   * How DATABASE_URL pools connections (src/db/pool-mode.ts): DATABASE_POOL_MODE, else
   * detected from the URL (Supavisor: 6543 transaction, 5432 session), else direct.
   */
  databasePoolMode: PoolMode;
  /**
   * A URL whose connections keep their session, for LISTEN and session locks
   * (migrations, journey rebuilds); undefined: DATABASE_URL itself. Required when
   * DATABASE_URL is a transaction pooler.
   */
  databaseListenUrl: string | undefined;
  /** Another CA the database server's certificate may chain to (DATABASE_CA: a PEM file). */
  databaseCa: { file: string; pem: string } | undefined;
  /** Folder for the embedded Postgres cluster (git-ignored, kept across runs). */
  embeddedPgDir: string;
  /** Port for the embedded Postgres; 0 picks a free one at start. */
  embeddedPgPort: number;
  /** HTTP port of the api (Render sets PORT). */
  port: number;
  /** Address the api binds: HOST, else 0.0.0.0 on Render (it routes to the service) and 127.0.0.1 elsewhere. */
  host: string;
  logLevel: LogLevel;
  /** Load supabase/seed.sql (demo users and profiles) when `npm start` boots. */
  seedDemoData: boolean;
  /** The project root (where package.json, supabase/ and .data/ live). */
  projectRoot: string;
  jobs: JobSettings;
  documents: DocumentSettings;
  auth: AuthSettings;
  http: HttpSettings;
  /**
   * The Edge Functions (supabase/functions) served by the api under /functions/v1, each in
   * a Deno process of its own; undefined: not served here (on Render, Supabase hosts them).
   */
  edgeFunctions: EdgeFunctionSettings | undefined;
}

export interface EdgeFunctionSettings {
  /** The Deno binary: DENO_PATH, else the pinned devDependency's node_modules/.bin/deno. */
  deno: string;
  functionsDir: string;
  /** Deno's cache (DENO_DIR, else .data/deno): the npm packages the functions import, fetched once. */
  denoDir: string;
  /**
   * CA certificates Deno trusts when it fetches those packages: DENO_CERT, else
   * NODE_EXTRA_CA_CERTS, so Deno reaches the registry wherever npm does (a proxy that
   * re-signs TLS, as on this project's build machines). Deno ignores Node's variable.
   */
  caFile: string | undefined;
}

export interface AuthSettings {
  /** Supabase's JWT secret (HS256 tokens). Unset locally: a random secret kept in devSecretFile. */
  jwtSecret: string | undefined;
  /** JWKS URL for asymmetric Supabase signing keys (RS256/ES256), fetched and cached. */
  jwksUrl: string | undefined;
  /** Expected `aud` of user tokens (Supabase: authenticated). */
  audience: string;
  /** Expected `iss` when set (Supabase: https://<project>.supabase.co/auth/v1). */
  issuer: string | undefined;
  /**
   * The project's secret API keys (`sb_secret_…`), accepted as the service role on service
   * endpoints beside the legacy service_role JWT. Several during a rotation.
   */
  secretKeys: string[];
  /** The project's publishable keys (`sb_publishable_…`), accepted as the anon role. */
  publishableKeys: string[];
  /** Where the local development secret lives when jwtSecret is unset (git-ignored). */
  devSecretFile: string;
  /**
   * Whether a local development secret may be created and trusted: only in development,
   * and only when no Supabase signing key (secret or JWKS) is configured at all.
   */
  allowDevSecret: boolean;
}

export interface HttpSettings {
  /** Origins allowed by CORS; empty: none (same-origin and non-browser clients only). */
  corsOrigins: string[];
  /**
   * How many proxies in front of the api append to X-Forwarded-For (Render: 2, its
   * Cloudflare edge and its own proxy). The client address is the entry that many from
   * the right; 0 ignores the header and uses the socket's address, so a client cannot
   * choose its own rate-limit key.
   */
  trustProxyHops: number;
  /** Largest JSON body accepted. */
  jsonLimitBytes: number;
  /** Requests per minute, per signed-in user and per client IP (shared by all instances). */
  rateLimitPerUser: number;
  rateLimitPerIp: number;
  /** Uploads per minute per user (each one is stored and processed). */
  uploadRateLimitPerUser: number;
  /**
   * Memory for the journey answers kept per api instance (src/http/api/journey-cache.ts);
   * each is served again only after a database check; 0 turns it off.
   */
  journeyCacheBytes: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>` (Render web services are public). */
  metricsToken: string | undefined;
  /**
   * Where the /app page subscribes to Realtime: the Supabase project (SUPABASE_URL, with its
   * publishable key SUPABASE_PUBLISHABLE_KEY, or the legacy SUPABASE_ANON_KEY) in
   * production; unset, this process's own gateway.
   */
  appRealtime: { url: string | undefined; publishableKey: string | undefined };
}

export interface DocumentSettings {
  /** Local folder for files when Supabase Storage is not configured. */
  storageDir: string;
  /** Supabase Storage (bucket `documents`) when both are set. */
  supabaseUrl: string | undefined;
  /** The key Storage is called with: SUPABASE_SECRET_KEY (its first), else the legacy SUPABASE_SERVICE_ROLE_KEY. */
  supabaseKey: string | undefined;
  maxBytes: number;
  maxPages: number;
  ocrProvider: 'local' | 'google';
  /** Path to a Google service-account key file; unset uses Application Default Credentials. */
  googleCredentialsFile: string | undefined;
  extractionProvider: 'local' | 'openai';
  openai: { apiKey: string | undefined; model: string; baseUrl: string | undefined; timeoutMs: number; maxRetries: number };
}

export interface JobSettings {
  /** How long a claimed job is held before another worker may rescue it. */
  leaseMs: number;
  /** Slow catch-up poll: the bound on how late a job can be when its NOTIFY was lost. */
  pollIntervalMs: number;
  /** Jobs claimed per query (beyond handler concurrency they wait in a local buffer). */
  claimBatchSize: number;
  /** Default concurrency of a consumer that does not set its own. */
  defaultConcurrency: number;
  /** On SIGTERM, how long in-flight jobs may take before they are returned to pending. */
  shutdownGraceMs: number;
  /** Completed jobs are kept (status completed, with their result) this long; 0 deletes them on completion. */
  completedRetentionHours: number;
  /** Failed jobs (the dead letters) are kept this long for the operator. */
  failedRetentionDays: number;
}

/** Why DATABASE_URL is required on Render (config and src/db/pool.ts say it alike). */
export const DATABASE_URL_REQUIRED_ON_RENDER =
  'is required on Render: the embedded Postgres is a local convenience, and its data would be lost at the next deploy';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function postgresUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Never echo the value: a connection string carries a password.
    throw new ConfigError(name, 'is not a valid URL (expected postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `expected a postgres:// or postgresql:// URL, got protocol "${url.protocol}"`);
  }
  if (url.pathname.length <= 1) throw new ConfigError(name, 'names no database (expected …/database)');
  const tlsProblem = tlsParameterProblem(url);
  if (tlsProblem) throw new ConfigError(name, tlsProblem);
  // node-postgres would let a URL's `options` replace the startup options the pools
  // choose (src/db/connection.ts); per-role settings belong in ALTER ROLE … SET.
  if (url.searchParams.has('options')) throw new ConfigError(name, 'the options parameter is not supported (set per-role settings with ALTER ROLE … SET)');
  return raw;
}

/** Supabase API keys: one or several (comma-separated, during a rotation), each with its kind's prefix. */
function apiKeys(env: Env, name: string, prefix: string): string[] {
  const keys = (text(env, name) ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  for (const key of keys) {
    // Never echo a key: a secret one is a credential.
    if (!key.startsWith(prefix) || key.length < prefix.length + 16) throw new ConfigError(name, `expected keys that start with ${prefix}`);
  }
  return keys;
}

/** DATABASE_POOL_MODE, DATABASE_LISTEN_URL and DATABASE_CA, checked against DATABASE_URL. */
function databaseSettings(env: Env, url: string | undefined, onRender: boolean): Pick<Config, 'databasePoolMode' | 'databaseListenUrl' | 'databaseCa'> {
  const listenUrl = postgresUrl(env, 'DATABASE_LISTEN_URL');
  const explicitMode = text(env, 'DATABASE_POOL_MODE');
  // On Render a missing DATABASE_URL is the mistake to name (the process's requirements and
  // resolveDatabase do), not the pooler settings beside it.
  if (!url && !onRender) {
    // The embedded Postgres is local and direct: a pooler setting would be a mistake.
    if (explicitMode !== undefined && explicitMode.toLowerCase() !== 'direct') throw new ConfigError('DATABASE_POOL_MODE', 'needs DATABASE_URL (the embedded Postgres is direct)');
    if (listenUrl) throw new ConfigError('DATABASE_LISTEN_URL', 'needs DATABASE_URL (the embedded Postgres is direct)');
  }
  const poolMode = choice(env, 'DATABASE_POOL_MODE', POOL_MODES, url ? detectPoolMode(url) : 'direct');
  if (listenUrl && detectPoolMode(listenUrl) === 'transaction') {
    throw new ConfigError('DATABASE_LISTEN_URL', 'is a transaction pooler (port 6543): LISTEN needs a session (the direct host, or the session pooler on port 5432)');
  }
  if (url && poolMode === 'transaction' && (!listenUrl || listenUrl === url)) {
    throw new ConfigError(
      'DATABASE_LISTEN_URL',
      'is required when DATABASE_URL is a transaction pooler: LISTEN and session locks need a session (the direct host, or the session pooler on port 5432)',
    );
  }
  return { databasePoolMode: poolMode, databaseListenUrl: listenUrl, databaseCa: caFile(env, 'DATABASE_CA') };
}

/** A PEM file of one or more CA certificates, read and parsed once at start. */
function caFile(env: Env, name: string): { file: string; pem: string } | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const file = path.resolve(projectRoot, raw);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(name, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new ConfigError(name, `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  for (const block of blocks) {
    try {
      if (!new X509Certificate(block).ca) throw new ConfigError(name, `${file}: a certificate in it is not a CA certificate`);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(name, `${file}: a certificate in it cannot be parsed`);
    }
  }
  return { file, pem };
}

function choice<T extends string>(env: Env, name: string, options: readonly T[], fallback: T): T {
  const raw = text(env, name)?.toLowerCase() ?? fallback;
  if (!(options as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${options.join(', ')}, got "${raw}"`);
  return raw as T;
}

function httpUrl(env: Env, name: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === 'https:' || url.protocol === 'http:') return raw.replace(/\/+$/, '');
  } catch {
    // fall through
  }
  throw new ConfigError(name, 'expected an http(s):// URL');
}

function documentSettings(env: Env): DocumentSettings {
  const supabaseUrl = httpUrl(env, 'SUPABASE_URL');
  const supabaseKey = apiKeys(env, 'SUPABASE_SECRET_KEY', 'sb_secret_')[0] ?? text(env, 'SUPABASE_SERVICE_ROLE_KEY');
  if (supabaseUrl && !supabaseKey) {
    throw new ConfigError('SUPABASE_SECRET_KEY', 'is required when SUPABASE_URL is set (or the legacy SUPABASE_SERVICE_ROLE_KEY)');
  }
  const extractionProvider = choice(env, 'EXTRACTION_PROVIDER', ['local', 'openai'] as const, 'local');
  const apiKey = text(env, 'OPENAI_API_KEY');
  if (extractionProvider === 'openai' && !apiKey) throw new ConfigError('OPENAI_API_KEY', 'is required when EXTRACTION_PROVIDER=openai');
  const storageDir = text(env, 'STORAGE_DIR');
  return {
    storageDir: storageDir ? path.resolve(projectRoot, storageDir) : path.join(projectRoot, '.data', 'storage'),
    supabaseUrl,
    supabaseKey,
    maxBytes: integer(env, 'DOCUMENT_MAX_MB', 25, 1, 1024) * 1024 * 1024,
    maxPages: integer(env, 'DOCUMENT_MAX_PAGES', 50, 1, 2000),
    ocrProvider: choice(env, 'OCR_PROVIDER', ['local', 'google'] as const, 'local'),
    googleCredentialsFile: text(env, 'GOOGLE_APPLICATION_CREDENTIALS'),
    extractionProvider,
    openai: {
      apiKey,
      model: text(env, 'OPENAI_MODEL') ?? 'gpt-4o-2024-08-06',
      baseUrl: httpUrl(env, 'OPENAI_BASE_URL'),
      timeoutMs: integer(env, 'OPENAI_TIMEOUT_MS', 60_000, 1000, 600_000),
      maxRetries: integer(env, 'OPENAI_MAX_RETRIES', 3, 0, 10),
    },
  };
}

function environment(env: Env, fallback: Environment, onRender: boolean): Environment {
  const chosen = choice(env, 'GUARDIAN_ENV', ENVIRONMENTS, fallback);
  if (chosen === 'development' && onRender) throw new ConfigError('GUARDIAN_ENV', 'development is refused on Render');
  return chosen;
}

function authSettings(env: Env, mode: Environment): AuthSettings {
  const jwtSecret = text(env, 'SUPABASE_JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('SUPABASE_JWT_SECRET', 'must be at least 32 characters (Supabase secrets are longer)');
  }
  // Supabase publishes a project's signing keys and names its tokens' issuer under its URL:
  // with SUPABASE_URL set, both follow unless given (a custom domain may need them given).
  const project = httpUrl(env, 'SUPABASE_URL');
  const jwksUrl = httpUrl(env, 'SUPABASE_JWKS_URL') ?? (project ? `${project}/auth/v1/.well-known/jwks.json` : undefined);
  return {
    jwtSecret,
    jwksUrl,
    audience: text(env, 'JWT_AUDIENCE') ?? 'authenticated',
    issuer: text(env, 'JWT_ISSUER') ?? (project ? `${project}/auth/v1` : undefined),
    secretKeys: apiKeys(env, 'SUPABASE_SECRET_KEY', 'sb_secret_'),
    publishableKeys: apiKeys(env, 'SUPABASE_PUBLISHABLE_KEY', 'sb_publishable_'),
    devSecretFile: path.join(projectRoot, '.data', 'jwt-secret'),
    // A deployment with only a JWKS URL (or only a secret) trusts exactly that.
    allowDevSecret: mode === 'development' && !jwtSecret && !jwksUrl,
  };
}

function httpSettings(env: Env, onRender: boolean): HttpSettings {
  const origins = text(env, 'CORS_ORIGINS');
  const corsOrigins = origins ? origins.split(',').map((o) => o.trim()).filter(Boolean) : [];
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin)) throw new ConfigError('CORS_ORIGINS', `"${origin}" is not an origin (scheme://host[:port])`);
  }
  return {
    corsOrigins,
    // Render: client → Cloudflare → Render's proxy → us, each appending to X-Forwarded-For.
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', onRender ? 2 : 0, 0, 10),
    jsonLimitBytes: integer(env, 'HTTP_JSON_LIMIT_KB', 100, 1, 10_240) * 1024,
    rateLimitPerUser: integer(env, 'RATE_LIMIT_PER_USER_PER_MINUTE', 600, 1, 1_000_000),
    rateLimitPerIp: integer(env, 'RATE_LIMIT_PER_IP_PER_MINUTE', 1200, 1, 1_000_000),
    uploadRateLimitPerUser: integer(env, 'UPLOAD_RATE_LIMIT_PER_USER_PER_MINUTE', 30, 1, 100_000),
    // 32 MB: ~1,000 answers of a 10,000-record profile's first page (~32 kB each).
    journeyCacheBytes: integer(env, 'JOURNEY_CACHE_MB', 32, 0, 4096) * 1024 * 1024,
    metricsToken: text(env, 'METRICS_TOKEN'),
    appRealtime: {
      url: httpUrl(env, 'SUPABASE_URL'),
      publishableKey: apiKeys(env, 'SUPABASE_PUBLISHABLE_KEY', 'sb_publishable_')[0] ?? text(env, 'SUPABASE_ANON_KEY'),
    },
  };
}

/**
 * EDGE_FUNCTIONS_LOCAL (default: on wherever Deno is installed, never on Render, where the
 * api must not need Deno). Asked for explicitly, a missing Deno is a mistake to name.
 */
function edgeFunctionSettings(env: Env, onRender: boolean): EdgeFunctionSettings | undefined {
  const wanted = boolean(env, 'EDGE_FUNCTIONS_LOCAL', !onRender);
  if (!wanted) return undefined;
  if (onRender) throw new ConfigError('EDGE_FUNCTIONS_LOCAL', 'is refused on Render: Supabase hosts the Edge Functions');
  const given = text(env, 'DENO_PATH');
  const deno = given ? path.resolve(projectRoot, given) : path.join(projectRoot, 'node_modules', '.bin', 'deno');
  if (!existsSync(deno)) {
    if (text(env, 'EDGE_FUNCTIONS_LOCAL') !== undefined || given) throw new ConfigError(given ? 'DENO_PATH' : 'EDGE_FUNCTIONS_LOCAL', `no Deno binary at ${deno} (npm install adds it)`);
    return undefined;
  }
  const denoDir = text(env, 'DENO_DIR');
  return {
    deno,
    functionsDir: path.join(projectRoot, 'supabase', 'functions'),
    denoDir: denoDir ? path.resolve(projectRoot, denoDir) : path.join(projectRoot, '.data', 'deno'),
    caFile: text(env, 'DENO_CERT') ?? text(env, 'NODE_EXTRA_CA_CERTS'),
  };
}

/** HOST: an address or a host name (as `listen` takes it); else 0.0.0.0 on Render, which routes to it, and this machine only elsewhere. */
function listenHost(env: Env, onRender: boolean): string {
  const host = text(env, 'HOST');
  if (host !== undefined && !/^[A-Za-z0-9.:-]+$/.test(host)) throw new ConfigError('HOST', `expected an address such as 127.0.0.1 or 0.0.0.0, got "${host}"`);
  return host ?? (onRender ? '0.0.0.0' : '127.0.0.1');
}

function logLevel(env: Env, name: string): LogLevel {
  const raw = text(env, name)?.toLowerCase() ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `expected one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw as LogLevel;
}

export interface LoadOptions {
  /**
   * The environment when GUARDIAN_ENV is unset: 'production' (the default, for the
   * api, worker and cron Render runs) or 'development' (`npm start`, `npm run token`).
   */
  defaultEnvironment?: Environment;
  /**
   * Which entry point is starting: on Render each one requires the settings it uses
   * (src/process-requirements.ts). Default 'cli': tools and tests, no requirements.
   */
  process?: GuardianProcess;
}

/**
 * Locally, settings may live in the project's git-ignored `.env`: its variables fill those
 * not already set (the shell wins, as with `node --env-file`), and a missing file is fine.
 * Never on Render, where the dashboard is the one place settings come from.
 */
export function applyEnvFile(env: Env, file: string): void {
  if (text(env, 'RENDER') !== undefined) return;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ConfigError(path.basename(file), `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  for (const [name, value] of Object.entries(parseEnv(content))) {
    if (env[name] === undefined && value !== undefined) env[name] = value;
  }
}

/**
 * Reads and validates every setting, then checks that the process has what it needs
 * (`options.process`). Pass an object in tests; defaults to the process environment
 * (with the project's `.env` beneath it).
 */
export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  if (env === process.env) applyEnvFile(env, path.join(projectRoot, '.env'));
  const config = readConfig(env, options);
  const missing = missingSetting(options.process ?? 'cli', config);
  if (missing) throw new ConfigError(missing.variable, missing.message);
  return config;
}

function readConfig(env: Env, options: LoadOptions): Config {
  const embeddedDir = text(env, 'EMBEDDED_PG_DIR');
  // Render sets RENDER=true: there a missing setting is a deployment mistake, not a cue to improvise.
  const onRender = text(env, 'RENDER') !== undefined;
  const mode = environment(env, options.defaultEnvironment ?? 'production', onRender);
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  return {
    environment: mode,
    onRender,
    databaseUrl,
    databasePoolMax: integer(env, 'DATABASE_POOL_MAX', 10, 1, 500),
    ...databaseSettings(env, databaseUrl, onRender),
    embeddedPgDir: embeddedDir
      ? path.resolve(projectRoot, embeddedDir)
      : path.join(projectRoot, '.data', 'postgres'),
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 0, 0, 65535),
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: listenHost(env, onRender),
    logLevel: logLevel(env, 'LOG_LEVEL'),
    seedDemoData: boolean(env, 'SEED_DEMO_DATA', true),
    projectRoot,
    documents: documentSettings(env),
    auth: authSettings(env, mode),
    http: httpSettings(env, onRender),
    edgeFunctions: edgeFunctionSettings(env, onRender),
    jobs: {
      leaseMs: integer(env, 'JOB_LEASE_SECONDS', 60, 1, 86_400) * 1000,
      pollIntervalMs: integer(env, 'JOB_POLL_INTERVAL_MS', 1000, 50, 600_000),
      claimBatchSize: integer(env, 'JOB_CLAIM_BATCH_SIZE', 100, 1, 5000),
      defaultConcurrency: integer(env, 'WORKER_CONCURRENCY', 8, 1, 1000),
      shutdownGraceMs: integer(env, 'WORKER_SHUTDOWN_GRACE_MS', 20_000, 0, 600_000),
      completedRetentionHours: integer(env, 'JOB_COMPLETED_RETENTION_HOURS', 0, 0, 24 * 365),
      failedRetentionDays: integer(env, 'JOB_FAILED_RETENTION_DAYS', 30, 1, 3650),
    },
  };
}

/** sysexits.h EX_CONFIG: the process refused its configuration (a crash exits 1). */
export const EX_CONFIG = 78;

/**
 * For the entry points: the settings of this process from its environment or, when one is
 * wrong or missing, a single line on stderr naming the variable and exit code EX_CONFIG,
 * so Render's log says what to fix instead of showing a stack trace.
 */
export function loadConfigOrExit(options: LoadOptions & { process: GuardianProcess }): Config {
  try {
    return loadConfig(process.env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`guardian ${options.process}: configuration refused: ${error.message}\n`);
    process.exit(EX_CONFIG);
  }
}
