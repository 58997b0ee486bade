/**
 * Supabase access tokens: verify them, and mint local ones for development and tests.
 *
 * Supabase signs user tokens with the project's JWT secret (HS256, legacy) or with
 * asymmetric keys (RS256 / ES256) published at a JWKS URL with a `kid` per key. The
 * token header's `alg` picks the key source: HS256 → the secret, RS256/ES256 → the
 * JWKS. Nothing else is accepted: `none` obviously, and HS384, HS512, PS256 or EdDSA because
 * Supabase never issues them (every extra algorithm is extra attack surface, e.g.
 * the classic "HS256 with the RSA public key as the secret" confusion).
 *
 * Numbers (defaults, overridable through `createTokenVerifier` options):
 * - clock tolerance 30 s on exp/nbf: Supabase and Render clocks are NTP-synced (skew
 *   well under 1 s), but supabase-js refreshes a token only shortly before expiry, so a
 *   request in flight at that moment should not bounce. 30 s is < 1 % of the 3600 s
 *   token lifetime, so it barely extends a stolen token's life.
 * - JWKS cache max age 10 min: after that the set is refetched on the next token. It
 *   bounds how long a key removed from the JWKS (revoked) is still trusted.
 * - JWKS cooldown 30 s: a token with an unknown `kid` triggers a refetch (that is how a
 *   rotated-in key is picked up), but at most once per 30 s, so a flood of tokens with
 *   made-up kids costs at most 2 fetches a minute per instance. Supabase publishes a
 *   standby key before it signs with it, so normally the new key is already cached.
 * - JWKS fetch timeout 3 s: the endpoint is CDN-served (tens of ms); a request waiting
 *   on it should fail well before a client's own timeout.
 * jose dedupes concurrent fetches, so N simultaneous tokens cause one request.
 *
 * Messages never contain the token or any part of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, link, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import type { JWTPayload, JWSHeaderParameters, FlattenedJWSInput } from 'jose';
import type { AuthSettings } from '../config.js';
import { DATABASE_ROLES, type Caller, type DatabaseRole } from '../db/as-caller.js';
import { isApiKey, verifyApiKey } from './api-keys.js';

export type AuthErrorCode =
  | 'token_missing'
  | 'token_malformed'
  | 'token_invalid'
  | 'token_expired'
  | 'token_wrong_audience'
  | 'token_role_invalid';

/** A 401: the request's credentials are missing or not acceptable. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly status = 401;
  readonly expose = true;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
  }

  /** The RFC 6750 §3 `WWW-Authenticate` value for this failure (no error code when the token is missing). */
  get challenge(): string {
    if (this.code === 'token_missing') return 'Bearer realm="guardian"';
    const error = this.code === 'token_malformed' ? 'invalid_request' : 'invalid_token';
    return `Bearer realm="guardian", error="${error}", error_description="${this.message.replace(/["\\]/g, "'")}"`;
  }
}

/**
 * A 503: the token may be fine, but the signing keys could not be fetched (JWKS down,
 * timed out, not JSON). Answering 401 here would make clients throw away good sessions.
 */
export class AuthUnavailableError extends Error {
  override readonly name = 'AuthUnavailableError';
  readonly status = 503;
  readonly code = 'auth_unavailable';
  readonly expose = false;
  /** Suggested Retry-After: the JWKS cooldown is 30 s by default; a shorter retry rarely helps. */
  readonly retryAfterSeconds = 30;
}

export interface VerifiedToken {
  caller: Caller;
  /** `sub` of an authenticated token; null for anon and service_role. */
  userId: string | null;
  expiresAt: Date | null;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

export interface TokenVerifierOptions {
  fetchTimeoutMs?: number;
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
  clockToleranceSeconds?: number;
}

const SYMMETRIC_ALGS = ['HS256'] as const;
const ASYMMETRIC_ALGS = ['RS256', 'ES256'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Compact JWS: three base64url segments (an empty signature is how `alg: none` looks).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// The issuer of Supabase's legacy anon and service_role API keys.
const LEGACY_KEY_ISSUER = 'supabase';

const encoder = new TextEncoder();

/**
 * The HS256 secret: SUPABASE_JWT_SECRET (its UTF-8 bytes, as GoTrue uses it); else the
 * local dev secret file, created on first use; else undefined (HS256 is then rejected).
 */
export async function resolveJwtSecret(settings: AuthSettings): Promise<Uint8Array | undefined> {
  if (settings.jwtSecret) return encoder.encode(settings.jwtSecret);
  if (!settings.allowDevSecret) return undefined;
  return encoder.encode(await readOrCreateDevSecret(settings.devSecretFile));
}

async function readOrCreateDevSecret(file: string): Promise<string> {
  const existing = await readSecretFile(file);
  if (existing !== undefined) return existing;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // 48 random bytes → 64 base64url characters (384 bits, above HS256's 256-bit minimum).
  // Written to a temporary file, then hard-linked into place: link() fails when the
  // target exists, so when api, worker and realtime start together exactly one secret
  // wins and nobody ever reads a half-written file.
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary).catch(() => {});
  }
  const created = await readSecretFile(file);
  if (created === undefined) throw new Error(`could not create the development JWT secret at ${file}`);
  return created;
}

async function readSecretFile(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  if (secret.length < 32) throw new Error(`the development JWT secret in ${file} is shorter than 32 characters; delete the file to create a new one`);
  return secret;
}

export async function createTokenVerifier(settings: AuthSettings, options: TokenVerifierOptions = {}): Promise<TokenVerifier> {
  const secret = await resolveJwtSecret(settings);
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  // Created lazily by jose: nothing is fetched until the first asymmetric token, so a
  // JWKS outage never stops the process from starting (HS256 keeps working).
  const jwks = settings.jwksUrl
    ? createRemoteJWKSet(new URL(settings.jwksUrl), {
        timeoutDuration: options.fetchTimeoutMs ?? 3000,
        cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
        cooldownDuration: options.cooldownMs ?? 30_000,
      })
    : undefined;

  async function jwksKey(header: JWSHeaderParameters, input: FlattenedJWSInput) {
    if (!jwks) throw new AuthError('token_invalid', 'token is signed with an asymmetric key but no JWKS URL is configured');
    try {
      return await jwks(header, input);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        throw new AuthError('token_invalid', 'token is signed with a key that is not in the signing key set');
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new AuthUnavailableError(`the signing keys could not be fetched from the JWKS URL (${reason})`, { cause: error });
    }
  }

  async function verify(token: string): Promise<VerifiedToken> {
    if (!token) throw new AuthError('token_missing', 'no bearer token');
    // sb_secret_… / sb_publishable_…: the project's API keys, not JWTs (./api-keys.ts).
    if (isApiKey(token)) return verifyApiKey(token, settings);
    if (!COMPACT_JWS.test(token)) throw new AuthError('token_malformed', 'token is not a compact JWS (header.payload.signature)');
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthError('token_malformed', 'token header is not valid base64url JSON');
    }
    const symmetric = (SYMMETRIC_ALGS as readonly unknown[]).includes(alg);
    if (!symmetric && !(ASYMMETRIC_ALGS as readonly unknown[]).includes(alg)) {
      throw new AuthError('token_invalid', `token signing algorithm is not accepted (accepted: ${[...SYMMETRIC_ALGS, ...ASYMMETRIC_ALGS].join(', ')})`);
    }
    if (symmetric && !secret) throw new AuthError('token_invalid', 'HS256 tokens are not accepted: no JWT secret is configured');

    let payload: JWTPayload;
    try {
      // Only the header's own alg: jose then also checks the key type matches it.
      const verifyOptions = { algorithms: [alg as string], clockTolerance, requiredClaims: ['exp'] };
      // Two calls rather than one with a union key: jose's overloads differ by key type.
      ({ payload } = symmetric && secret ? await jwtVerify(token, secret, verifyOptions) : await jwtVerify(token, jwksKey, verifyOptions));
    } catch (error) {
      throw translate(error);
    }
    return checkClaims(payload, settings);
  }

  return { verify };
}

function translate(error: unknown): Error {
  if (error instanceof AuthError || error instanceof AuthUnavailableError) return error;
  if (error instanceof errors.JWTExpired) return new AuthError('token_expired', 'token has expired');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthError('token_invalid', 'token signature does not match');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return new AuthError('token_invalid', 'token has no valid expiry (exp)');
    if (error.claim === 'nbf') return new AuthError('token_invalid', 'token is not valid yet (nbf)');
    return new AuthError('token_invalid', `token claim "${error.claim}" is not valid`);
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return new AuthError('token_malformed', 'token is not a well-formed JWT');
  return new AuthError('token_invalid', 'token could not be verified');
}

function checkClaims(payload: JWTPayload, settings: AuthSettings): VerifiedToken {
  const role = payload.role;
  if (typeof role !== 'string' || !(DATABASE_ROLES as readonly string[]).includes(role)) {
    throw new AuthError('token_role_invalid', `token role must be one of ${DATABASE_ROLES.join(', ')}`);
  }
  const authenticated = role === 'authenticated';
  // User tokens must carry our audience; API keys (anon, service_role) carry none, but
  // one that does carry an audience must carry ours.
  const aud = payload.aud;
  const audiences = aud === undefined ? [] : Array.isArray(aud) ? aud : [aud];
  if ((authenticated || aud !== undefined) && !audiences.includes(settings.audience)) {
    throw new AuthError('token_wrong_audience', `token audience must be "${settings.audience}"`);
  }
  if (settings.issuer) {
    // Legacy anon/service_role keys say iss "supabase" (or nothing); user tokens must name the project.
    const ok = payload.iss === settings.issuer || (!authenticated && (payload.iss === undefined || payload.iss === LEGACY_KEY_ISSUER));
    if (!ok) throw new AuthError('token_invalid', 'token issuer is not this project');
  }
  if (authenticated && (typeof payload.sub !== 'string' || !UUID.test(payload.sub))) {
    throw new AuthError('token_invalid', 'authenticated token must have a user id (uuid) as sub');
  }
  return {
    caller: { role: role as DatabaseRole, claims: { ...payload } },
    userId: authenticated ? (payload.sub as string) : null,
    expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
  };
}

export interface MintClaims {
  userId?: string;
  role?: DatabaseRole;
  email?: string;
  expiresInSeconds?: number;
}

/** An HS256 token shaped like Supabase's, for the dev CLI and tests. */
export async function mintToken(settings: AuthSettings, claims: MintClaims): Promise<string> {
  const secret = await resolveJwtSecret(settings);
  if (!secret) throw new Error('no JWT secret to sign with: set SUPABASE_JWT_SECRET (the dev secret is disabled here)');
  const role = claims.role ?? 'authenticated';
  if (role === 'authenticated' && (!claims.userId || !UUID.test(claims.userId))) {
    throw new Error('an authenticated token needs userId as a uuid');
  }
  const expiresIn = claims.expiresInSeconds ?? 3600;
  if (!Number.isInteger(expiresIn) || expiresIn < 1) throw new Error('expiresInSeconds must be a whole number ≥ 1');
  const payload: JWTPayload = { role };
  if (claims.email) payload.email = claims.email;
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().setExpirationTime(`${expiresIn}s`);
  if (claims.userId) jwt.setSubject(claims.userId);
  if (role === 'authenticated') jwt.setAudience(settings.audience);
  if (settings.issuer) jwt.setIssuer(settings.issuer);
  return jwt.sign(secret);
}

/**
 * The token of an RFC 6750 `Authorization: Bearer <token>` header (scheme case-insensitive).
 * No header → undefined (the caller decides whether anon is allowed); any other shape → token_malformed.
 */
export function bearerToken(authorizationHeader: string | undefined): string | undefined {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') return undefined;
  const match = /^\s*Bearer +([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorizationHeader);
  if (!match) {
    const scheme = /^\s*bearer\b/i.test(authorizationHeader) ? 'Bearer' : 'other';
    throw new AuthError(
      'token_malformed',
      scheme === 'Bearer' ? 'Authorization header has no valid token after "Bearer "' : 'Authorization header must use the Bearer scheme',
    );
  }
  return match[1];
}
