import { describe, expect, it } from "vitest";
import type { Dispatcher } from "undici";
import type { MonitorCode } from "../../sdk/result.js";
import { checkContext } from "../../test/support/check-context.js";
import { CheckError } from "./check-error.js";
import { RunnerContext } from "./runner-context.js";
import { CheckStop } from "./shared/check-stop.js";
import type { CheckContext } from "./types.js";

describe("RunnerContext", () => {
  const code = { run: () => true } as unknown as MonitorCode;
  const tick: CheckContext = checkContext({
    code,
    dispatcher: {} as Dispatcher,
    emergencyHoldMs: 42,
    stopwatch: () => 7,
    peerCertificate: async () => null,
    dnsQuery: async () => ({ answers: [], rcode: "NOERROR" }) as never,
    tcpConnect: async () => ({ ok: true }) as never,
    secretValues: () => ["tick-secret"],
  });

  it("shows the runner every field of the tick's context, with this check's own in front", () => {
    const stop = new CheckStop();
    const secret = (name: string) => (name === "token" ? "check-secret" : undefined);
    const ctx = new RunnerContext(tick, "m-1", stop, 1234, secret);
    for (const key of ["now", "startedAt", "secretValues", "code", "inbound", "dispatcher", "emergencyHoldMs", "stopwatch", "peerCertificate", "dnsQuery", "tcpConnect"] as const) {
      expect(ctx[key], key).toBe(tick[key]);
    }
    expect(ctx.monitorId).toBe("m-1");
    expect(ctx.stop).toBe(stop);
    expect(ctx.signalAbortsBy).toBe(1234);
    expect(ctx.secret("token")).toBe("check-secret");
    // The tick's own signal (the runtime's, aborted only at shutdown) is not the check's.
    expect(ctx.signal).not.toBe(tick.signal);
  });

  it("makes the check's AbortSignal from its stop, and only when a runner asks", () => {
    const stop = new CheckStop();
    const ctx = new RunnerContext(tick, "m-1", stop, 0, () => undefined);
    expect((stop as unknown as { controller: unknown }).controller).toBeNull();
    const signal = ctx.signal;
    expect(ctx.signal).toBe(signal);
    const reason = new CheckError("timeout", "check of m-1 timed out after 5s");
    stop.stop(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it("keeps the tick's context out of reach: its own keys are the check's fields alone", () => {
    const ctx = new RunnerContext(tick, "m-1", new CheckStop(), 0, () => undefined);
    expect(Object.keys(ctx).sort()).toEqual(["monitorId", "secret", "signalAbortsBy", "stop"]);
    expect(JSON.stringify(ctx)).not.toContain("tick-secret");
  });
});
