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
 * A replica's commands to Redis time out after 5 s (a stalled Redis: a slow command, a fork); the
 * next one may already be answered. Dispatching an intent reads Redis (where it was paged, the
 * silences, what is firing) and then writes its deliveries: a read that timed out must not become
 * a page recorded as not deliverable while the write after it goes through.
 */
describe.skipIf(!up)("a read of the dispatch stages that fails once", () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let store: RedisStore | null = null;
  let delivery: DeliveryService | null = null;

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    await delivery?.stop(2_000);
    await store?.close();
    delivery = null;
    store = null;
    await dropPrefix(TEST_REDIS_URL, prefix);
    pd.received.length = 0;
  });
  afterAll(async () => pd.stop());

  const reads: Array<[string, "currentSilences" | "lastSent" | "isMonitorFiring"]> = [
    ["the silences", "currentSilences"],
    ["where the alert was paged", "lastSent"],
    ["what is firing", "isMonitorFiring"],
  ];

  for (const [what, method] of reads) {
    it(`${what}: the trigger is dispatched again and paged once, and its resolve follows it`, async () => {
      prefix = testPrefix();
      store = await RedisStore.connect(TEST_REDIS_URL, { prefix });
      const manifest = testManifest({
        monitors: [testMonitor("api", { service: "payments" }), testMonitor("site", { service: "payments", inhibits: ["api"] })],
        services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
        secrets: ["PD_ROUTING_PAYMENTS"],
      });
      // The store as the delivery side sees it, with one read that times out as ioredis reports it.
      let failures = 0;
      const flaky = Object.create(store) as RedisStore;
      const original = store[method].bind(store) as (...args: unknown[]) => unknown;
      (flaky as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
        if (failures++ === 0) throw new Error("Command timed out");
        return original(...args);
      };
      await store.enqueue(intentFor("api", "trigger"));
      await store.enqueue(intentFor("api", "resolve"));

      const { logger } = captureLogger();
      delivery = createQueuedDelivery(
        { manifest, store: flaky, secrets: secretsOf({ PD_ROUTING_PAYMENTS: KEY }), logger, clock: () => Date.now(), registry: new Registry() },
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

      await until(() => pd.events().length >= 2, 10_000, "the trigger and the resolve");
      expect(failures).toBeGreaterThan(1);
      expect(pd.events().map((e) => e["event_action"])).toEqual(["trigger", "resolve"]);
      const recorded = await store.deliveriesForAlert("wk-api");
      expect(recorded.map((d) => [d.type, d.status])).toEqual([["trigger", "sent"], ["resolve", "sent"]]);
    });
  }
});
