import { randomUUID } from "node:crypto";
import type { Redis, Result } from "ioredis";
import { byCodeUnits } from "../text/compare.js";

/** What a replica says about itself in its heartbeat (status page, /readyz). */
export interface ReplicaInfo {
  id: string;
  location: string;
  manifest: string;
  host: string;
  pid: number;
  startedAt: string;
  /** How far this replica's clock is ahead of Redis's (ms), as of its previous beat; absent from older builds. */
  clockAheadMs?: number;
}

/**
 * One heartbeat: refreshes this replica's registration (a key with a TTL and its score in the
 * live sets) and decides which manifest owns the schedules, atomically. The owner is the manifest
 * first seen most recently among those some live replica runs: a rollout hands the schedules to
 * the new version as soon as one of its replicas beats, an old replica restarting mid-rollout does
 * not take them back, and a rollback takes effect when the newer version's replicas are gone.
 * It also answers the data's epoch: a random id the first beat on an empty Redis writes, so a
 * replica that sees it change knows Redis lost its data (restarted without persistence, flushed).
 * Time is Redis's own (TIME), not the replica's: a replica whose clock is off must not make the
 * others look dead, look dead itself, or win the schedules for an older manifest.
 * ARGV: prefix, replica id, manifest hash, location, (unused: the replica's clock), ttl, info
 * JSON, a new epoch id. Returns { owner hash (nil when none), epoch, Redis's time in ms, when the
 * owner became the owner ("" when none) }: a replica that missed the beats in which another manifest
 * owned the schedules still learns that its own took them anew.
 */
const HEARTBEAT = `
local p, id, hash, loc = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local time = redis.call('TIME')
local now, ttl = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000), tonumber(ARGV[6])
local expires = now + ttl
redis.call('SET', p .. ':replica:' .. id, ARGV[7], 'PX', ttl)
redis.call('ZADD', p .. ':replicas', expires, id)
redis.call('ZADD', p .. ':replicas:manifest:' .. hash, expires, id)
redis.call('ZADD', p .. ':replicas:location:' .. loc, expires, id)
redis.call('SADD', p .. ':locations', loc)
redis.call('SET', p .. ':epoch', ARGV[8], 'NX')
redis.call('HSETNX', p .. ':manifest:seen', hash, now)
redis.call('ZREMRANGEBYSCORE', p .. ':replicas', '-inf', now)
local seen = redis.call('HGETALL', p .. ':manifest:seen')
local best, bestAt = nil, -1
for i = 1, #seen, 2 do
  -- A value edited by hand to something else counts as first seen at 0 instead of failing every beat.
  local h, at = seen[i], tonumber(seen[i + 1]) or 0
  local key = p .. ':replicas:manifest:' .. h
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) > 0 and (at > bestAt or (at == bestAt and h > best)) then
    best, bestAt = h, at
  end
end
local current = redis.call('HGET', p .. ':manifest:owner', 'hash')
if current ~= best then
  redis.call('HSET', p .. ':manifest:owner', 'hash', best, 'since', now)
end
return { best or false, redis.call('GET', p .. ':epoch'), string.format('%d', now), redis.call('HGET', p .. ':manifest:owner', 'since') or '' }
`;

/** Removes a replica that stops gracefully, so the others need not wait for its TTL. */
const LEAVE = `
local p, id, hash, loc = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('DEL', p .. ':replica:' .. id)
redis.call('ZREM', p .. ':replicas', id)
redis.call('ZREM', p .. ':replicas:manifest:' .. hash, id)
redis.call('ZREM', p .. ':replicas:location:' .. loc, id)
return 1
`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    wkReplicaHeartbeat(...args: string[]): Result<[string | null, string, string, string], Context>;
    wkReplicaLeave(...args: string[]): Result<number, Context>;
  }
}

/** A replica's registration in Redis: heartbeats, the live replicas, and which manifest owns the schedules. */
export class ReplicaRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly self: ReplicaInfo,
    /** A replica missing heartbeats this long is gone. */
    readonly ttlMs: number,
  ) {
    const define = (name: string, lua: string) => {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    };
    define("wkReplicaHeartbeat", HEARTBEAT);
    define("wkReplicaLeave", LEAVE);
  }

  /**
   * How far Redis's clock is ahead of this replica's (ms), as of the last beat: liveness is
   * judged in Redis's time, so reads shift this replica's `now` by it.
   */
  skewMs = 0;

  /**
   * How far the clock BullMQ reads (the process's) is ahead of Redis's, as this replica last
   * judged it: published with each beat, so every replica can tell whose clock is off.
   */
  clockAheadMs = 0;

  /**
   * Beats once; returns the manifest hash that owns the schedules now, the data's epoch, and the
   * clock skew. `clock` reads this replica's time again when Redis answered: the skew is measured
   * from the middle of the round trip, and a beat that took longer than a clock may plausibly be
   * off by (Redis stalled) keeps the last measure instead of reading the stall as skew.
   */
  async beat(now: number, clock: () => number = () => now): Promise<{ owner: string | null; ownerSince: string; epoch: string; skewMs: number }> {
    const s = this.self;
    const info = JSON.stringify({ ...s, clockAheadMs: this.clockAheadMs });
    const [owner, epoch, redisNow, ownerSince] = await this.redis.wkReplicaHeartbeat(this.prefix, s.id, s.manifest, s.location, String(now), String(this.ttlMs), info, randomUUID());
    const after = clock();
    const skew = Number(redisNow) - Math.round((now + after) / 2);
    if (Number.isFinite(skew) && after - now <= MAX_SKEW_ROUND_TRIP_MS) this.skewMs = skew;
    return { owner: owner ?? null, ownerSince: ownerSince ?? "", epoch, skewMs: this.skewMs };
  }

  async leave(): Promise<void> {
    const s = this.self;
    await this.redis.wkReplicaLeave(this.prefix, s.id, s.manifest, s.location);
  }

  /** Live replicas, newest registration data first by id. */
  async replicas(now: number): Promise<ReplicaInfo[]> {
    const ids = await this.redis.zrangebyscore(`${this.prefix}:replicas`, now + this.skewMs, "+inf");
    if (ids.length === 0) return [];
    const infos = await this.redis.mget(ids.map((id) => `${this.prefix}:replica:${id}`));
    return infos.flatMap((text) => parseInfo(text)).sort((a, b) => byCodeUnits(a.id, b.id));
  }

  /** Whether a live replica runs this manifest. */
  async manifestAlive(hash: string, now: number): Promise<boolean> {
    return (await this.redis.zcount(`${this.prefix}:replicas:manifest:${hash}`, now + this.skewMs, "+inf")) > 0;
  }

  /** Whether a live replica runs this manifest in this location. */
  async manifestServes(hash: string, location: string, now: number): Promise<boolean> {
    const since = now + this.skewMs;
    const [running, there] = await Promise.all([
      this.redis.zrangebyscore(`${this.prefix}:replicas:manifest:${hash}`, since, "+inf"),
      this.redis.zrangebyscore(`${this.prefix}:replicas:location:${location}`, since, "+inf"),
    ]);
    const inLocation = new Set(there);
    return running.some((id) => inLocation.has(id));
  }

  /** Of `locations`, those no live replica serves. */
  async unserved(locations: string[], now: number): Promise<string[]> {
    if (locations.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const loc of locations) pipeline.zcount(`${this.prefix}:replicas:location:${loc}`, now + this.skewMs, "+inf");
    const counts = (await pipeline.exec()) ?? [];
    return locations.filter((_, i) => Number(counts[i]?.[1] ?? 0) === 0);
  }
}

/** A heartbeat slower than this says nothing about the clocks (Redis stalled, the event loop held). */
const MAX_SKEW_ROUND_TRIP_MS = 1_000;

/** A registration as stored; one edited by hand into something else is left out rather than failing every replica's /readyz. */
function parseInfo(text: string | null): ReplicaInfo[] {
  if (!text) return [];
  try {
    const info = JSON.parse(text) as Partial<ReplicaInfo> | null;
    return info && typeof info.id === "string" ? [info as ReplicaInfo] : [];
  } catch {
    return [];
  }
}
