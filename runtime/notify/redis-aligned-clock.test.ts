import { describe, expect, it } from "vitest";
import { RedisAlignedClock } from "./redis-aligned-clock.js";

const T = 1_767_571_200_000;

/**
 * A replica's own clock, and a Redis whose TIME answers `redisAhead` ms off it at the moment it
 * reads its clock, `readAfterMs` into the call; the answer comes back `tookMs` after the call.
 */
function setup(o: { redisAhead: number; readAfterMs: number; tookMs: number }) {
  let local = T;
  const clock = new RedisAlignedClock(() => local);
  const redis = {
    time: async (): Promise<number[]> => {
      const read = local + o.readAfterMs + o.redisAhead;
      local += o.tookMs;
      return [Math.floor(read / 1000), (read % 1000) * 1000];
    },
  };
  return { clock, redis, local: () => local };
}

describe("a scale-out replica's delivery clock, set to Redis's", () => {
  it("keeps its own time when it is in step with Redis's, within a round trip's noise", async () => {
    const { clock, redis, local } = setup({ redisAhead: 120, readAfterMs: 1, tookMs: 2 });
    await clock.sync(redis);
    expect(clock.now()).toBe(local());
  });

  it("reads Redis's time when its own is minutes off", async () => {
    const { clock, redis, local } = setup({ redisAhead: -5 * 60_000, readAfterMs: 1, tookMs: 2 });
    await clock.sync(redis);
    expect(clock.now()).toBe(local() - 5 * 60_000);
  });

  it("is not moved by an answer the event loop held up: a replica in step with Redis stays in step", async () => {
    // Redis read its clock at once; the answer waited 1.2 s for a busy event loop. Halving the
    // round trip would set this replica 600 ms behind, and a Retry-After it writes would end early.
    const { clock, redis, local } = setup({ redisAhead: 0, readAfterMs: 0, tookMs: 1_200 });
    await clock.sync(redis);
    expect(clock.now()).toBe(local());
  });

  it("is not moved by an answer held up after Redis read its clock late in the call either", async () => {
    const { clock, redis, local } = setup({ redisAhead: 0, readAfterMs: 1_200, tookMs: 1_200 });
    await clock.sync(redis);
    expect(clock.now()).toBe(local());
  });

  it("still reads Redis's time from a slow answer when its own is minutes off, within half the round trip", async () => {
    const { clock, redis, local } = setup({ redisAhead: 5 * 60_000, readAfterMs: 0, tookMs: 1_200 });
    await clock.sync(redis);
    expect(Math.abs(clock.now() - (local() + 5 * 60_000))).toBeLessThanOrEqual(600);
  });
});
