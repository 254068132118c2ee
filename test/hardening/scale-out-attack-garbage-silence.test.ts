import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryService } from "../../runtime/notify/contract.js";
import { createQueuedDelivery } from "../../runtime/notify/queued-delivery.js";
import { RedisRateGate } from "../../runtime/store/redis/rate-gate.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { captureLogger, intentFor, routingKey, secretsOf, until } from "../delivery/support/harness.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { dropPrefix, redisAnswers, testPrefix, TEST_REDIS_URL } from "../delivery/support/queued.js";
import { PagerDutyServer } from "../support/vendors/index.js";

const KEY = routingKey("payments");
const up = await redisAnswers();

/**
 * Someone writes a silence into Redis by hand, or edits one: every notification passes the
 * silence stage, which reads every current silence. One that cannot be read must mute nothing,
 * not fail that stage for every page of every monitor.
 */
describe.skipIf(!up)("a garbage silence key in Redis", () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let raw: Redis;
  let store: RedisStore | null = null;
  let delivery: DeliveryService | null = null;
  const notices: string[] = [];

  beforeAll(async () => {
    await pd.start();
    raw = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    await delivery?.stop(2_000);
    await store?.close();
    delivery = null;
    store = null;
    notices.length = 0;
    await dropPrefix(TEST_REDIS_URL, prefix);
    pd.received.length = 0;
  });
  afterAll(async () => {
    raw.disconnect();
    await pd.stop();
  });

  const plants: Array<[string, string]> = [
    ["matchers that are not JSON", "{not json"],
    ["matchers that are an empty object", "{}"],
    ["matchers whose labels are not strings", JSON.stringify({ monitors: [], services: [], labels: { env: 1 } })],
  ];

  for (const [what, matchers] of plants) {
    it(`${what}: every page is still sent, the silence mutes nothing, and the key is named once`, async () => {
      prefix = testPrefix();
      store = await RedisStore.connect(TEST_REDIS_URL, { prefix, onNotice: (_level, message) => notices.push(message) });
      const manifest = testManifest({
        monitors: [testMonitor("api", { service: "payments" }), testMonitor("db", { service: "payments" })],
        services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
        secrets: ["PD_ROUTING_PAYMENTS"],
      });
      const now = Date.now();
      await raw.hset(`${prefix}:silence:api-hand`, { comment: "by hand", createdBy: "someone", created: String(now), starts: String(now - 60_000), ends: String(now + 3_600_000), matchers });
      await raw.zadd(`${prefix}:silences:ends`, now + 3_600_000, "api-hand");
      await store.enqueue(intentFor("api", "trigger"));
      await store.enqueue(intentFor("db", "trigger"));

      const { logger } = captureLogger();
      delivery = createQueuedDelivery(
        { manifest, store, secrets: secretsOf({ PD_ROUTING_PAYMENTS: KEY }), logger, clock: () => Date.now(), registry: new Registry() },
        {
          redisUrl: TEST_REDIS_URL,
          prefix,
          lanes: store,
          limiter: new RedisRateGate(store.redis, { prefix }),
          pollMs: 10,
          backoff: { initialMs: 50, maxMs: 400 },
          settings: { pagerDutyEventsUrl: pd.url },
        },
      );
      delivery.start();

      await until(() => pd.events().length >= 2, 10_000, "both pages");
      expect(pd.events().map((e) => e["dedup_key"]).sort()).toEqual(["wk-api", "wk-db"]);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(`${prefix}:silence:api-hand`);
      expect(await store.currentSilences(Date.now())).toEqual([]);
    });
  }
});
