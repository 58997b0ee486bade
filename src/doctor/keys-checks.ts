/** The signing keys user tokens are verified with: reachable, and of an accepted kind. */
import type { AuthSettings } from '../config.js';
import { error, ok, warn, type Finding } from './finding.js';

const ACCEPTED = new Set(['RS256', 'ES256']);

export async function keysChecks(auth: AuthSettings, timeoutMs = 3000): Promise<Finding[]> {
  if (!auth.jwksUrl) return [];
  let body: unknown;
  try {
    const response = await fetch(auth.jwksUrl, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return [error('keys', `the JWKS URL answered ${response.status}`, 'check SUPABASE_URL (or SUPABASE_JWKS_URL): https://<ref>.supabase.co/auth/v1/.well-known/jwks.json')];
    body = await response.json();
  } catch (reason) {
    return [error('keys', `the JWKS URL cannot be read (${(reason as Error).name})`, 'check SUPABASE_URL (or SUPABASE_JWKS_URL) and that this host reaches it')];
  }
  const keys = (body as { keys?: { kid?: unknown; alg?: unknown; kty?: unknown }[] } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    return [auth.jwtSecret
      ? warn('keys', 'the project publishes no asymmetric signing key: tokens are verified with the legacy HS256 secret', 'migrate the project to asymmetric JWT signing keys (Supabase: Settings → JWT Keys)')
      : error('keys', 'the project publishes no signing key, and no SUPABASE_JWT_SECRET is set: no user token can be verified', 'set SUPABASE_JWT_SECRET, or enable asymmetric signing keys')];
  }
  const usable = keys.filter((k) => typeof k.kid === 'string' && (ACCEPTED.has(String(k.alg)) || k.kty === 'EC' || k.kty === 'RSA'));
  if (usable.length === 0) return [error('keys', 'none of the published keys is RS256 or ES256', 'Guardian accepts RS256 and ES256 signing keys')];
  return [ok('keys', `${usable.length} signing key${usable.length === 1 ? '' : 's'} published (${usable.map((k) => String(k.alg ?? k.kty)).join(', ')})`)];
}
