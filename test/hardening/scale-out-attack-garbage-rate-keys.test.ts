import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS } from "../../runtime/notify/backoff.js";
import { RedisRateGate } from "../../runtime/store/redis/rate-gate.js";
import { dropPrefix, redisAnswers, testPrefix, TEST_REDIS_URL } from "../delivery/support/queued.js";

const up = await redisAnswers();

/**
 * Every send to a destination first takes from its shared rate limit (`{p}:rate:<key>`) and looks
 * at the vendor's hold (`{p}:rate:hold:<key>`). A value there that the runtime did not write (by
 * hand, another tool, a replica with a wild clock) must not stop every page to that routing key.
 */
describe.skipIf(!up)("garbage in a destination's rate-limit keys", () => {
  let raw: Redis;
  let prefix = "";
  beforeAll(() => void (raw = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 })));
  afterEach(async () => dropPrefix(TEST_REDIS_URL, prefix));
  afterAll(() => raw.disconnect());

  const now = Date.parse("2026-03-01T00:00:00Z");
  const plants: Array<[string, (prefix: string) => Promise<unknown>]> = [
    ["a hold that is not a number", (p) => raw.set(`${p}:rate:hold:pagerduty:abc`, "soon")],
    ["a hold that is not a string", (p) => raw.sadd(`${p}:rate:hold:pagerduty:abc`, "x")],
    ["a hold years ahead, without an expiry", (p) => raw.set(`${p}:rate:hold:pagerduty:abc`, String(now + 3 * 365 * 86_400_000))],
    ["a send log that is not a sorted set", (p) => raw.set(`${p}:rate:pagerduty:abc`, "garbage")],
  ];

  for (const [what, plant] of plants) {
    it(`${what}: the send is let through, and the limit still holds afterwards`, async () => {
      prefix = testPrefix();
      const gate = new RedisRateGate(new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }), { prefix });
      await plant(prefix);
      await expect(gate.take("pagerduty:abc", 2, now)).resolves.toEqual({ ok: true });
      await expect(gate.take("pagerduty:abc", 2, now + 1)).resolves.toEqual({ ok: true });
      const third = await gate.take("pagerduty:abc", 2, now + 2);
      expect(third.ok).toBe(false);
      // A hold the runtime sets itself still holds.
      await gate.holdOff("pagerduty:other", now + MAX_RETRY_AFTER_MS, now);
      await expect(gate.take("pagerduty:other", 2, now + 1_000)).resolves.toEqual({ ok: false, waitMs: MAX_RETRY_AFTER_MS - 1_000 });
    });
  }
});
