import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import type { CheckRunner } from "../../runtime/evaluate/run-check.js";
import { createLogger } from "../../runtime/logger.js";
import { createQueuedDelivery } from "../../runtime/notify/queued-delivery.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { RedisRateGate } from "../../runtime/store/redis/rate-gate.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { OwnRedis } from "../support/redis-server.js";
import { PagerDutyServer } from "../support/vendors/index.js";
import { routingKey } from "./support/harness.js";
import { testManifest, testMonitor, testService } from "./support/manifest.js";

const KEY = routingKey("payments");
const PREFIX = "wk";

const failing: CheckRunner = async () => ({
  kind: "results",
  results: [{ ok: false, value: 503, message: "HTTP 503 from /health", labels: {}, details: {}, durationMs: 1 }],
});

/** The alerts as a fresh connection reads them straight from Redis. */
async function alertsInRedis(url: string): Promise<Array<{ dedupKey: string; state: string }>> {
  const store = new RedisStore(new Redis(url, { maxRetriesPerRequest: 1 }), { prefix: PREFIX });
  try {
    return (await store.allAlerts()).map((a) => ({ dedupKey: a.dedupKey, state: a.state }));
  } finally {
    await store.close();
  }
}

describe("Redis durability: AOF with fsync on every write", () => {
  const pd = new PagerDutyServer();
  let redis: OwnRedis | null = null;
  let runtime: Runtime | null = null;
  let dir = "";

  afterEach(async () => {
    await runtime?.stop();
    runtime = null;
    await redis?.stop();
    redis = null;
    await pd.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("a Redis killed with -9 and restarted loses neither the firing alert nor its queued page, which goes out once", async () => {
    await pd.start();
    redis = new OwnRedis();
    await redis.start();
    dir = await mkdtemp(join(tmpdir(), "wk-durable-"));
    const url = redis.url;
    const manifest = testManifest({
      monitors: [testMonitor("api", { service: "payments", schedule: { kind: "every", every: "1h" } })],
      services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
      secrets: ["PD_ROUTING_PAYMENTS"],
    });
    const store = await RedisStore.connect(url, { prefix: PREFIX });
    const quiet = new Writable({ write: (_c, _e, done) => done() });
    runtime = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      openStore: async () => store,
      delivery: (deps) =>
        createQueuedDelivery(deps, {
          redisUrl: url,
          prefix: PREFIX,
          lanes: store,
          limiter: new RedisRateGate(store.redis, { prefix: PREFIX }),
          settings: { pagerDutyEventsUrl: pd.url },
          backoff: { initialMs: 100, maxMs: 300 },
          sendTimeoutMs: 1_000,
          // Longer than one attempt; short so a send cut off by the crash is taken again quickly.
          leaseMs: 3_000,
          sweepMs: 500,
          sweepGraceMs: 1_000,
        }),
      logger: createLogger({ secretValues: () => [KEY], destination: quiet }),
      secrets: createSecretSource({ declared: ["PD_ROUTING_PAYMENTS"], env: { PD_ROUTING_PAYMENTS: KEY }, now: () => Date.now() }),
      runCheck: failing,
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
      drainTimeoutMs: 1_000,
    });

    // PagerDuty is down: the trigger is accepted by the runtime but not by the vendor.
    pd.failFor(60_000, { status: 500, body: { status: "error" } });
    await runtime.start();
    await runtime.tickNow("api");
    const [alert] = await runtime.store.alertsOf("api");
    expect(alert).toMatchObject({ state: "firing" });
    await pd.waitFor((r) => r.filter((x) => x.status === 500).length >= 2, 10_000);
    expect(pd.accepted()).toHaveLength(0);

    await redis.kill();
    await new Promise((r) => setTimeout(r, 300));
    await redis.start();
    expect(await alertsInRedis(url)).toEqual([{ dedupKey: alert!.dedupKey, state: "firing" }]);

    // PagerDuty recovers: the queued trigger goes out exactly once, with the alert's dedup key.
    pd.heal();
    await pd.waitFor(() => pd.events().length >= 1, 20_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(pd.events().map((e) => [e["event_action"], e["dedup_key"]])).toEqual([["trigger", alert!.dedupKey]]);
    const [after] = await runtime.store.alertsOf("api");
    expect(after).toMatchObject({ state: "firing", dedupKey: alert!.dedupKey });
    // The vendor answers before the runtime records the delivery sent: wait for the record.
    await expect.poll(async () => (await store.deliveriesForAlert(alert!.dedupKey)).map((d) => d.status), { timeout: 10_000 }).toEqual(["sent"]);
  }, 60_000);
});
