import type { Redis, Result } from "ioredis";
import { MAX_HOLD_MS } from "../../notify/backoff.js";
import type { RateGate, RateTake } from "../../notify/rate-limiter.js";
import { RATE_HOLD, RATE_TAKE } from "./scripts.js";

declare module "ioredis" {
  interface RedisCommander<Context> {
    wkRateTake(prefix: string, key: string, limit: string, windowMs: string, now: string, requests: string, maxHoldMs: string): Result<number, Context>;
    wkRateHold(prefix: string, key: string, until: string, now: string): Result<number, Context>;
  }
}

export interface RedisRateGateOptions {
  /** Keys are `${prefix}:rate:...`: the store's prefix, so every replica shares the limit. */
  prefix: string;
  /** The window a destination's per-minute limit counts over (ms). 60 000; tests shorten it. */
  windowMs?: number;
}

/**
 * Per-destination rate limits shared by every replica on one Redis: at most `perMinute` sends in
 * any window (a sliding log of send times per rate key, one Lua script per take), and nothing
 * while a vendor's Retry-After holds the key. PagerDuty counts per routing key, so two services
 * sharing a key share its limit.
 */
export class RedisRateGate implements RateGate {
  private readonly prefix: string;
  private readonly windowMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisRateGateOptions,
  ) {
    this.prefix = options.prefix;
    this.windowMs = options.windowMs ?? 60_000;
    const define = (name: string, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    };
    define("wkRateTake", RATE_TAKE);
    define("wkRateHold", RATE_HOLD);
  }

  async take(key: string, perMinute: number, now: number, requests = 1): Promise<RateTake> {
    if (!Number.isFinite(perMinute)) return { ok: true };
    const limit = Math.max(1, Math.floor(perMinute));
    const need = Math.min(Math.max(1, Math.floor(requests)), limit);
    const waitMs = Number(await this.redis.wkRateTake(this.prefix, key, String(limit), String(this.windowMs), String(now), String(need), String(MAX_HOLD_MS)));
    return waitMs <= 0 ? { ok: true } : { ok: false, waitMs };
  }

  async holdOff(key: string, until: number, now: number): Promise<void> {
    await this.redis.wkRateHold(this.prefix, key, String(Math.ceil(until)), String(now));
  }
}
