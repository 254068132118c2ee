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
    // Redis read its clock at some moment of the round trip: the offset is anywhere from `low` to
    // `high`. An answer a busy event loop held up widens that span; its midpoint would then move a
    // replica in step with Redis by half the hold-up (600 ms for a 1.2 s stall), and a Retry-After
    // it writes would end that much early. Only an offset the whole span puts beyond the noise moves it.
    const low = redisMs - after;
    const high = redisMs + 1 - before;
    const inStep = low < IGNORED_OFFSET_MS && high > -IGNORED_OFFSET_MS;
    this.offsetMs = inStep ? 0 : redisMs - Math.round((before + after) / 2);
    this.syncedAt = after;
  }
}
