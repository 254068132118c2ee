import type { Redis, Result } from "ioredis";
import type { CheckOutcome } from "../checks/types.js";

/**
 * Adds one location's outcome to a tick's reports and says what the caller does next, atomically:
 * 1 with the reports when it completed the set and won the right to evaluate, 0 otherwise. Every
 * report also files the tick under its deadline in the deadlines set (NX: the first report's
 * deadline stands), so any replica evaluates it at the deadline if the set never completes or the
 * replica that won the evaluation died before finishing it. The right to evaluate is a lease
 * (`done` with the lease's expiry), made permanent by `finish`; a retried job rewrites its own
 * field and never completes the set twice.
 * KEYS: reports hash, deadlines zset. ARGV: location, outcome JSON, expected count, ttl ms, member, deadline ms, lease ms.
 */
const REPORT = `
local key, deadlines = KEYS[1], KEYS[2]
local loc, expected, ttl = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('HSET', key, loc, ARGV[2])
redis.call('PEXPIRE', key, ttl)
redis.call('ZADD', deadlines, 'NX', ARGV[6], ARGV[5])
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
 * KEYS: reports hash, deadlines zset. ARGV: lease ms, member, retry-at ms.
 */
const CLAIM = `
if redis.call('SET', KEYS[1] .. ':done', 'lease', 'NX', 'PX', tonumber(ARGV[1])) then
  return {1, redis.call('HGETALL', KEYS[1])}
end
if redis.call('GET', KEYS[1] .. ':done') == 'evaluated' then
  redis.call('ZREM', KEYS[2], ARGV[2])
else
  redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[2])
end
return {0}
`;

/** The evaluation committed: the tick is done for good. KEYS: reports hash, deadlines zset. ARGV: ttl ms, member. */
const FINISH = `
redis.call('SET', KEYS[1] .. ':done', 'evaluated', 'PX', tonumber(ARGV[1]))
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    wkLocationReport(...args: string[]): Result<[number, string[]?], Context>;
    wkLocationClaim(...args: string[]): Result<[number, string[]?], Context>;
    wkLocationFinish(...args: string[]): Result<number, Context>;
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
    const define = (name: string, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 2, lua });
    };
    define("wkLocationReport", REPORT);
    define("wkLocationClaim", CLAIM);
    define("wkLocationFinish", FINISH);
  }

  /** `deadlineAt`: when the tick is evaluated with whatever arrived; `leaseMs`: how long an evaluation may take. */
  async report(monitorId: string, scheduledAt: number, location: string, outcome: CheckOutcome, expected: number, deadlineAt: number, leaseMs: number): Promise<ReportVerdict> {
    const [code, flat] = await this.redis.wkLocationReport(
      this.key(monitorId, scheduledAt),
      this.deadlines(),
      location,
      JSON.stringify(outcome),
      String(expected),
      String(this.ttlMs),
      member(monitorId, scheduledAt),
      String(deadlineAt),
      String(leaseMs),
    );
    return code === 1 ? { kind: "evaluate", outcomes: parse(flat ?? []) } : { kind: "wait" };
  }

  /** At the deadline: the reports so far, or null when the tick was evaluated or is being evaluated elsewhere. */
  async claim(monitorId: string, scheduledAt: number, now: number, leaseMs: number): Promise<Record<string, CheckOutcome> | null> {
    const [code, flat] = await this.redis.wkLocationClaim(this.key(monitorId, scheduledAt), this.deadlines(), String(leaseMs), member(monitorId, scheduledAt), String(now + leaseMs));
    return code === 1 ? parse(flat ?? []) : null;
  }

  /** The tick's evaluation committed. */
  async finish(monitorId: string, scheduledAt: number): Promise<void> {
    await this.redis.wkLocationFinish(this.key(monitorId, scheduledAt), this.deadlines(), String(this.ttlMs), member(monitorId, scheduledAt));
  }

  /** Ticks whose deadline passed, oldest first; ticks older than the reports' TTL are forgotten. */
  async due(now: number, limit = 100): Promise<DueTick[]> {
    await this.redis.zremrangebyscore(this.deadlines(), "-inf", String(now - this.ttlMs));
    const members = await this.redis.zrangebyscore(this.deadlines(), "-inf", String(now), "LIMIT", 0, limit);
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
