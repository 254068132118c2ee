import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PagerDutyServer } from "../support/vendors/index.js";
import { intentFor, makeHarness, routingKey, until, type Harness } from "./support/harness.js";
import { testManifest, testMonitor, testService } from "./support/manifest.js";

const KEY = routingKey("cut-off");
const services = [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })];
const before = testManifest({ monitors: [testMonitor("api", { service: "payments" }), testMonitor("gone", { service: "payments" })], services, secrets: ["PD_ROUTING_PAYMENTS"] });
const after = testManifest({ monitors: [testMonitor("api", { service: "payments" })], services, secrets: ["PD_ROUTING_PAYMENTS"] });

/**
 * A trigger whose request was cut off (the runtime stopped while PagerDuty was slow to answer) may
 * have opened an incident: when the rollout that stopped the runtime removes its monitor, the
 * alert's resolve still goes to PagerDuty, so no incident is left open that nothing closes.
 */
describe("a trigger cut off by a stop, then its monitor removed", () => {
  const pd = new PagerDutyServer();
  const harnesses: Harness[] = [];

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    const [first, ...rest] = harnesses.splice(0).reverse();
    for (const h of rest) await h.close();
    await first?.destroy();
    pd.heal();
    pd.received.length = 0;
  });
  afterAll(async () => pd.stop());

  it("sends the resolve of a trigger whose answer the stopping runtime never read", async () => {
    const first = makeHarness({ manifest: before, secrets: { PD_ROUTING_PAYMENTS: KEY }, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url } } });
    harnesses.push(first);
    // PagerDuty takes the event but answers after the runtime's stop has given up waiting.
    pd.failNext(1, { status: 202, body: { status: "success", message: "Event processed", dedup_key: "wk-gone" }, delayMs: 4_000 });
    first.delivery.start();
    first.enqueue(intentFor("gone", "trigger"));
    // The vendor records a request as it answers: the request is on the wire well within this.
    await new Promise((r) => setTimeout(r, 500));
    await first.close();

    const second = makeHarness({ manifest: after, secrets: { PD_ROUTING_PAYMENTS: KEY }, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url } }, dir: first.dir });
    harnesses.push(second);
    // The rollout resolves the removed monitor's alert (runtime/evaluate/rollout.ts).
    second.enqueue(intentFor("gone", "resolve"));
    expect(second.deliveries.forAlert("wk-gone").map((d) => d.status)).toEqual(["pending"]);
    second.delivery.start();
    await pd.waitFor(() => pd.events().some((e) => e["dedup_key"] === "wk-gone" && e["event_action"] === "resolve"), 5_000);
    // The cut-off trigger is not sent again: its monitor is gone.
    await until(() => second.deliveries.forAlert("wk-gone").every((d) => d.status !== "pending"), 5_000, "both deliveries to finish");
    expect(second.deliveries.forAlert("wk-gone").map((d) => [d.type, d.status])).toEqual([["trigger", "skipped"], ["resolve", "sent"]]);
  });
});
