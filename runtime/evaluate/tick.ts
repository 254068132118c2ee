import type { Logger } from "pino";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { MonitorCode } from "../../sdk/result.js";
import { alertKey } from "../alerts/alert-key.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { newAlert, rulesOf, type Alert, type AlertRules } from "../alerts/state.js";
import { evaluate } from "../alerts/transition.js";
import type { CheckContext, CheckOutcome } from "../checks/types.js";
import type { RuntimeMetrics } from "../metrics.js";
import type { Clock } from "../scheduler/clock.js";
import type { ResultRow, SqliteStore } from "../store/sqlite-store.js";
import { observe } from "./observe.js";
import { runWithDeadline, type CheckRunner } from "./run-check.js";

/** What a monitor needs to be evaluated on a tick. */
export interface MonitorUnit {
  monitor: MonitorSpec;
  code: MonitorCode | undefined;
  rules: AlertRules;
  /** Set when the bundle lacks code the manifest promises: every tick fails with this reason. */
  broken: string | null;
}

export function monitorUnit(monitor: MonitorSpec, code: MonitorCode | undefined, broken: string | null): MonitorUnit {
  return { monitor, code, rules: rulesOf(monitor), broken };
}

export interface TickDeps {
  store: SqliteStore;
  runCheck: CheckRunner;
  clock: Clock;
  logger: Logger;
  metrics: RuntimeMetrics;
  /** Shared by every check; the runtime aborts it at shutdown. */
  context: Omit<CheckContext, "now" | "monitorId" | "code">;
  /** Runs the monitor's diagnostics when its alert fires; the text rides on the trigger intent. */
  diagnose?: (monitor: MonitorSpec, now: number) => Promise<string>;
}

/**
 * One tick of one monitor: run the check, judge each label set, advance the alerts and commit
 * alerts, results and intents in one transaction. Returns the intents written.
 */
export async function runTick(unit: MonitorUnit, scheduledAt: number, d: TickDeps): Promise<NotificationIntent[]> {
  const { monitor } = unit;
  const kind = monitor.check.kind;
  const outcome: CheckOutcome = unit.broken
    ? { kind: "error", error: unit.broken, durationMs: 0, reason: "config" }
    : await runWithDeadline(d.runCheck, monitor, { ...d.context, now: new Date(scheduledAt), monitorId: monitor.id, code: unit.code }, d.clock);
  recordCheckMetrics(d.metrics, kind, outcome);
  if (outcome.kind === "error") d.logger.warn({ monitorId: monitor.id, kind, error: outcome.error }, "check failed to produce a result");

  const existing = d.store.alertsOf(monitor.id);
  const byKey = new Map(existing.map((a) => [a.dedupKey, a]));
  // Open alerts carried over from a monitor's previous id keep the dedup key they were opened
  // with (runtime/store/rollout.ts), so they are found by label set rather than by a fresh key.
  const carried = new Map(
    existing.filter((a) => a.state !== "inactive" && a.dedupKey !== alertKey(monitor.id, a.labels)).map((a) => [labelSetOf(a.labels), a]),
  );
  const active = existing.filter((a) => a.state !== "inactive").map((a) => a.labels);
  // A monitor that cannot run as compiled fails whatever its onError says: nobody would know otherwise.
  const judged = observe(outcome, unit.broken ? { ...monitor, onError: "fail" } : monitor, unit.code, active);
  const failure = judged.find((o) => o.error !== undefined)?.error;
  if (failure) {
    // Counted whatever onError says: an "unknown" monitor changes no alert, so this is its only trace.
    d.metrics.checkErrors.inc({ monitor: monitor.id, reason: failure.reason });
    if (outcome.kind === "results") d.logger.warn({ monitorId: monitor.id, kind, error: failure.message }, "check results could not be evaluated");
  }

  const changed: Alert[] = [];
  const intents: NotificationIntent[] = [];
  const results: ResultRow[] = [];
  for (const o of judged) {
    const key = alertKey(monitor.id, o.labels);
    const prior = (carried.size > 0 ? carried.get(labelSetOf(o.labels)) : undefined) ?? byKey.get(key);
    const before = prior ?? newAlert(monitor.id, o.labels, key, scheduledAt);
    const t = evaluate(before, o.observation, scheduledAt, unit.rules);
    if (worthPersisting(prior, t.alert)) changed.push(t.alert);
    intents.push(...t.intents);
    results.push({
      monitorId: monitor.id,
      at: scheduledAt,
      ok: o.result.ok,
      firing: o.firing,
      value: o.result.value,
      message: o.result.message,
      labels: o.labels,
      durationMs: o.result.durationMs,
      error: o.error?.message ?? null,
    });
  }
  if (d.diagnose && monitor.diagnostics.length > 0 && intents.some((i) => i.type === "trigger")) {
    // Diagnostics describe the moment the alert fires, so they run before the trigger is written.
    const text = await d.diagnose(monitor, scheduledAt).catch((error: unknown) => `diagnostics failed: ${String(error)}`);
    for (const i of intents) if (i.type === "trigger" && text) i.details = { ...i.details, diagnostics: text };
  }
  try {
    d.store.recordEvaluation(monitor.id, changed, results, intents, d.clock.now());
  } catch (error) {
    d.metrics.evaluationErrors.inc({ stage: "store" });
    d.logger.error({ monitorId: monitor.id, err: error }, "could not record the evaluation; the alert state is unchanged");
    return [];
  }
  for (const i of intents) d.metrics.alertTransitions.inc({ type: i.type });
  return intents;
}

function labelSetOf(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((name) => [name, labels[name]]));
}

/** Healthy label sets that never failed need no row; every other change is written. */
function worthPersisting(before: Alert | undefined, after: Alert): boolean {
  const quiet = (a: Alert) => a.state === "inactive" && a.consecutiveFailures === 0;
  if (quiet(after) && (before === undefined || quiet(before))) return false;
  return before !== after;
}

function recordCheckMetrics(metrics: RuntimeMetrics, kind: string, outcome: CheckOutcome): void {
  if (outcome.kind === "error") {
    metrics.checksTotal.inc({ kind, result: "error" });
    metrics.checkDuration.observe({ kind }, outcome.durationMs / 1000);
    return;
  }
  const failed = outcome.results.some((r) => !r.ok);
  metrics.checksTotal.inc({ kind, result: failed ? "failed" : "ok" });
  const longest = outcome.results.reduce((m, r) => Math.max(m, r.durationMs), 0);
  metrics.checkDuration.observe({ kind }, longest / 1000);
}
