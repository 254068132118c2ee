import pino from "pino";
import { describe, expect, it } from "vitest";
import type { CheckContext } from "../checks/types.js";
import { createMetrics } from "../metrics.js";
import { FakeClock } from "../../test/runtime/support/fake-clock.js";
import { monitorSpec } from "../../test/runtime/support/manifest.js";
import type { EvaluationStore } from "./evaluation-store.js";
import { checkOnce, monitorUnit, type TickDeps } from "./tick.js";

const T = 1_767_571_200_000;

// The context a check runs with is copied field by field (tick.ts, checkContext); a field the copy
// left out would reach no runner, and `wk test --unit`'s simulated checks set most of them.
describe("the context a tick gives its check", () => {
  it("carries every field of the runtime's shared context and the tick's own", async () => {
    const shared: Required<TickDeps["context"]> = {
      startedAt: new Date(T - 60_000),
      signal: new AbortController().signal,
      signalAbortsBy: 123,
      stop: { onStop: () => () => undefined },
      secret: (name) => (name === "TOKEN" ? "t" : undefined),
      secretValues: () => ["t"],
      inbound: { heartbeats: async () => [], webhooks: async () => [] } as unknown as CheckContext["inbound"],
      dispatcher: {} as CheckContext["dispatcher"] & object,
      emergencyHoldMs: 5_000,
      stopwatch: () => 7,
      peerCertificate: async () => null,
      dnsQuery: async () => ({ kind: "answers", answers: [] }),
      tcpConnect: async () => ({ kind: "connected" }),
    };
    let seen: CheckContext | null = null;
    const deps: TickDeps = {
      store: {} as EvaluationStore,
      runCheck: Object.assign(
        async (_monitor: unknown, ctx: CheckContext) => {
          seen = ctx;
          return { kind: "results" as const, results: [] };
        },
        { settlesWithinMs: 0 },
      ),
      clock: new FakeClock(T),
      logger: pino({ level: "silent" }),
      metrics: createMetrics({ alertStates: () => ({}), outboxDepth: () => 0, declaredSecrets: [], missingSecrets: () => [] }),
      context: shared,
    };
    const code = { flags: {} } as unknown as CheckContext["code"];
    await checkOnce(monitorUnit(monitorSpec({ id: "api" }), code, null), T + 10_000, deps);

    const ctx = seen as CheckContext | null;
    expect(ctx).not.toBeNull();
    for (const [field, value] of Object.entries(shared)) expect(ctx![field as keyof CheckContext], field).toBe(value);
    expect(ctx!.now).toEqual(new Date(T + 10_000));
    expect(ctx!.monitorId).toBe("api");
    expect(ctx!.code).toBe(code);
    // Each check gets a Date of its own: a runner that changed it would not move another check's clock.
    const first = ctx!.now;
    await checkOnce(monitorUnit(monitorSpec({ id: "api" }), code, null), T + 10_000, deps);
    expect((seen as CheckContext | null)!.now).not.toBe(first);
  });
});
