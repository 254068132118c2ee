import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CheckResult, MonitorCode } from "../../sdk/result.js";
import type { Observation } from "../alerts/state.js";
import type { CheckOutcome } from "../checks/types.js";
import { thresholdHolds } from "../../sdk/threshold.js";
import { errorText, renderSummary } from "./summary.js";

/** One label set's verdict for this tick, with the result it came from (recorded in recent results). */
export interface LabeledObservation {
  labels: Record<string, string>;
  observation: Observation;
  result: CheckResult;
  /** Whether the alert condition held: what `wk test` prints. */
  firing: boolean | null;
}

/**
 * Turns a check outcome into per-label-set observations. `knownLabelSets` are the label sets that
 * have alerts today: one that a successful evaluation no longer returns (a vanished PromQL series)
 * counts as ok, so its alert can resolve.
 */
export function observe(
  outcome: CheckOutcome,
  monitor: MonitorSpec,
  code: MonitorCode | undefined,
  knownLabelSets: Array<Record<string, string>>,
): LabeledObservation[] {
  if (outcome.kind === "error") return [errored(monitor, outcome.error, outcome.durationMs)];
  const out: LabeledObservation[] = [];
  const seen = new Set<string>();
  for (const result of outcome.results) {
    seen.add(labelId(result.labels));
    out.push(judge(monitor, code, result));
  }
  for (const labels of knownLabelSets) {
    if (seen.has(labelId(labels))) continue;
    const result: CheckResult = { ok: true, value: null, message: "series no longer returned", labels, details: {}, durationMs: 0 };
    out.push({ labels, result, firing: false, observation: { kind: "ok", value: null, summary: renderSummary(monitor, result, code), details: {} } });
  }
  return out;
}

/** A check that could not produce a result: failing or unknown, as the monitor's onError says. */
export function errored(monitor: MonitorSpec, error: string, durationMs: number): LabeledObservation {
  const result: CheckResult = { ok: false, value: null, message: `check error: ${error}`, labels: {}, details: { error }, durationMs };
  const summary = `${monitor.name}: check error: ${error}`.slice(0, 1024);
  const observation: Observation =
    monitor.onError === "unknown"
      ? { kind: "unknown", reason: error }
      : { kind: "failing", value: null, summary, details: { error } };
  return { labels: {}, result, observation, firing: monitor.onError === "unknown" ? null : true };
}

function judge(monitor: MonitorSpec, code: MonitorCode | undefined, result: CheckResult): LabeledObservation {
  let firing: boolean;
  try {
    firing = isFiring(monitor, code, result);
  } catch (error) {
    const failed = errored(monitor, `condition threw: ${errorText(error)}`, result.durationMs);
    return { ...failed, labels: result.labels, result: { ...failed.result, labels: result.labels } };
  }
  const summary = renderSummary(monitor, result, code);
  const details = { ...result.details, message: result.message, durationMs: result.durationMs };
  const observation: Observation = firing
    ? { kind: "failing", value: result.value, summary, details }
    : { kind: "ok", value: result.value, summary, details };
  return { labels: result.labels, result, observation, firing };
}

/**
 * The code condition decides when the monitor has one; else the threshold on the value; else, for a
 * PromQL check, every returned series fires (as in a Prometheus alerting rule, where the query's own
 * comparison such as `> 0.05` filters the series); else the check's own ok.
 */
function isFiring(monitor: MonitorSpec, code: MonitorCode | undefined, result: CheckResult): boolean {
  if (monitor.code.condition) {
    if (!code?.condition) throw new Error(`the bundle has no condition for ${monitor.id}`);
    return code.condition(result) === true;
  }
  if (monitor.threshold !== null && result.value !== null) return !result.ok || thresholdHolds(result.value, monitor.threshold);
  if (monitor.check.kind === "prometheus") return true;
  return !result.ok;
}

/** A stable string for a label set (sorted names). */
export function labelId(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}
