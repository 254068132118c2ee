import pino from "pino";
import { describe, expect, it } from "vitest";
import type { NotificationIntent, StoredIntent } from "../alerts/intent.js";
import type { NewDelivery } from "./delivery-queue.js";
import { DISPATCH_RETRY_EVERY_MS, DISPATCH_RETRY_MS, Dispatcher } from "./dispatcher.js";
import type { Stage } from "./pipeline.js";

const T = Date.parse("2026-03-01T00:00:00Z");

function intent(monitorId: string, n: number, type: NotificationIntent["type"] = "trigger"): NotificationIntent {
  const dedupKey = `wk-${monitorId}`;
  return { id: `${dedupKey}:${n}`, type, monitorId, dedupKey, labels: {}, severity: "critical", summary: "s", value: null, details: {}, at: T, firedAt: T };
}

/** An outbox in memory, oldest first, and the deliveries each dispatched intent was recorded with. */
function outbox(intents: NotificationIntent[]) {
  const pending: StoredIntent[] = intents.map((i, n) => ({ seq: n + 1, intent: i, createdAt: T }));
  const recorded: Array<{ id: string; deliveries: NewDelivery[] }> = [];
  return {
    recorded,
    reader: { undispatched: (limit: number) => pending.slice(0, limit), markDispatched: () => undefined, depth: () => pending.length },
    queue: {
      dispatchIntent(stored: StoredIntent, deliveries: NewDelivery[]) {
        pending.splice(pending.indexOf(stored), 1);
        recorded.push({ id: stored.intent.id, deliveries });
        return true;
      },
    },
  };
}

/** Routes every intent to PagerDuty, but throws for the monitors in `broken` (a store read that fails). */
function stages(broken: Set<string>): Stage {
  return async (_ctx, items) => {
    for (const item of items) if (broken.has(item.intent.monitorId)) throw new Error("Command timed out");
    return items.map((item) => ({ ...item, destination: { id: "pd", kind: "service" as const, serviceId: "payments" } }));
  };
}

describe("Dispatcher: an intent whose stages fail", () => {
  it("stays in the outbox with its alert's later intents behind it, while other alerts' intents go", async () => {
    let now = T;
    const broken = new Set(["api"]);
    const box = outbox([intent("api", 1), intent("db", 1), intent("api", 2, "resolve"), intent("db", 2, "resolve")]);
    const dispatcher = new Dispatcher(box.reader, box.queue, stages(broken), pino({ level: "silent" }), () => now);

    await dispatcher.dispatchOnce();
    expect(box.recorded.map((r) => r.id)).toEqual(["wk-db:1", "wk-db:2"]);
    // Not tried again before its second is up, however often the outbox is polled.
    await dispatcher.dispatchOnce();
    expect(box.recorded.map((r) => r.id)).toEqual(["wk-db:1", "wk-db:2"]);

    broken.clear();
    now += DISPATCH_RETRY_EVERY_MS;
    await dispatcher.dispatchOnce();
    expect(box.recorded.map((r) => r.id)).toEqual(["wk-db:1", "wk-db:2", "wk-api:1", "wk-api:2"]);
    expect(box.recorded.every((r) => r.deliveries.every((d) => d.status === "pending"))).toBe(true);
  });

  it("is recorded as not deliverable once it has failed for DISPATCH_RETRY_MS, and its alert's later intents are tried then", async () => {
    let now = T;
    const broken = new Set(["api"]);
    const box = outbox([intent("api", 1), intent("api", 2, "resolve")]);
    const dispatcher = new Dispatcher(box.reader, box.queue, stages(broken), pino({ level: "silent" }), () => now);
    for (; now < T + DISPATCH_RETRY_MS; now += DISPATCH_RETRY_EVERY_MS) {
      await dispatcher.dispatchOnce();
      expect(box.recorded).toEqual([]);
    }
    await dispatcher.dispatchOnce();
    expect(box.recorded.map((r) => [r.id, r.deliveries.map((d) => [d.status, d.reason])])).toEqual([["wk-api:1", [["suppressed", "dispatch error: Command timed out"]]]]);
    broken.clear();
    now += DISPATCH_RETRY_EVERY_MS;
    await dispatcher.dispatchOnce();
    expect(box.recorded.map((r) => r.id)).toEqual(["wk-api:1", "wk-api:2"]);
  });

  it("counts only the intents it looked at, so a caller that reads on while a batch was full stops", async () => {
    const now = T;
    const box = outbox([intent("api", 1), intent("db", 1)]);
    const dispatcher = new Dispatcher(box.reader, box.queue, stages(new Set(["api"])), pino({ level: "silent" }), () => now);
    expect(await dispatcher.dispatchOnce(2)).toBe(2);
    expect(await dispatcher.dispatchOnce(2)).toBe(0);
  });
});
