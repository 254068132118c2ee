import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { CheckResult, MonitorCode } from "../../sdk/result.js";
import type { Observation } from "../alerts/state.js";
import type { CheckErrorReason } from "../checks/check-error.js";
import type { CheckOutcome } from "../checks/types.js";
import { thresholdHolds } from "../../sdk/threshold.js";
import { errorText, renderSummary, SUMMARY_MAX } from "./summary.js";
import { truncate } from "../text/truncate.js";
import { CodeHostError } from "../code-host/code-host.js";
import { ownProperty } from "../redact-url.js";

/** One label set's verdict for this tick, with the result it came from (recorded in recent results). */
export interface LabeledObservation {
  labels: Record<string, string>;
  observation: Observation;
  result: CheckResult;
  /** Whether the alert condition held: what `wk test` prints. */
  firing: boolean | null;
  /** Set when this label set could not be evaluated: the monitor is erroring, whatever onError says. */
  error?: EvaluationError;
}

/** Why an evaluation failed: `reason` is a metric label (a check error's class, or the evaluation step). */
export interface EvaluationError {
  reason: CheckErrorReason | "unclassified" | "duplicate-labelset" | "labels-too-large";
  message: string;
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
  if (outcome.kind === "error") return [errored(monitor, outcome.error, outcome.durationMs, outcome.reason ?? "unclassified")];
  const clash = sameAlertLabels(outcome.results, monitor.labels);
  if (clash !== null) {
    const longest = outcome.results.reduce((m, r) => Math.max(m, r.durationMs), 0);
    const message = `vector contains metrics with the same labelset after applying alert labels: ${formatLabels(clash)}`;
    return [errored(monitor, message, longest, "duplicate-labelset")];
  }
  const oversized = oversizedLabels(outcome.results);
  if (oversized !== null) {
    const longest = outcome.results.reduce((m, r) => Math.max(m, r.durationMs), 0);
    return [errored(monitor, oversized, longest, "labels-too-large")];
  }
  const out: LabeledObservation[] = [];
  const seen = new Set<string>();
  for (const result of outcome.results) {
    seen.add(labelId(result.labels));
    out.push(judge(monitor, code, result));
  }
  for (const result of vanishedResults(seen, knownLabelSets)) {
    out.push({ labels: result.labels, result, firing: false, observation: { kind: "ok", value: null, summary: renderSummary(monitor, result, code), details: {} } });
  }
  return out;
}

/**
 * What a label set that has an alert but is no longer returned counts as: ok, so its alert can
 * resolve. `seen` holds the label ids of this tick's results.
 */
export function vanishedResults(seen: ReadonlySet<string>, knownLabelSets: Array<Record<string, string>>): CheckResult[] {
  const out: CheckResult[] = [];
  for (const labels of knownLabelSets) {
    if (!seen.has(labelId(labels))) out.push({ ok: true, value: null, message: "series no longer returned", labels, details: {}, durationMs: 0 });
  }
  return out;
}

/** A check that could not produce a result: failing or unknown, as the monitor's onError says. */
export function errored(monitor: MonitorSpec, error: string, durationMs: number, reason: EvaluationError["reason"]): LabeledObservation {
  const result: CheckResult = { ok: false, value: null, message: `check error: ${error}`, labels: {}, details: { error }, durationMs };
  const summary = truncate(`${monitor.name}: check error: ${error}`, SUMMARY_MAX);
  const observation: Observation =
    monitor.onError === "unknown"
      ? { kind: "unknown", reason: error }
      : { kind: "failing", value: null, summary, details: { error } };
  return { labels: {}, result, observation, firing: monitor.onError === "unknown" ? null : true, error: { reason, message: error } };
}

/**
 * The first label set two results share once the monitor's labels are applied (they win, as a
 * Prometheus rule's labels do), or null. Prometheus refuses such an evaluation: the series would
 * be one alert whose value flips between them. `__name__` is already gone from PromQL results, so
 * `a{x="1"}` and `b{x="1"}` clash here exactly as they do in an alerting rule.
 */
export function sameAlertLabels(results: CheckResult[], monitorLabels: Record<string, string>): Record<string, string> | null {
  if (results.length < 2) return null;
  const seen = new Set<string>();
  for (const r of results) {
    const labels = { ...r.labels, ...monitorLabels };
    const id = labelId(labels);
    if (seen.has(id)) return labels;
    seen.add(id);
  }
  return null;
}

/**
 * Characters (names and values) one result's label set may hold. Labels name the alert: they are
 * stored with every result of every tick and sent with every page, and a vendor refuses a page
 * past its size limit (PagerDuty: 512 KB an event). A 1 MB label value (a query text or a body
 * captured into a label by mistake) would have filled the disk by gigabytes a day and lost the page.
 */
export const LABEL_SET_MAX_CHARS = 16 * 1024;

/** Why the first result whose labels are too large is refused, naming its longest label; or null. */
function oversizedLabels(results: CheckResult[]): string | null {
  for (const r of results) {
    // Runs on every result of every tick: no array per result (most have no labels at all).
    let size = 0;
    let longestName = "";
    for (const name in r.labels) {
      const length = name.length + r.labels[name]!.length;
      size += length;
      if (length > longestName.length + (r.labels[longestName]?.length ?? -1)) longestName = name;
    }
    if (size <= LABEL_SET_MAX_CHARS) continue;
    const name = truncate(longestName, 60);
    return (
      `a result's labels are ${size} characters (label ${name} is ${r.labels[longestName]!.length} characters); at most ${LABEL_SET_MAX_CHARS} per label set, ` +
      "as labels are stored with every result and sent with every page: drop or shorten that label in the query (label_replace) or the script"
    );
  }
  return null;
}

function formatLabels(labels: Record<string, string>): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(", ")}}`;
}

function judge(monitor: MonitorSpec, code: MonitorCode | undefined, result: CheckResult): LabeledObservation {
  let firing: boolean;
  try {
    firing = isFiring(monitor, code, result);
  } catch (error) {
    // The code worker stopped or held back the condition: said as what happened, not as a throw.
    const why = error instanceof CodeHostError ? `condition ${error.message}` : `condition threw: ${errorText(error)}`;
    const failed = errored(monitor, why, result.durationMs, "code");
    return { ...failed, labels: result.labels, result: { ...failed.result, labels: result.labels } };
  }
  const summary = renderSummary(monitor, result, code);
  const details = detailsOf(result);
  const observation: Observation = firing
    ? { kind: "failing", value: result.value, summary, details }
    : { kind: "ok", value: result.value, summary, details };
  return { labels: result.labels, result, observation, firing };
}

/**
 * The result's details with its message and duration, copied key by key: V8 promoted the object a
 * spread (`{ ...result.details, message, durationMs }`) made to the old generation on every tick
 * (bench/results/runtime.md), and one built by assignment it does not.
 */
function detailsOf(result: CheckResult): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  // A script's details may hold a `__proto__` key (from JSON.parse): kept as data, as a spread keeps it.
  // Details missing altogether (a hand-made result) add nothing, as they did to the spread.
  if (result.details !== null && result.details !== undefined) for (const key of Object.keys(result.details)) ownProperty(details, key, result.details[key]);
  details["message"] = result.message;
  details["durationMs"] = result.durationMs;
  return details;
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
  // A threshold monitor with no value to compare has nothing that crossed it (only a failed check fires).
  if (monitor.threshold !== null) return !result.ok || (result.value !== null && thresholdHolds(result.value, monitor.threshold));
  if (monitor.check.kind === "prometheus") return true;
  return !result.ok;
}

/** A stable string for a label set (sorted names). */
export function labelId(labels: Record<string, string>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}
