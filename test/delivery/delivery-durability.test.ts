import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PagerDutyServer } from "../support/vendors/index.js";
import { intentFor, makeHarness, routingKey, until, type Harness } from "./support/harness.js";
import { testManifest, testMonitor, testService } from "./support/manifest.js";

const KEY = routingKey("payments");
const manifest = testManifest({
  monitors: [testMonitor("api", { service: "payments" }), testMonitor("db", { service: "payments" })],
  services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
  secrets: ["PD_ROUTING_PAYMENTS"],
});

describe("durable delivery to PagerDuty by service", () => {
  const pd = new PagerDutyServer();
  const harnesses: Harness[] = [];
  const open = (o: Partial<Parameters<typeof makeHarness>[0]> = {}) => {
    const h = makeHarness({ manifest, secrets: { PD_ROUTING_PAYMENTS: KEY }, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url } }, ...o });
    harnesses.push(h);
    return h;
  };

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    pd.heal();
    pd.received.length = 0;
    for (const h of harnesses.splice(0)) await h.destroy();
  });
  afterAll(async () => pd.stop());

  it("sends a trigger and then a resolve with the same dedup key", async () => {
    const h = open();
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    h.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 2);
    const [trigger, resolve] = pd.events();
    expect(trigger).toMatchObject({ routing_key: KEY, event_action: "trigger", dedup_key: "wk-api" });
    expect(resolve).toMatchObject({ event_action: "resolve", dedup_key: "wk-api" });
    expect(h.store.depth()).toBe(0);
  });

  it("loses nothing and keeps per-key order while the vendor answers 500 and 429 for a while", async () => {
    const h = open();
    pd.failNext(4, { status: 500, body: { status: "error" } });
    pd.failNext(3, { status: 429, body: { status: "throttle event" }, headers: { "retry-after": "0" } });
    h.delivery.start();
    for (let i = 0; i < 5; i++) {
      h.enqueue(intentFor("api", "trigger", { dedupKey: `wk-api-${i}` }));
      h.enqueue(intentFor("db", "trigger", { dedupKey: `wk-db-${i}` }));
      h.enqueue(intentFor("api", "resolve", { dedupKey: `wk-api-${i}` }));
      h.enqueue(intentFor("db", "resolve", { dedupKey: `wk-db-${i}` }));
    }
    await pd.waitFor(() => pd.events().length === 20, 15_000);
    expect(pd.received.some((r) => r.status === 500)).toBe(true);
    const byKey = new Map<string, string[]>();
    for (const e of pd.events()) byKey.set(e["dedup_key"] as string, [...(byKey.get(e["dedup_key"] as string) ?? []), e["event_action"] as string]);
    expect(byKey.size).toBe(10);
    for (const actions of byKey.values()) expect(actions).toEqual(["trigger", "resolve"]);
  });

  it("a restart in the middle of a retry sends each event once", async () => {
    const first = open();
    pd.failFor(60_000, { status: 503, body: "down" });
    first.delivery.start();
    first.enqueue(intentFor("api", "trigger"));
    await pd.waitFor((r) => r.filter((x) => x.status === 503).length >= 2);
    await first.close();
    pd.heal();
    pd.received.length = 0;

    const second = open({ dir: first.dir, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url }, backoff: { initialMs: 10, maxMs: 20 } } });
    second.delivery.start();
    second.enqueue(intentFor("api", "resolve"));
    await pd.waitFor(() => pd.events().length === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(pd.events().map((e) => e["event_action"])).toEqual(["trigger", "resolve"]);
  });

  it("never re-pages after a restart for an alert already sent", async () => {
    const first = open();
    first.delivery.start();
    first.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    await first.close();
    const second = open({ dir: first.dir });
    second.delivery.start();
    // The state machine would not emit it again, but a replayed trigger must still not page twice.
    second.enqueue(intentFor("api", "trigger"));
    await until(() => second.store.depth() === 0);
    // The replay is recorded as skipped once the delivery stage has judged it.
    await until(() => second.deliveries.forAlert("wk-api").length === 2 && second.deliveries.forAlert("wk-api").every((d) => d.status !== "pending"), 10_000, "the replay judged");
    await new Promise((r) => setTimeout(r, 200));
    expect(pd.events()).toHaveLength(1);
    expect(second.deliveries.forAlert("wk-api").map((d) => d.status)).toEqual(["sent", "skipped"]);
  });

  it("stopping flushes what is queued: intents written just before shutdown still go out", async () => {
    const h = open();
    h.delivery.start();
    for (let i = 0; i < 3; i++) h.enqueue(intentFor("api", "trigger", { dedupKey: `wk-api-flush-${i}` }));
    await h.close();
    expect(pd.events().map((e) => e["dedup_key"]).sort()).toEqual(["wk-api-flush-0", "wk-api-flush-1", "wk-api-flush-2"]);
  });

  it("keeps a delivery waiting, not dropped, while the routing key is missing, and logs the name", async () => {
    const h = open({ secrets: {}, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url }, backoff: { missingSecretWaitMs: 50 } } });
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h.lines.some((l) => l.includes("PD_ROUTING_PAYMENTS")));
    expect(h.deliveries.forAlert("wk-api")[0]).toMatchObject({ status: "pending", attempts: 0 });
    expect(pd.events()).toHaveLength(0);
  });

  it("uses the routing-keys file written by wk deploy when the service has no routing key secret", async () => {
    const fileManifest = testManifest({ monitors: [testMonitor("api", { service: "orders" })], services: [testService("orders")] });
    const h = makeHarness({ manifest: fileManifest, secrets: {}, options: {} });
    harnesses.push(h);
    const keysFile = join(h.dir, "routing-keys.json");
    writeFileSync(keysFile, JSON.stringify({ orders: routingKey("orders") }));
    await h.close();
    const h2 = makeHarness({ manifest: fileManifest, secrets: {}, dir: h.dir, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url, WK_ROUTING_KEYS_FILE: keysFile } } });
    harnesses.push(h2);
    h2.delivery.start();
    h2.enqueue(intentFor("api", "trigger"));
    await pd.waitFor(() => pd.events().length === 1);
    expect(pd.events()[0]).toMatchObject({ routing_key: routingKey("orders"), dedup_key: "wk-api" });
  });
});
