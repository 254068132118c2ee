import { describe, expect, it } from "vitest";
import { checkContext } from "../../../test/support/check-context.js";
import { InMemoryInboundEvents } from "../inbound-memory.js";
import { runWebhookCheck } from "./webhook-check.js";

const spec = { kind: "webhook", format: "nodeping", token: { secret: "NODEPING_TOKEN" } } as const;

describe("webhook (uptime service) check", () => {
  it("is ok before any report arrives", async () => {
    const [result] = await runWebhookCheck(spec, checkContext({ monitorId: "site" }));
    expect(result!.ok).toBe(true);
    expect(result!.message).toBe("no nodeping report received yet");
  });

  it("a down report fails with the service's own message, and a later up report clears it", async () => {
    const inbound = new InMemoryInboundEvents();
    inbound.recordUptimeReport("site", { up: false, message: "HTTP 502 from https://shop.example", at: Date.parse("2026-03-01T11:59:00Z") });
    const [down] = await runWebhookCheck(spec, checkContext({ monitorId: "site", inbound }));
    expect(down!.ok).toBe(false);
    expect(down!.value).toBe(0);
    expect(down!.message).toBe("HTTP 502 from https://shop.example");
    inbound.recordUptimeReport("site", { up: true, message: "", at: Date.parse("2026-03-01T12:00:00Z") });
    const [up] = await runWebhookCheck(spec, checkContext({ monitorId: "site", inbound }));
    expect(up!.ok).toBe(true);
  });

  it("a report delivered late does not override a newer one", async () => {
    const inbound = new InMemoryInboundEvents();
    inbound.recordUptimeReport("site", { up: true, message: "", at: 2_000 });
    inbound.recordUptimeReport("site", { up: false, message: "stale", at: 1_000 });
    const [result] = await runWebhookCheck(spec, checkContext({ monitorId: "site", inbound }));
    expect(result!.ok).toBe(true);
  });
});
