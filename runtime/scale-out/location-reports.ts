import type { Redis, Result } from "ioredis";
import type { CheckOutcome } from "../checks/types.js";

/**
 * Redis's clock in ms: deadlines are judged on it, so a replica whose own clock is minutes off
 * neither files a deadline that is already past (evaluating before the others report) or far
 * ahead, nor finds others' deadlines due early or late.
 */
const REDIS_NOW = `
local function redisNow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Adds one location's outcome to a tick's reports and says what the caller does next, atomically:
 * 1 with the reports when it completed the set and won the right to evaluate, 0 otherwise. Every
 * report also files the tick under its deadline in the deadlines set (NX: the first report's
 * deadline stands), so any replica evaluates it at the deadline if the set never completes or the
 * replica that won the evaluation died before finishing it. The right to evaluate is a lease
 * (`done` with the lease's expiry), made permanent by `finish`; a retried job rewrites its own
 * field and never completes the set twice.
 * KEYS: reports hash, deadlines zset. ARGV: location, outcome JSON, expected count, ttl ms, member, wait ms (the
 * deadline is Redis's now + wait), lease ms.
 */
const REPORT = `${REDIS_NOW}
local key, deadlines = KEYS[1], KEYS[2]
local loc, expected, ttl = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('HSET', key, loc, ARGV[2])
redis.call('PEXPIRE', key, ttl)
redis.call('ZADD', deadlines, 'NX', redisNow() + tonumber(ARGV[6]), ARGV[5])
if redis.call('HLEN', key) >= expected then
  if redis.call('SET', key .. ':done', 'lease', 'NX', 'PX', tonumber(ARGV[7])) then
    return {1, redis.call('HGETALL', key)}
  end
end
return {0}
`;

/**
 * A deadline's claim: the reports so far, unless the tick is evaluated or another replica holds the
 * lease. A claim that loses moves the tick's deadline past the lease, to look again then.
 * KEYS: reports hash, deadlines zset. ARGV: lease ms, member (the retry is at Redis's now + lease).
 */
const CLAIM = `${REDIS_NOW}
if redis.call('SET', KEYS[1] .. ':done', 'lease', 'NX', 'PX', tonumber(ARGV[1])) then
  return {1, redis.call('HGETALL', KEYS[1])}
end
if redis.call('GET', KEYS[1] .. ':done') == 'evaluated' then
  redis.call('ZREM', KEYS[2], ARGV[2])
else
  redis.call('ZADD', KEYS[2], 'XX', redisNow() + tonumber(ARGV[1]), ARGV[2])
end
return {0}
`;

/** The evaluation committed: the tick is done for good. KEYS: reports hash, deadlines zset. ARGV: ttl ms, member. */
const FINISH = `
redis.call('SET', KEYS[1] .. ':done', 'evaluated', 'PX', tonumber(ARGV[1]))
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`;

/**
 * Ticks whose deadline passed on Redis's clock, oldest first; those older than the reports' TTL
 * are forgotten. KEYS: deadlines zset. ARGV: ttl ms, limit.
 */
const DUE = `${REDIS_NOW}
local now = redisNow()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    wkLocationReport(...args: string[]): Result<[number, string[]?], Context>;
    wkLocationClaim(...args: string[]): Result<[number, string[]?], Context>;
    wkLocationFinish(...args: string[]): Result<number, Context>;
    wkLocationDue(...args: string[]): Result<string[], Context>;
  }
}

export type ReportVerdict = { kind: "evaluate"; outcomes: Record<string, CheckOutcome> } | { kind: "wait" };

/** A quorum tick past its deadline and not yet evaluated for good. */
export interface DueTick {
  monitorId: string;
  scheduledAt: number;
}

/** Per-location outcomes of quorum ticks, collected in Redis under the tick's key. */
export class LocationReports {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly ttlMs = 10 * 60_000) {
    const define = (name: string, lua: string, numberOfKeys = 2) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
    };
    define("wkLocationReport", REPORT);
    define("wkLocationClaim", CLAIM);
    define("wkLocationFinish", FINISH);
    define("wkLocationDue", DUE, 1);
  }

  /**
   * `waitMs`: how long after this report (on Redis's clock; the first report's deadline stands) the
   * tick is evaluated with whatever arrived; `leaseMs`: how long an evaluation may take.
   */
  async report(monitorId: string, scheduledAt: number, location: string, outcome: CheckOutcome, expected: number, waitMs: number, leaseMs: number): Promise<ReportVerdict> {
    const [code, flat] = await this.redis.wkLocationReport(
      this.key(monitorId, scheduledAt),
      this.deadlines(),
      location,
      JSON.stringify(outcome),
      String(expected),
      String(this.ttlMs),
      member(monitorId, scheduledAt),
      String(waitMs),
      String(leaseMs),
    );
    return code === 1 ? { kind: "evaluate", outcomes: parse(flat ?? []) } : { kind: "wait" };
  }

  /** At the deadline: the reports so far, or null when the tick was evaluated or is being evaluated elsewhere. */
  async claim(monitorId: string, scheduledAt: number, leaseMs: number): Promise<Record<string, CheckOutcome> | null> {
    const [code, flat] = await this.redis.wkLocationClaim(this.key(monitorId, scheduledAt), this.deadlines(), String(leaseMs), member(monitorId, scheduledAt));
    return code === 1 ? parse(flat ?? []) : null;
  }

  /** The tick's evaluation committed. */
  async finish(monitorId: string, scheduledAt: number): Promise<void> {
    await this.redis.wkLocationFinish(this.key(monitorId, scheduledAt), this.deadlines(), String(this.ttlMs), member(monitorId, scheduledAt));
  }

  /** Ticks whose deadline passed on Redis's clock, oldest first; ticks older than the reports' TTL are forgotten. */
  async due(limit = 100): Promise<DueTick[]> {
    const members = await this.redis.wkLocationDue(this.deadlines(), String(this.ttlMs), String(limit));
    return members.flatMap((m) => {
      const cut = m.lastIndexOf("|");
      const scheduledAt = Number(m.slice(cut + 1));
      return cut > 0 && Number.isFinite(scheduledAt) ? [{ monitorId: m.slice(0, cut), scheduledAt }] : [];
    });
  }

  private key(monitorId: string, scheduledAt: number): string {
    return `${this.prefix}:quorum:${monitorId}:${scheduledAt}`;
  }

  private deadlines(): string {
    return `${this.prefix}:quorum-deadlines`;
  }
}

/** Monitor ids are kebab-case, so `|` separates safely. */
function member(monitorId: string, scheduledAt: number): string {
  return `${monitorId}|${scheduledAt}`;
}

function parse(flat: string[]): Record<string, CheckOutcome> {
  const out: Record<string, CheckOutcome> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = JSON.parse(flat[i + 1]!) as CheckOutcome;
  return out;
}
