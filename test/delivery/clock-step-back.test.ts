import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PagerDutyServer } from "../support/vendors/index.js";
import { intentFor, makeHarness, routingKey, until, type Harness } from "./support/harness.js";
import { testManifest, testMonitor, testService } from "./support/manifest.js";

const KEY = routingKey("clock");
const HOUR = 3_600_000;
const manifest = testManifest({
  monitors: [testMonitor("api", { service: "payments" })],
  services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
  secrets: ["PD_ROUTING_PAYMENTS"],
});

/** NTP correcting a fast clock, or a VM restored from a snapshot, while a page waits to be retried. */
describe("delivery after the wall clock steps back", () => {
  const pd = new PagerDutyServer();
  const harnesses: Harness[] = [];
  let offset = 0;
  const clock = () => Date.now() + offset;
  const open = (dir?: string) => {
    const h = makeHarness({ manifest, secrets: { PD_ROUTING_PAYMENTS: KEY }, clock, options: { env: { WK_PAGERDUTY_EVENTS_URL: pd.url }, backoff: { initialMs: 2_000, maxMs: 2_000 } }, ...(dir ? { dir } : {}) });
    harnesses.push(h);
    return h;
  };

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    const [first, ...rest] = harnesses.splice(0);
    for (const h of rest) await h.close();
    await first?.destroy();
    offset = 0;
    pd.heal();
    pd.received.length = 0;
  });
  afterAll(async () => pd.stop());

  it("retries a page that failed just before the step on the new time, not an hour later", async () => {
    const h = open();
    pd.failNext(1, { status: 500, body: { status: "error" } });
    h.delivery.start();
    h.enqueue(intentFor("api", "trigger"));
    await until(() => h.deliveries.forAlert("wk-api").some((d) => d.attempts === 1), 5_000, "the failed attempt");
    offset = -HOUR;
    await pd.waitFor(() => pd.events().length === 1, 5_000);
    expect(pd.events()[0]).toMatchObject({ event_action: "trigger", dedup_key: "wk-api" });
  });

  it("a runtime started on a clock behind its waiting deliveries (a restored VM) sends them on the new time", async () => {
    const first = open();
    pd.failNext(1, { status: 500, body: { status: "error" } });
    first.delivery.start();
    first.enqueue(intentFor("api", "trigger"));
    await until(() => first.deliveries.forAlert("wk-api").some((d) => d.attempts === 1), 5_000, "the failed attempt");
    await first.close();

    offset = -HOUR;
    const second = open(first.dir);
    second.delivery.start();
    await pd.waitFor(() => pd.events().length === 1, 5_000);
    // The fake has the event before the runtime has read its answer and marked the row sent.
    await until(() => second.deliveries.forAlert("wk-api").every((d) => d.status === "sent"), 5_000, "the delivery marked sent");
    expect(second.deliveries.forAlert("wk-api").map((d) => d.status)).toEqual(["sent"]);
    expect(pd.events()).toHaveLength(1);
  });
});
