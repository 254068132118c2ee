import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createQueuedDelivery } from "../../runtime/notify/queued-delivery.js";
import { connectChecked } from "../../runtime/scale-out/redis-connection.js";
import { RedisRateGate } from "../../runtime/store/redis/rate-gate.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { PagerDutyServer } from "../support/vendors/index.js";
import { captureLogger, intentFor, routingKey, secretsOf } from "./support/harness.js";
import { testManifest, testMonitor, testService } from "./support/manifest.js";
import { dropPrefix, redisAnswers, testPrefix, TEST_REDIS_URL } from "./support/queued.js";

const up = await redisAnswers();
/** A short lease, so a second send (if there is one) comes within the test. */
const LEASE_MS = 2_000;

/**
 * A replica's store connection as `wk run --redis` opens it (no offline queue: commands fail at
 * once while the connection is down), reset by the network just as PagerDuty accepts the trigger.
 */
describe.skipIf(!up)("delivery when the Redis connection drops between the vendor's answer and its record", () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let close: (() => Promise<void>) | null = null;

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    await close?.();
    close = null;
    pd.onRecord = null;
    await dropPrefix(TEST_REDIS_URL, prefix);
  });
  afterAll(async () => pd.stop());

  it("records the sent trigger once the connection is back, and does not page again", async () => {
    prefix = testPrefix();
    const store = new RedisStore(await connectChecked(TEST_REDIS_URL), { prefix });
    const { logger } = captureLogger();
    const manifest = testManifest({
      monitors: [testMonitor("api", { service: "payments" })],
      services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
      secrets: ["PD_ROUTING_PAYMENTS"],
    });
    const delivery = createQueuedDelivery(
      { manifest, store, secrets: secretsOf({ PD_ROUTING_PAYMENTS: routingKey("payments") }), logger, clock: () => Date.now(), registry: new Registry() },
      { redisUrl: TEST_REDIS_URL, prefix, lanes: store, limiter: new RedisRateGate(store.redis, { prefix }), pollMs: 10, leaseMs: LEASE_MS, settings: { pagerDutyEventsUrl: pd.url } },
    );
    close = async () => {
      await delivery.stop(2_000);
      await store.close();
    };
    let dropped = false;
    pd.onRecord = () => {
      if (dropped) return;
      dropped = true;
      // The connection resets and reconnects (about 100 ms later): the answer arrives in between.
      store.redis.disconnect(true);
    };
    delivery.start();
    await store.enqueue(intentFor("api", "trigger", { dedupKey: "wk-blip" }));
    await pd.waitFor(() => pd.events().length >= 1, 10_000);
    // Past the lease, the deferral after a failed record and a job's pick-up: a resend would be in.
    await new Promise((r) => setTimeout(r, LEASE_MS + 6_000));
    expect(pd.events().map((e) => e["event_action"])).toEqual(["trigger"]);
    const [sent] = await store.deliveriesForAlert("wk-blip");
    expect(sent).toMatchObject({ status: "sent", attempts: 1 });
  }, 30_000);
});
