import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alertKey } from "./alert-key.js";
import type { NotificationIntent } from "./intent.js";
import { newAlert, type Alert, type AlertRules, type Observation } from "./state.js";
import { acknowledge, evaluate, resolve, signal, unacknowledge } from "./transition.js";

/**
 * The state machine against what paging must mean, on random rules and random histories of
 * observations, acknowledgements and resolves from outside (ticks 10 s apart):
 * - the intents of one alert read trigger, (remind | acknowledge)*, resolve, trigger, ...: never a
 *   resolve or a reminder for something not triggered, never a second trigger before a resolve;
 * - intent ids are the dedup key and a sequence that only grows;
 * - nothing is sent while pending, no reminder after an acknowledgement;
 * - a streak of failures long enough for the thresholds and `for` always fires, and a streak of
 *   successes long enough for the thresholds and `keepFiringFor` always resolves.
 */

const TICK_MS = 10_000;

const rulesArb: fc.Arbitrary<AlertRules> = fc.record({
  forMs: fc.constantFrom(0, 10_000, 30_000, 60_000),
  keepFiringForMs: fc.constantFrom(0, 10_000, 45_000),
  failureThreshold: fc.integer({ min: 1, max: 4 }),
  successThreshold: fc.integer({ min: 1, max: 4 }),
  repeatEveryMs: fc.constantFrom(null, 20_000, 60_000),
  severity: fc.constant("critical" as const),
  labels: fc.constant({}),
});

type Step =
  | { kind: "observe"; observation: Observation }
  | { kind: "ack" }
  | { kind: "unack" }
  | { kind: "resolve" };

const failing: Observation = { kind: "failing", value: 1, summary: "failing", details: {} };
const ok: Observation = { kind: "ok", value: 0, summary: "ok", details: {} };
const unknown: Observation = { kind: "unknown", reason: "timeout" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom<Step>({ kind: "observe", observation: failing }, { kind: "observe", observation: ok }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: "observe", observation: unknown }) },
  { weight: 1, arbitrary: fc.constantFrom<Step>({ kind: "ack" }, { kind: "unack" }, { kind: "resolve" }) },
);

function apply(alert: Alert, step: Step, now: number, rules: AlertRules) {
  switch (step.kind) {
    case "observe":
      return evaluate(alert, step.observation, now, rules);
    case "ack":
      return acknowledge(alert, "Ada", now, rules);
    case "unack":
      return unacknowledge(alert, now);
    case "resolve":
      return resolve(alert, {}, now, rules, "PagerDuty");
  }
}

/** Runs the steps one tick apart and checks every invariant that holds step by step. */
function play(rules: AlertRules, steps: Step[]): { alert: Alert; intents: NotificationIntent[] } {
  let alert = newAlert("api", {}, alertKey("api", {}), 0);
  const intents: NotificationIntent[] = [];
  let open = false;
  let acked = false;
  steps.forEach((step, i) => {
    const now = (i + 1) * TICK_MS;
    const before = alert;
    const t = apply(alert, step, now, rules);
    alert = t.alert;
    for (const intent of t.intents) {
      expect(intent.dedupKey).toBe(alert.dedupKey);
      expect(intent.id).toBe(`${alert.dedupKey}:${intents.length + 1}`);
      switch (intent.type) {
        case "trigger":
          expect(open, "a second trigger before a resolve").toBe(false);
          expect(before.state, "pending or inactive fires").not.toBe("firing");
          open = true;
          acked = false;
          break;
        case "remind":
          expect(open, "a reminder for nothing triggered").toBe(true);
          expect(acked, "a reminder after an acknowledgement").toBe(false);
          break;
        case "acknowledge":
          expect(open).toBe(true);
          acked = true;
          break;
        case "resolve":
          expect(open, "a resolve for nothing triggered").toBe(true);
          open = false;
          break;
      }
      intents.push(intent);
    }
    if (step.kind === "unack" && t.events.length > 0) acked = false;
    expect(alert.sequence).toBe(intents.length);
    expect(alert.state === "firing").toBe(open);
    if (alert.state === "pending") expect(t.intents.filter((x) => x.type !== "resolve")).toEqual([]);
  });
  return { alert, intents };
}

describe("alert state machine, by property", () => {
  it("pages in the order paging means, whatever the history", () => {
    fc.assert(fc.property(rulesArb, fc.array(stepArb, { maxLength: 80 }), (rules, steps) => void play(rules, steps)), { numRuns: 500 });
  });

  it("fires after a long enough failing streak, and resolves after a long enough ok streak, from any state", () => {
    fc.assert(
      fc.property(rulesArb, fc.array(stepArb, { maxLength: 40 }), (rules, prefix) => {
        const failTicks = rules.failureThreshold + Math.ceil(rules.forMs / TICK_MS) + 1;
        const okTicks = rules.successThreshold + Math.ceil(rules.keepFiringForMs / TICK_MS) + 1;
        const failingRun: Step[] = Array.from({ length: failTicks }, () => ({ kind: "observe", observation: failing }));
        const okRun: Step[] = Array.from({ length: okTicks }, () => ({ kind: "observe", observation: ok }));
        const afterFailing = play(rules, [...prefix, ...failingRun]);
        expect(afterFailing.alert.state).toBe("firing");
        const afterOk = play(rules, [...prefix, ...failingRun, ...okRun]);
        expect(afterOk.alert.state).toBe("inactive");
        expect(afterOk.intents.at(-1)?.type).toBe("resolve");
      }),
      { numRuns: 300 },
    );
  });

  it("ends in the acknowledgement state of the latest signal, whatever order the vendor delivers them in", () => {
    const rules: AlertRules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: 60_000, severity: "critical", labels: {} };
    const fired = evaluate(newAlert("api", {}, alertKey("api", {}), 0), failing, 0, rules).alert;
    // Signals happen at distinct times; each is delivered at least once, some again (retries), in any order.
    const signalsArb = fc.uniqueArray(fc.record({ at: fc.integer({ min: 1, max: 1_000_000 }), ack: fc.boolean() }), { selector: (s) => s.at, minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        signalsArb.chain((signals) => fc.tuple(fc.constant(signals), fc.shuffledSubarray([...signals, ...signals], { minLength: signals.length * 2 }), fc.array(fc.nat(signals.length - 1), { maxLength: 4 }))),
        ([signals, delivered, retried]) => {
          let alert = fired;
          for (const s of [...delivered, ...retried.map((i) => signals[i]!)]) {
            alert = signal(alert, s.at, (a) => (s.ack ? acknowledge(a, "Ada", s.at, rules) : unacknowledge(a, s.at))).alert;
          }
          const latest = signals.reduce((a, b) => (b.at > a.at ? b : a));
          expect(alert.acknowledgedAt !== null).toBe(latest.ack);
          expect(alert.ackSignalAt).toBe(latest.at);
        },
      ),
      { numRuns: 300 },
    );
  });
});
