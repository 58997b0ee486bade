/**
 * Remembers tokens already verified, for a minute at most and never past their
 * expiry: a client sends the same access token with every request, and checking its
 * signature each time was measurable under load (HMAC through WebCrypto plus promise
 * hops, ~3 % of the api's CPU at 50 connections). A minute bounds how long a token
 * whose signing key was withdrawn from the JWKS keeps working on this instance.
 */
import type { TokenVerifier, VerifiedToken } from './tokens.js';

const MAX_AGE_MS = 60_000;
/** Enough for every active user of one instance; oldest entries go first. */
const MAX_ENTRIES = 10_000;

export function cacheVerifiedTokens(verifier: TokenVerifier, now: () => number = Date.now): TokenVerifier {
  const cache = new Map<string, { token: VerifiedToken; until: number }>();
  return {
    async verify(token) {
      const hit = cache.get(token);
      if (hit && hit.until > now()) return hit.token;
      if (hit) cache.delete(token);
      const verified = await verifier.verify(token);
      const expires = verified.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(token, { token: verified, until: Math.min(now() + MAX_AGE_MS, expires) });
      return verified;
    },
  };
}
