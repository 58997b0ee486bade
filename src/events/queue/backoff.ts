/**
 * Retry delays: exponential with "equal jitter" (half fixed, half random), so a
 * burst of jobs failing together (a provider outage) does not retry in lockstep.
 * Defaults: 1 s, 2 s, 4 s … capped at 1 hour.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60 * 60 * 1000 };

/** Delay before the next attempt after `retryCount` earlier failures (0 for the first). */
export function backoffDelay(retryCount: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(retryCount, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
