/** How the retry stage spaces attempts. */
export interface BackoffPolicy {
  /** Delay before the second attempt. */
  initialMs: number;
  /** Longest delay between two attempts. */
  maxMs: number;
  /** Retryable failures stop being retried this long after the first (the delivery is marked failed). */
  giveUpAfterMs: number;
  /** How long to wait before looking again for a secret that is not set. */
  missingSecretWaitMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 1_000,
  maxMs: 60_000,
  giveUpAfterMs: 24 * 3_600_000,
  missingSecretWaitMs: 15_000,
};

/**
 * Exponential backoff with jitter for the attempt after `attempts` failed ones; a vendor's
 * Retry-After wins when it asks for longer. `random` is in [0, 1) and injected for tests.
 */
export function retryDelayMs(policy: BackoffPolicy, attempts: number, retryAfterMs: number | undefined, random: () => number): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempts - 1));
  // Jitter in [50%, 100%] of the step: spreads retries of many alerts without ever retrying early.
  const jittered = Math.round(exponential * (0.5 + random() * 0.5));
  if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.max(retryAfterMs, Math.min(jittered, policy.initialMs));
  return jittered;
}

/**
 * The longest wait a vendor's Retry-After can impose. The vendors document seconds; a larger value
 * (a date in the year 9999, more digits than a number holds) would hold every page to the
 * destination, or its whole routing key, for that long.
 */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** Parses a Retry-After header: delta seconds or an HTTP date, within [0, MAX_RETRY_AFTER_MS]. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const ms = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) * 1000 : Date.parse(text) - now;
  return Number.isNaN(ms) ? undefined : Math.round(Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)));
}

/**
 * The furthest ahead a rate-limit hold is set: a vendor's Retry-After is held to MAX_RETRY_AFTER_MS, a
 * throttle without one to the backoff's cap. A hold further ahead was not set on the clock as it
 * reads now (it stepped back since), or not by a runtime at all.
 */
export const MAX_HOLD_MS = Math.max(MAX_RETRY_AFTER_MS, DEFAULT_BACKOFF.maxMs);
