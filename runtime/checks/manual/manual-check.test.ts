import { describe, expect, it } from "vitest";
import { checkContext } from "../../../test/support/check-context.js";
import { InMemoryInboundEvents } from "../inbound-memory.js";
import { runManualCheck } from "./manual-check.js";

const spec = { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Checkout is broken" } as const;
const pressAt = Date.parse("2026-03-01T12:00:00Z");

function ctx(nowIso: string, inbound: InMemoryInboundEvents, emergencyHoldMs?: number) {
  return checkContext({ now: new Date(nowIso), monitorId: "emergency", inbound, emergencyHoldMs });
}

describe("manual (emergency button) check", () => {
  it("is ok until the button is pressed", async () => {
    const [result] = await runManualCheck(spec, ctx("2026-03-01T12:00:00Z", new InMemoryInboundEvents()));
    expect(result!.ok).toBe(true);
  });

  it("a press fails the check with the reporter's message and keeps failing for the hold time", async () => {
    const inbound = new InMemoryInboundEvents();
    inbound.recordEmergency("emergency", pressAt, "payments return 500 for all EU customers");
    const [pressed] = await runManualCheck(spec, ctx("2026-03-01T12:00:30Z", inbound));
    expect(pressed!.ok).toBe(false);
    expect(pressed!.message).toBe("Checkout is broken pressed at 2026-03-01T12:00:00.000Z: payments return 500 for all EU customers");
    const [stillFiring] = await runManualCheck(spec, ctx("2026-03-01T12:59:59Z", inbound));
    expect(stillFiring!.ok).toBe(false);
    const [expired] = await runManualCheck(spec, ctx("2026-03-01T13:00:00Z", inbound));
    expect(expired!.ok).toBe(true);
  });

  it("the hold time is configurable", async () => {
    const inbound = new InMemoryInboundEvents();
    inbound.recordEmergency("emergency", pressAt, "help");
    const [result] = await runManualCheck(spec, ctx("2026-03-01T12:10:00Z", inbound, 5 * 60_000));
    expect(result!.ok).toBe(true);
  });

  it("resolving the emergency (from PagerDuty) clears it, and a new press fires again", async () => {
    const inbound = new InMemoryInboundEvents();
    inbound.recordEmergency("emergency", pressAt, "help");
    inbound.recordEmergencyResolved("emergency", pressAt + 60_000);
    const [resolved] = await runManualCheck(spec, ctx("2026-03-01T12:02:00Z", inbound));
    expect(resolved!.ok).toBe(true);
    inbound.recordEmergency("emergency", pressAt + 120_000, "again");
    const [again] = await runManualCheck(spec, ctx("2026-03-01T12:03:00Z", inbound));
    expect(again!.ok).toBe(false);
  });
});
