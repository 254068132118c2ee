import type { Redis } from "ioredis";

/**
 * Offsets below this are left alone: a replica on NTP reads Redis's clock within a few ms, and
 * moving its times by the noise of one round trip would change nothing but exactness.
 */
const IGNORED_OFFSET_MS = 500;

/**
 * The delivery clock of a scale-out replica, set to Redis's (TIME). Delivery claims, due times,
 * retry times and rate-limit holds are written by one replica and judged by another: on each
 * replica's own clock, one minutes ahead would take a claim still held (a second page) or send
 * before a Retry-After ended, and one minutes behind would wait minutes too long.
 */
export class RedisAlignedClock {
  private offsetMs = 0;
  private syncedAt = -Infinity;

  constructor(private readonly local: () => number) {}

  /** Now on Redis's clock, as last measured (this replica's own until the first measurement). */
  readonly now = (): number => this.local() + this.offsetMs;

  /** Measures the offset again when the last measurement is older than `everyMs`; a failure keeps the last one. */
  async sync(redis: Pick<Redis, "time">, everyMs = 10_000): Promise<void> {
    const before = this.local();
    if (before - this.syncedAt < everyMs) return;
    const [seconds, micros] = await redis.time();
    const after = this.local();
    const redisMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const offset = redisMs - Math.round((before + after) / 2);
    this.offsetMs = Math.abs(offset) < IGNORED_OFFSET_MS ? 0 : offset;
    this.syncedAt = after;
  }
}
