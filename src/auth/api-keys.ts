/**
 * Supabase's API keys (2025 onwards): `sb_publishable_…` for clients (the anon role) and
 * `sb_secret_…` for servers (the service role), opaque strings rather than JWTs. They are
 * what new projects issue, the legacy anon and service_role JWTs being retired, so the
 * api accepts them wherever it accepts those JWTs: a secret key on the service endpoints,
 * a publishable key where anon is enough (the realtime gateway's `apikey`).
 *
 * A key is recognised by comparing it with the configured ones (SUPABASE_SECRET_KEY,
 * SUPABASE_PUBLISHABLE_KEY; several during a rotation) in constant time, over their
 * SHA-256 digests so that differing lengths reveal nothing either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthSettings } from '../config.js';
import { anonCaller, serviceCaller } from '../db/as-caller.js';
import { AuthError, type VerifiedToken } from './tokens.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

function matches(token: string, keys: readonly string[]): boolean {
  const presented = digest(token);
  // Every key is compared, so the time taken does not say which one (or whether one) matched.
  return keys.reduce((found, key) => timingSafeEqual(presented, digest(key)) || found, false);
}

/** Whether a bearer value is shaped like a Supabase API key rather than a JWT. */
export const isApiKey = (token: string): boolean => token.startsWith('sb_');

/** The caller an API key stands for; token_invalid for a key that is not one of this project's. */
export function verifyApiKey(token: string, settings: Pick<AuthSettings, 'secretKeys' | 'publishableKeys'>): VerifiedToken {
  if (token.startsWith('sb_secret_') && matches(token, settings.secretKeys)) {
    return { caller: serviceCaller, userId: null, expiresAt: null };
  }
  if (token.startsWith('sb_publishable_') && matches(token, settings.publishableKeys)) {
    return { caller: anonCaller, userId: null, expiresAt: null };
  }
  throw new AuthError('token_invalid', 'the API key is not a key of this project');
}
