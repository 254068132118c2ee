import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import type { CommitOutcome } from "../../runtime/alerts/alert-store.js";
import type { EvaluationCommit, EvaluationStore } from "../../runtime/evaluate/evaluation-store.js";
import { monitorUnit, runTick, type TickDeps } from "../../runtime/evaluate/tick.js";
import { createMetrics } from "../../runtime/metrics.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { FakeClock } from "./support/fake-clock.js";
import { monitorSpec } from "./support/manifest.js";

const T = 1_767_571_200_000;
const monitor = monitorSpec({ id: "api" });
const key = alertKey("api", {});

/**
 * The store as Redis serves it through a blip: the next `failures` writes throw as ioredis does
 * with its offline queue off; with `landed`, the failing write reached the store before the
 * connection dropped (the reply was lost, the commit was not).
 */
function blipping(store: SqliteStore, failures: number, landed = false): EvaluationStore & { writes: number } {
  let left = failures;
  const s = {
    writes: 0,
    readAlerts: (id: string) => store.readAlerts(id),
    recordEvaluation(c: EvaluationCommit): CommitOutcome {
      s.writes++;
      if (left > 0) {
        left--;
        if (landed) store.recordEvaluation(c);
        throw new Error("Connection is closed.");
      }
      return store.recordEvaluation(c);
    },
    recordEvaluations: (cs: readonly EvaluationCommit[]) => store.recordEvaluations(cs),
  };
  return s;
}

/** Lets `ms` of fake time pass in small steps, so waits set while the tick runs fire in turn. */
async function pass(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) await clock.advance(50);
}

describe("a Redis blip while a tick's outcome is written", () => {
  let dir: string;
  let store: SqliteStore;
  let clock: FakeClock;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-tick-rewrite-"));
    store = SqliteStore.open(dir, T);
    clock = new FakeClock(T);
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const deps = (s: EvaluationStore, failing = true): TickDeps => ({
    store: s,
    // Settles at once: the fake clock's advance must only drive the rewrites' waits.
    runCheck: Object.assign(async () => ({ kind: "results" as const, results: [{ ok: !failing, value: 1, message: failing ? "down" : "up", labels: {}, details: {}, durationMs: 1 }] }), { settlesWithinMs: 0 }),
    clock,
    logger: pino({ level: "silent" }),
    metrics: createMetrics({ alertStates: () => ({}), outboxDepth: () => 0, declaredSecrets: [], missingSecrets: () => [] }),
    context: { startedAt: new Date(T), signal: new AbortController().signal, secret: () => undefined, inbound: store },
  });

  it("the outcome is written again while the replica's claim on the tick lasts: the alert fires", async () => {
    const s = blipping(store, 3);
    const tick = runTick(monitorUnit(monitor, undefined, null), T, deps(s), { heldUntil: () => T + 4_000 });
    await pass(clock, 4_000);
    expect((await tick).map((i) => i.type)).toEqual(["trigger"]);
    expect(s.writes).toBe(4);
    expect(store.readAlert(key)?.alert.state).toBe("firing");
    expect(store.undispatched(10).map((x) => x.intent.type)).toEqual(["trigger"]);
  });

  it("a firing alert still resolves when the ok is written through a blip", async () => {
    expect((await runTick(monitorUnit(monitor, undefined, null), T, deps(store))).map((i) => i.type)).toEqual(["trigger"]);
    const s = blipping(store, 2);
    const tick = runTick(monitorUnit(monitor, undefined, null), T + 10_000, deps(s, false), { heldUntil: () => T + 14_000 });
    await pass(clock, 4_000);
    const intents = await tick;
    expect(intents.map((i) => i.type)).toEqual(["resolve"]);
    expect(store.readAlert(key)?.alert.state).toBe("inactive");
  });

  it("a write whose reply was lost but which committed is not counted twice", async () => {
    const s = blipping(store, 1, true);
    const tick = runTick(monitorUnit(monitor, undefined, null), T, deps(s), { heldUntil: () => T + 4_000 });
    await pass(clock, 4_000);
    await tick;
    expect(store.readAlert(key)?.alert).toMatchObject({ state: "firing", consecutiveFailures: 1, sequence: 1 });
    expect(store.undispatched(10).map((x) => x.intent.type)).toEqual(["trigger"]);
  });

  it("once the claim would lapse, the write is given up (another replica may hold the tick by then)", async () => {
    const s = blipping(store, 100);
    const tick = runTick(monitorUnit(monitor, undefined, null), T, deps(s), { heldUntil: () => T + 1_000 });
    await pass(clock, 5_000);
    expect(await tick).toEqual([]);
    expect(s.writes).toBeLessThan(10);
    expect(store.readAlert(key)).toBeNull();
  });
});
