import type { Awaitable } from "../awaitable.js";
import { MAX_HOLD_MS } from "./backoff.js";

/** A rate-limit token taken, or how long to wait for one. */
export type RateTake = { ok: true } | { ok: false; waitMs: number };

/**
 * Per-destination send limits as the retry stage uses them. In-process for the embedded runtime
 * (RateLimiter); shared by every replica in scale-out (store/redis/rate-gate.ts).
 */
export interface RateGate {
  /**
   * Takes `requests` sends (default 1) for `key` if the limit allows them all now, else none: an
   * attempt that makes two requests (OpsGenie reads a request's status first) counts both.
   */
  take(key: string, perMinute: number, now: number, requests?: number): Awaitable<RateTake>;
  /** Holds every send for `key` until `until`: the vendor asked us to wait (Retry-After). */
  holdOff(key: string, until: number, now: number): Awaitable<void>;
}

/**
 * Token buckets per destination: `perMinute` sends a minute, with bursts of up to one minute's
 * allowance (the way PagerDuty counts ~120 events a minute per routing key). Time is an argument.
 */
export class RateLimiter implements RateGate {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly holds = new Map<string, number>();

  /** Takes `requests` tokens if they are available; otherwise returns how long to wait for them. */
  take(key: string, perMinute: number, now: number, requests = 1): RateTake {
    const hold = this.holds.get(key);
    // A hold further ahead than any vendor asks was set before the clock stepped back: it is over.
    if (hold !== undefined) {
      if (hold > now && hold - now <= MAX_HOLD_MS) return { ok: false, waitMs: hold - now };
      this.holds.delete(key);
    }
    const capacity = Math.max(1, perMinute);
    const ratePerMs = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    const tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.at) * ratePerMs);
    // More than a full bucket can never be had at once: such an attempt waits for a full one.
    const need = Math.min(Math.max(1, requests), capacity);
    if (tokens >= need) {
      this.buckets.set(key, { tokens: tokens - need, at: now });
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, waitMs: Math.ceil((need - tokens) / ratePerMs) };
  }

  holdOff(key: string, until: number, now: number): void {
    const held = this.holds.get(key) ?? 0;
    if (until > now && (until > held || held - now > MAX_HOLD_MS)) this.holds.set(key, until);
  }
}
