/**
 * The caller's Supabase access token, verified here rather than by the platform's gateway
 * (config.toml sets verify_jwt = false): with asymmetric signing keys Supabase recommends
 * that, and the same checks as the api's (src/auth/tokens.ts) then apply everywhere.
 *
 * HS256 tokens: SUPABASE_JWT_SECRET (the legacy shared secret; locally, `npm start`'s dev
 * secret). RS256/ES256 tokens: the project's signing keys, SUPABASE_JWKS when the platform
 * provides it inline, else fetched from SUPABASE_URL's JWKS endpoint and cached.
 * Only a signed-in user's token is accepted: aud "authenticated", role authenticated,
 * exp required, sub a uuid. Messages never contain the token or any part of it.
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'npm:jose@6.2.18';
import type { JSONWebKeySet, JWTPayload } from 'npm:jose@6.2.18';
import { Problem } from './problem.ts';

export interface UserClaims extends JWTPayload {
  sub: string;
  role: 'authenticated';
}

const AUDIENCE = 'authenticated';
// As the api: a request in flight while supabase-js refreshes should not bounce.
const CLOCK_TOLERANCE_SECONDS = 30;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASYMMETRIC = ['RS256', 'ES256'];

const encoder = new TextEncoder();
const secretText = Deno.env.get('SUPABASE_JWT_SECRET');
const secret = secretText ? encoder.encode(secretText) : undefined;
const signingKeys = keySet();

function keySet() {
  const inline = Deno.env.get('SUPABASE_JWKS');
  if (inline) {
    try {
      return createLocalJWKSet(JSON.parse(inline) as JSONWebKeySet);
    } catch {
      console.warn('SUPABASE_JWKS is not a JSON key set; asymmetric tokens fall back to the JWKS URL');
    }
  }
  const project = Deno.env.get('SUPABASE_URL');
  if (!project) return undefined;
  return createRemoteJWKSet(new URL(`${project.replace(/\/+$/, '')}/auth/v1/.well-known/jwks.json`), {
    timeoutDuration: 3000, cacheMaxAge: 600_000, cooldownDuration: 30_000,
  });
}

const unauthorized = (code: 'token_missing' | 'token_malformed' | 'token_invalid' | 'token_expired' | 'token_wrong_audience' | 'token_role_invalid', detail: string) =>
  new Problem(401, code, detail);

export function bearerToken(request: Request): string {
  const header = request.headers.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('token_missing', 'no bearer token: send Authorization: Bearer <access token>');
  return match[1];
}

/** The verified claims of the signed-in user who sent the request; a 401 Problem otherwise. */
export async function verifyUser(request: Request): Promise<UserClaims> {
  return userClaims(await verifiedPayload(bearerToken(request)));
}

export type Caller = { kind: 'user'; claims: UserClaims } | { kind: 'service' };

/**
 * A signed-in user, or the project itself: a database webhook or a server calling with one
 * of the project's secret keys (SUPABASE_SECRET_KEYS, Supabase's default secret; or the
 * legacy SUPABASE_SERVICE_ROLE_KEY) or a verified service_role token.
 */
export async function verifyCaller(request: Request): Promise<Caller> {
  const token = bearerToken(request);
  if (token.startsWith('sb_')) {
    if (secretKeys.some((key) => sameText(key, token))) return { kind: 'service' };
    throw unauthorized('token_invalid', 'the key is not one of this project\'s secret keys');
  }
  if (legacyServiceKey && sameText(legacyServiceKey, token)) return { kind: 'service' };
  const payload = await verifiedPayload(token);
  if (payload.role === 'service_role') return { kind: 'service' };
  return { kind: 'user', claims: userClaims(payload) };
}

const secretKeys = projectSecretKeys();
const legacyServiceKey = Deno.env.get('SUPABASE_SERVICE_ROLE_KEY');

/** SUPABASE_SECRET_KEYS: a JSON object of the project's secret keys by name. */
function projectSecretKeys(): string[] {
  const raw = Deno.env.get('SUPABASE_SECRET_KEYS');
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    const values = parsed && typeof parsed === 'object' ? Object.values(parsed as Record<string, unknown>) : [];
    return values.filter((v): v is string => typeof v === 'string' && v.startsWith('sb_secret_'));
  } catch {
    console.warn('SUPABASE_SECRET_KEYS is not a JSON object; secret keys are not accepted');
    return [];
  }
}

/** Compares in time independent of where the texts differ: a key must not be guessable byte by byte. */
function sameText(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let difference = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) difference |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return difference === 0;
}

async function verifiedPayload(token: string): Promise<JWTPayload> {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw unauthorized('token_malformed', 'token is not a well-formed JWT');
  }
  let payload: JWTPayload;
  try {
    const options = { algorithms: [String(alg)], clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['exp'] };
    if (alg === 'HS256') {
      if (!secret) throw unauthorized('token_invalid', 'HS256 tokens are not accepted: no JWT secret is configured');
      ({ payload } = await jwtVerify(token, secret, options));
    } else if (ASYMMETRIC.includes(String(alg))) {
      if (!signingKeys) throw unauthorized('token_invalid', 'token is signed with an asymmetric key but no signing keys are configured');
      ({ payload } = await jwtVerify(token, signingKeys, options));
    } else {
      throw unauthorized('token_invalid', 'token signing algorithm is not accepted (accepted: HS256, RS256, ES256)');
    }
  } catch (error) {
    throw translate(error);
  }
  return payload;
}

function userClaims(payload: JWTPayload): UserClaims {
  // The role first, as the api checks it: an API key (anon) is not a user's token, whatever its audience.
  if (payload.role !== 'authenticated') throw unauthorized('token_role_invalid', 'a signed-in user\'s token is required');
  const audiences = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(AUDIENCE)) throw unauthorized('token_wrong_audience', `token audience must be "${AUDIENCE}"`);
  if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) throw unauthorized('token_invalid', 'token must have a user id (uuid) as sub');
  return payload as UserClaims;
}

function translate(error: unknown): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof errors.JWTExpired) return unauthorized('token_expired', 'token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return unauthorized('token_wrong_audience', `token audience must be "${AUDIENCE}"`);
    return unauthorized('token_invalid', `token claim "${error.claim}" is not valid`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return unauthorized('token_invalid', 'token signature does not match');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return unauthorized('token_malformed', 'token is not a well-formed JWT');
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError) || error.code === 'ERR_JOSE_GENERIC') {
    // The keys could not be fetched: the token may be fine, so not a 401.
    return new Problem(503, 'auth_unavailable', 'the signing keys could not be fetched; retry shortly', { 'Retry-After': '30' });
  }
  return unauthorized('token_invalid', 'token could not be verified');
}
