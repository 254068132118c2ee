/**
 * Token buckets per destination: `perMinute` sends a minute, with bursts of up to one minute's
 * allowance (the way PagerDuty counts ~120 events a minute per routing key). Time is an argument.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes a token if one is available; otherwise returns how long to wait for one. */
  take(key: string, perMinute: number, now: number): { ok: true } | { ok: false; waitMs: number } {
    const capacity = Math.max(1, perMinute);
    const ratePerMs = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    const tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * ratePerMs);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, waitMs: Math.ceil((1 - tokens) / ratePerMs) };
  }
}
