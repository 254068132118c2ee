import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CheckOutcome } from "../../runtime/checks/types.js";
import { monitorUnit, runTick, type TickDeps } from "../../runtime/evaluate/tick.js";
import { createMetrics } from "../../runtime/metrics.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { monitorHistory } from "../../runtime/views/history-view.js";
import { FakeClock } from "./support/fake-clock.js";
import { monitorSpec } from "./support/manifest.js";

const T = Date.parse("2026-12-01T10:00:00Z");
const MIN = 60_000;
// Written as Prometheus alerting rules are (and as `wk import` writes them): the query returns the
// series that break the rule, and nothing while all is well.
const monitor = monitorSpec({ id: "errors", check: { kind: "prometheus", server: "http://prometheus.invalid", query: "rate(http_errors_total[5m]) > 0.1", headers: {}, timeout: "5s" } });

describe("history of a PromQL monitor whose query returns no series while all is well", () => {
  let dir: string;
  let store: SqliteStore;
  let clock: FakeClock;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-empty-vector-"));
    store = SqliteStore.open(dir, T);
    clock = new FakeClock(T);
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const tick = (at: number, outcome: CheckOutcome, spec = monitor) => {
    const deps: TickDeps = {
      store,
      runCheck: Object.assign(async () => outcome, { settlesWithinMs: 0 }),
      clock,
      logger: pino({ level: "silent" }),
      metrics: createMetrics({ alertStates: () => ({}), outboxDepth: () => 0, declaredSecrets: [], missingSecrets: () => [] }),
      context: { startedAt: new Date(T), signal: new AbortController().signal, secret: () => undefined, inbound: store },
    };
    return runTick(monitorUnit(spec, undefined, null), at, deps);
  };
  const series = (value: number): CheckOutcome => ({ kind: "results", results: [{ ok: true, value, message: "", labels: { route: "/pay" }, details: {}, durationMs: 20 }] });
  const none: CheckOutcome = { kind: "results", results: [] };

  it("counts each tick that answered with no series as up: 2 of 60 minutes breaking the rule read 58/60, not 0 %", async () => {
    // Minutes 0-57 all well, 58 and 59 the rule broken.
    for (let m = 0; m < 60; m++) await tick(T + m * MIN, m >= 58 ? series(0.5) : none);
    const h = await monitorHistory(store, "errors", T + 60 * MIN);
    expect(h.uptime.d1).toBeCloseTo(58 / 60, 12);
    expect(h.days.find((d) => d.count > 0)?.uptime).toBeCloseTo(58 / 60, 12);
  });

  it("stops reading erroring once the query answers again, with no series", async () => {
    // onError: "unknown": the error opened no alert whose series could vanish and be recorded.
    const unknown = { ...monitor, onError: "unknown" as const };
    await tick(T, { kind: "error", error: "connect ECONNREFUSED", durationMs: 3, reason: "unreachable" }, unknown);
    expect(store.latestResults().get("errors")?.error).toBeTruthy();
    await tick(T + MIN, none, unknown);
    const latest = store.latestResults().get("errors");
    expect(latest).toMatchObject({ at: T + MIN, ok: true, firing: false, error: null });
  });
});
