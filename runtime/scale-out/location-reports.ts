import type { Redis, Result } from "ioredis";
import type { CheckOutcome } from "../checks/types.js";

/**
 * Adds one location's outcome to a tick's reports and says what the caller does next, atomically:
 * 1 with the reports when it completed the set and won the right to evaluate, 2 when it is the
 * first report (it arms the deadline), 0 otherwise. A retried job rewrites its own field and never
 * completes the set twice; the `done` claim makes the evaluation happen once.
 * ARGV: key, location, outcome JSON, expected count, ttl ms.
 */
const REPORT = `
local key, loc = ARGV[1], ARGV[2]
local expected, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('HSET', key, loc, ARGV[3])
redis.call('PEXPIRE', key, ttl)
local n = redis.call('HLEN', key)
if n >= expected then
  if redis.call('SET', key .. ':done', '1', 'NX', 'PX', ttl) then
    return {1, redis.call('HGETALL', key)}
  end
  return {0}
end
if n == 1 then return {2} end
return {0}
`;

/** The deadline's claim: evaluates with whatever reported, unless the set completed first. ARGV: key, ttl. */
const CLAIM = `
if redis.call('SET', ARGV[1] .. ':done', '1', 'NX', 'PX', tonumber(ARGV[2])) then
  return {1, redis.call('HGETALL', ARGV[1])}
end
return {0}
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    wkLocationReport(...args: string[]): Result<[number, string[]?], Context>;
    wkLocationClaim(...args: string[]): Result<[number, string[]?], Context>;
  }
}

export type ReportVerdict = { kind: "evaluate"; outcomes: Record<string, CheckOutcome> } | { kind: "first" } | { kind: "wait" };

/** Per-location outcomes of quorum ticks, collected in Redis under the tick's key. */
export class LocationReports {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly ttlMs = 10 * 60_000) {
    const define = (name: string, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    };
    define("wkLocationReport", REPORT);
    define("wkLocationClaim", CLAIM);
  }

  async report(monitorId: string, scheduledAt: number, location: string, outcome: CheckOutcome, expected: number): Promise<ReportVerdict> {
    const [code, flat] = await this.redis.wkLocationReport(this.key(monitorId, scheduledAt), location, JSON.stringify(outcome), String(expected), String(this.ttlMs));
    if (code === 1) return { kind: "evaluate", outcomes: parse(flat ?? []) };
    return code === 2 ? { kind: "first" } : { kind: "wait" };
  }

  /** At the deadline: the reports so far, or null when the complete set was evaluated already. */
  async claim(monitorId: string, scheduledAt: number): Promise<Record<string, CheckOutcome> | null> {
    const [code, flat] = await this.redis.wkLocationClaim(this.key(monitorId, scheduledAt), String(this.ttlMs));
    return code === 1 ? parse(flat ?? []) : null;
  }

  private key(monitorId: string, scheduledAt: number): string {
    return `${this.prefix}:quorum:${monitorId}:${scheduledAt}`;
  }
}

function parse(flat: string[]): Record<string, CheckOutcome> {
  const out: Record<string, CheckOutcome> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = JSON.parse(flat[i + 1]!) as CheckOutcome;
  return out;
}
