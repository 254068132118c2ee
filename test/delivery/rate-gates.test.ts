import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimiter, type RateGate } from "../../runtime/notify/rate-limiter.js";
import { RedisRateGate } from "../../runtime/store/redis/rate-gate.js";
import { OwnRedis } from "../support/redis-server.js";

/**
 * An attempt that makes two requests to a vendor (OpsGenie reads the previous request's status,
 * then sends) takes two sends from the destination's limit, all or none, in both delivery modes.
 */
function conformance(name: string, gate: () => RateGate) {
  describe(`${name}: an attempt of several requests`, () => {
    it("takes them all from the limit, or none and says how long to wait", async () => {
      const g = gate();
      const now = Date.parse("2026-03-01T12:00:00Z");
      const key = `og-${name}-${Math.random()}`;
      expect(await g.take(key, 3, now)).toEqual({ ok: true });
      expect(await g.take(key, 3, now + 1, 2)).toEqual({ ok: true });
      const refused = await g.take(key, 3, now + 2, 2);
      expect(refused.ok).toBe(false);
      expect(refused.ok ? 0 : refused.waitMs).toBeGreaterThan(0);
      // Nothing was taken by the refusal: it is refused again until the window makes room for both.
      expect((await g.take(key, 3, now + 3, 2)).ok).toBe(false);
      expect(await g.take(key, 3, now + 60_001, 2)).toEqual({ ok: true });
    });
  });
  describe(`${name}: a vendor's hold and the wall clock stepping back`, () => {
    it("holds sends for the time the vendor asked, not for the hour the clock stepped back too", async () => {
      const g = gate();
      const now = Date.parse("2026-03-01T12:00:00Z");
      const key = `pd-${name}-${Math.random()}`;
      await g.holdOff(key, now + 60_000, now);
      expect((await g.take(key, 100, now + 1_000)).ok).toBe(false);
      expect(await g.take(key, 100, now + 1_000 - 3_600_000)).toEqual({ ok: true });
    });
  });
}

conformance("in-process", () => new RateLimiter());

const redis = new OwnRedis();
let client: Redis | null = null;
beforeAll(async () => {
  await redis.start();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  client?.disconnect();
  await redis.stop();
});
conformance("Redis", () => new RedisRateGate(client!, { prefix: "wk" }));
