import { describe, expect, it } from "vitest";
import { alertKey } from "./alert-key.js";
import { newAlert, type Alert, type AlertRules, type Observation } from "./state.js";
import { acknowledge, evaluate, resolve } from "./transition.js";

const rules = (over: Partial<AlertRules> = {}): AlertRules => ({
  forMs: 0,
  keepFiringForMs: 0,
  failureThreshold: 1,
  successThreshold: 1,
  repeatEveryMs: null,
  severity: "critical",
  labels: {},
  ...over,
});
const failing: Observation = { kind: "failing", value: 900, summary: "latency 900ms", details: { status: 200 } };
const ok: Observation = { kind: "ok", value: 20, summary: "latency 20ms", details: {} };
const unknown: Observation = { kind: "unknown", reason: "timeout" };

/** Feeds observations at the given times (a fake clock) and collects every intent. */
function run(r: AlertRules, steps: Array<[number, Observation]>, start?: Alert) {
  let alert = start ?? newAlert("api", {}, alertKey("api", {}), 0);
  const intents = [];
  for (const [at, obs] of steps) {
    const t = evaluate(alert, obs, at, r);
    alert = t.alert;
    intents.push(...t.intents);
  }
  return { alert, intents };
}

describe("alert state machine", () => {
  it("fires at once on the first failure when for is 0, with a stable intent id", () => {
    const { alert, intents } = run(rules(), [[1000, failing]]);
    expect(alert.state).toBe("firing");
    expect(alert.activeAt).toBe(1000);
    expect(alert.firedAt).toBe(1000);
    expect(alert.lastSentAt).toBe(1000);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ id: "wk-api:1", type: "trigger", dedupKey: "wk-api", value: 900, summary: "latency 900ms", firedAt: 1000 });
  });

  it("stays pending for the `for` duration and never notifies while pending", () => {
    const r = rules({ forMs: 60_000 });
    const early = run(r, [[0, failing], [30_000, failing], [59_999, failing]]);
    expect(early.alert.state).toBe("pending");
    expect(early.alert.activeAt).toBe(0);
    expect(early.intents).toEqual([]);
    const late = run(r, [[0, failing], [30_000, failing], [60_000, failing]]);
    expect(late.alert.state).toBe("firing");
    expect(late.alert.firedAt).toBe(60_000);
    expect(late.intents.map((i) => i.type)).toEqual(["trigger"]);
  });

  it("drops a pending alert back to inactive on the first ok, silently", () => {
    const { alert, intents } = run(rules({ forMs: 60_000 }), [[0, failing], [10_000, ok]]);
    expect(alert.state).toBe("inactive");
    expect(alert.activeAt).toBeNull();
    expect(intents).toEqual([]);
  });

  it("needs failureThreshold consecutive failures before becoming active; an ok resets the count", () => {
    const r = rules({ failureThreshold: 3 });
    expect(run(r, [[0, failing], [1, failing]]).alert.state).toBe("inactive");
    expect(run(r, [[0, failing], [1, failing], [2, ok], [3, failing], [4, failing]]).alert.state).toBe("inactive");
    const fired = run(r, [[0, failing], [1, failing], [2, failing]]);
    expect(fired.alert.state).toBe("firing");
    expect(fired.alert.activeAt).toBe(2);
  });

  it("resolves after successThreshold consecutive oks and emits one resolve", () => {
    const r = rules({ successThreshold: 2 });
    const once = run(r, [[0, failing], [10, ok]]);
    expect(once.alert.state).toBe("firing");
    const twice = run(r, [[0, failing], [10, ok], [20, ok]]);
    expect(twice.alert.state).toBe("inactive");
    expect(twice.alert.resolvedAt).toBe(20);
    expect(twice.intents.map((i) => [i.id, i.type, i.firedAt])).toEqual([
      ["wk-api:1", "trigger", 0],
      ["wk-api:2", "resolve", 0],
    ]);
  });

  it("keeps firing for keepFiringFor after the condition clears, and a new failure cancels the countdown", () => {
    const r = rules({ keepFiringForMs: 60_000 });
    const held = run(r, [[0, failing], [10_000, ok], [69_999, ok]]);
    expect(held.alert.state).toBe("firing");
    expect(held.alert.keepFiringSince).toBe(10_000);
    const done = run(r, [[0, failing], [10_000, ok], [70_000, ok]]);
    expect(done.alert.state).toBe("inactive");
    expect(done.intents.map((i) => i.type)).toEqual(["trigger", "resolve"]);
    const flapped = run(r, [[0, failing], [10_000, ok], [20_000, failing], [30_000, ok], [80_000, ok]]);
    expect(flapped.alert.state).toBe("firing");
    expect(flapped.alert.keepFiringSince).toBe(30_000);
    expect(flapped.intents.map((i) => i.type)).toEqual(["trigger"]);
  });

  it("sends reminders every repeatEvery while firing, not before", () => {
    const r = rules({ repeatEveryMs: 3_600_000 });
    const { intents, alert } = run(r, [[0, failing], [1_800_000, failing], [3_600_000, failing], [5_000_000, failing], [7_200_000, failing]]);
    expect(intents.map((i) => [i.type, i.at])).toEqual([
      ["trigger", 0],
      ["remind", 3_600_000],
      ["remind", 7_200_000],
    ]);
    expect(alert.lastSentAt).toBe(7_200_000);
    expect(intents.map((i) => i.id)).toEqual(["wk-api:1", "wk-api:2", "wk-api:3"]);
  });

  it("sends no reminders without repeatEvery or once acknowledged", () => {
    expect(run(rules(), [[0, failing], [99_999_999, failing]]).intents).toHaveLength(1);
    const r = rules({ repeatEveryMs: 1000 });
    const fired = run(r, [[0, failing]]).alert;
    const acked = acknowledge(fired, "Ada", 10, r);
    expect(acked.intents.map((i) => [i.type, i.acknowledgedBy])).toEqual([["acknowledge", "Ada"]]);
    const later = run(r, [[5000, failing]], acked.alert);
    expect(later.intents).toEqual([]);
  });

  it("leaves state and counters untouched on an unknown evaluation", () => {
    const r = rules({ failureThreshold: 2 });
    const before = run(r, [[0, failing]]).alert;
    const after = evaluate(before, unknown, 1000, r);
    expect(after.alert).toBe(before);
    expect(after.intents).toEqual([]);
    const fired = run(r, [[0, failing], [1, failing]]).alert;
    expect(evaluate(fired, unknown, 5, r).alert.state).toBe("firing");
  });

  it("resolves from outside only a firing alert, and needs fresh failures to fire again", () => {
    const r = rules({ failureThreshold: 2 });
    const fired = run(r, [[0, failing], [1, failing]]).alert;
    const out = resolve(fired, { reason: "resolved in PagerDuty" }, 100, r);
    expect(out.alert.state).toBe("inactive");
    expect(out.intents.map((i) => [i.id, i.type])).toEqual([["wk-api:2", "resolve"]]);
    expect(run(r, [[200, failing]], out.alert).alert.state).toBe("inactive");
    expect(run(r, [[200, failing], [300, failing]], out.alert).intents.map((i) => i.id)).toEqual(["wk-api:3"]);
    expect(resolve(newAlert("api", {}, "wk-api", 0), {}, 1, r).intents).toEqual([]);
  });

  it("numbers intents per alert so a re-fire after resolve gets a new id", () => {
    const { intents } = run(rules(), [[0, failing], [1, ok], [2, failing], [3, ok]]);
    expect(intents.map((i) => i.id)).toEqual(["wk-api:1", "wk-api:2", "wk-api:3", "wk-api:4"]);
  });
});

describe("a late evaluation of an older tick", () => {
  it("does not resolve an alert a newer tick fired, nor re-fire one a newer tick resolved", () => {
    const fired = run(rules(), [[2_000, failing]]).alert;
    const staleOk = evaluate(fired, ok, 1_000, rules());
    expect(staleOk.alert).toBe(fired);
    expect(staleOk.intents).toEqual([]);
    const resolved = run(rules(), [[3_000, ok]], fired).alert;
    expect(resolved).toMatchObject({ state: "inactive", evaluatedAt: 3_000 });
    const staleFailure = evaluate(resolved, failing, 2_500, rules());
    expect(staleFailure.alert).toBe(resolved);
    expect(staleFailure.intents).toEqual([]);
  });
});
