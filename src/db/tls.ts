/**
 * TLS for every Postgres connection, decided here from the URL alone.
 *
 *   - A local server (localhost, 127.0.0.0/8, ::1, a unix socket) is reached in plain
 *     text: nothing crosses a network, and local Postgres rarely has a certificate.
 *   - Any other host is reached over TLS that verifies the server: its chain up to a
 *     trusted root (Node's default roots, Supabase's own root CA shipped in
 *     src/db/certs/, and DATABASE_CA when set) and its host name. Supabase's servers
 *     (direct and Supavisor) present certificates under "Supabase Root 2021 CA", which
 *     Node does not know: without it, verification fails (SELF_SIGNED_CERT_IN_CHAIN), and
 *     switching verification off would let anyone on the path read health records.
 *   - `sslmode` in the URL: `disable` turns TLS off (an explicit opt-out, e.g. a private
 *     network); `require`, `verify-ca` and `verify-full` turn it on even for a local host
 *     (always verifying: chain and host name); `allow` and `prefer` leave the default.
 *
 * node-postgres reads sslmode (and ssl, sslrootcert, …) from a connection string itself,
 * and what it reads overrides the `ssl` option given beside it (its `require` verifies
 * against Node's roots only, its `no-verify` does not verify at all). So the URL handed
 * to node-postgres never carries them: they are taken out here, after being read.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import tls from 'node:tls';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** URL parameters node-postgres turns into TLS settings of its own (pg-connection-string). */
const DRIVER_TLS_PARAMETERS = ['ssl', 'sslcert', 'sslkey', 'sslrootcert', 'sslnegotiation', 'uselibpqcompat', 'sslpassword'] as const;

/**
 * Supabase Root 2021 CA, as Supabase publishes it ("Download certificate" in the
 * dashboard's database settings, prod-ca-2021.crt at
 * https://supabase-downloads.s3-ap-southeast-1.amazonaws.com/prod/ssl/prod-ca-2021.crt).
 * Self-signed, valid 2021-04-28 to 2031-04-26. SHA-256 fingerprint
 * 80:70:25:AD:50:D4:ED:21:9D:2C:9C:7D:29:9C:00:4F:82:4E:B0:0C:F7:F6:5A:FE:F6:07:D0:7B:72:E6:CA:FA
 * (the same in several independent public repositories that pin it; test/db/tls.test.ts
 * checks the file against it). After 2031 (or a rotation) DATABASE_CA supplies the new one.
 */
export const SUPABASE_ROOT_CA_FILE = new URL('./certs/supabase-root-2021.crt', import.meta.url);
export const SUPABASE_ROOT_CA_SHA256 = '80:70:25:AD:50:D4:ED:21:9D:2C:9C:7D:29:9C:00:4F:82:4E:B0:0C:F7:F6:5A:FE:F6:07:D0:7B:72:E6:CA:FA';

export interface DatabaseTls {
  /** The URL without any TLS parameter, for node-postgres. */
  connectionString: string;
  /** node-postgres' `ssl` option: false (plain text) or verifying TLS options. */
  ssl: false | tls.ConnectionOptions;
}

/** Why a URL's TLS parameters are refused, or undefined when they are fine (config.ts reports it). */
export function tlsParameterProblem(url: URL): string | undefined {
  const mode = url.searchParams.get('sslmode');
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) {
    return `sslmode=${mode} is not supported (expected ${SSL_MODES.join(', ')}; TLS always verifies the server)`;
  }
  const driver = DRIVER_TLS_PARAMETERS.find((name) => url.searchParams.has(name));
  if (driver) return `the ${driver} parameter is not supported: TLS is on for remote hosts and verifies the server; use sslmode=disable to turn it off, DATABASE_CA to trust another CA`;
  return undefined;
}

/** Loopback or a unix socket: nothing leaves the machine. */
export function isLocalHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === '' || bare.startsWith('/')) return true; // a unix socket folder
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** The host a URL connects to: its `host` parameter (libpq's way to name a socket folder) or its host name. */
function hostOf(url: URL): string {
  const param = url.searchParams.get('host');
  if (param !== null) return param;
  // A socket folder written into the host, URL-encoded (postgres://u@%2Fvar%2Frun%2Fpostgresql/db).
  return decodeURIComponent(url.hostname);
}

/** The TLS decision for a connection string, and the string node-postgres may see. */
export function databaseTls(connectionString: string, extraCa?: string): DatabaseTls {
  const url = new URL(connectionString);
  const problem = tlsParameterProblem(url);
  if (problem) throw new Error(`database URL: ${problem}`);
  const mode = (url.searchParams.get('sslmode') ?? undefined) as SslMode | undefined;
  for (const name of ['sslmode', ...DRIVER_TLS_PARAMETERS]) url.searchParams.delete(name);
  const stripped = url.toString();
  if (mode === 'disable') return { connectionString: stripped, ssl: false };
  const asked = mode === 'require' || mode === 'verify-ca' || mode === 'verify-full';
  if (isLocalHost(hostOf(url)) && !asked) return { connectionString: stripped, ssl: false };
  // verify-full whatever was asked: verify-ca's "any host name" and require's "any
  // certificate" would let a server that is not ours answer.
  return { connectionString: stripped, ssl: { rejectUnauthorized: true, secureContext: secureContext(extraCa) } };
}

let supabaseRoot: string | undefined;

/** The roots a database server's certificate may chain to: Node's, Supabase's, DATABASE_CA's. */
export function trustedCertificates(extraCa?: string): string[] {
  supabaseRoot ??= readFileSync(SUPABASE_ROOT_CA_FILE, 'utf8');
  // Given `ca`, Node trusts only those: its default roots are listed again so a server
  // with a publicly issued certificate (or a proxy in front of Supabase) still verifies.
  return [...tls.rootCertificates, supabaseRoot, ...(extraCa ? [extraCa] : [])];
}

const contexts = new Map<string, tls.SecureContext>();

/**
 * One secure context per set of roots, made once: parsing ~150 root certificates for
 * every new connection would cost milliseconds each time.
 */
function secureContext(extraCa?: string): tls.SecureContext {
  const key = extraCa ?? '';
  let context = contexts.get(key);
  if (!context) contexts.set(key, (context = tls.createSecureContext({ ca: trustedCertificates(extraCa) })));
  return context;
}
