import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/runtime/support/fake-clock.js";
import { InMemoryInboundEvents } from "../checks/index.js";
import { monitorSpec } from "../../test/runtime/support/manifest.js";
import { deadlineOf, runWithDeadline, selfBounded } from "./run-check.js";

const ctx = () => ({
  now: new Date(0), startedAt: new Date(0), monitorId: "m", code: undefined, inbound: new InMemoryInboundEvents(),
  secret: () => undefined, signal: new AbortController().signal,
});

describe("runWithDeadline", () => {
  it("gives up on a runner that never settles one second after the check's timeout", async () => {
    const clock = new FakeClock(0);
    const monitor = monitorSpec({ id: "m" }); // http, timeout 2s
    expect(deadlineOf(monitor)).toBe(3000);
    let settled = false;
    const outcome = runWithDeadline(() => new Promise(() => undefined), monitor, ctx(), clock).then((o) => ((settled = true), o));
    await clock.advance(2999);
    expect(settled).toBe(false);
    await clock.advance(1);
    expect(await outcome).toEqual({ kind: "error", error: "check did not finish within 3000 ms", durationMs: 3000, reason: "timeout" });
  });

  it("turns a throwing runner into an error outcome and passes results through", async () => {
    const clock = new FakeClock(0);
    const thrown = await runWithDeadline(() => Promise.reject(new Error("boom")), monitorSpec({ id: "m" }), ctx(), clock);
    expect(thrown).toMatchObject({ kind: "error", error: "check threw: boom" });
    const ok = await runWithDeadline(async () => ({ kind: "results", results: [] }), monitorSpec({ id: "m" }), ctx(), clock);
    expect(ok).toEqual({ kind: "results", results: [] });
  });

  it("trusts a runner that bounds itself (runCheck): no timer of its own, throws still become outcomes", async () => {
    const clock = new FakeClock(0);
    let timers = 0;
    const counting = { now: () => clock.now(), setTimer: (fn: () => void, ms: number) => (timers++, clock.setTimer(fn, ms)) };
    const ok = await runWithDeadline(selfBounded(async () => ({ kind: "results", results: [] }), 100), monitorSpec({ id: "m" }), ctx(), counting);
    expect(ok).toEqual({ kind: "results", results: [] });
    const thrown = await runWithDeadline(selfBounded(() => Promise.reject(new Error("boom")), 100), monitorSpec({ id: "m" }), ctx(), counting);
    expect(thrown).toMatchObject({ kind: "error", error: "check threw: boom" });
    expect(timers).toBe(0);
    await runWithDeadline(async () => ({ kind: "results", results: [] }), monitorSpec({ id: "m" }), ctx(), counting);
    expect(timers).toBe(1);
  });
});
