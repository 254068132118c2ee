import type { VersionedAlert } from "../alerts/alert-store.js";
import type { Alert, AlertState } from "../alerts/state.js";

/** What a `{p}:alert:{dedupKey}` hash holds, read back: an alert with its version, or why it is not one. */
export type StoredAlert = { kind: "alert"; read: VersionedAlert } | { kind: "absent" } | { kind: "garbage"; problem: string };

const STATES: readonly AlertState[] = ["inactive", "pending", "firing"];

/**
 * Parses the `d` (alert JSON) and `v` (version) fields of an alert hash. Only what the state machine
 * cannot do without is required (an object naming this dedup key, its monitor, labels, a known
 * state, a whole-number sequence and version); a missing or mistyped timestamp, counter or text
 * reads as null, 0 or "" so that an alert written by an older build is never thrown away.
 */
export function parseStoredAlert(dedupKey: string, d: string | null, v: string | null): StoredAlert {
  if (d === null) return v === null ? { kind: "absent" } : { kind: "garbage", problem: "it has a version (v) but no alert data (d)" };
  if (v !== null && !/^\d{1,15}$/.test(v)) return { kind: "garbage", problem: `its version (v) ${JSON.stringify(v.slice(0, 40))} is not a whole number` };
  let data: unknown;
  try {
    data = JSON.parse(d);
  } catch {
    return { kind: "garbage", problem: "its alert data (d) is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { kind: "garbage", problem: "its alert data (d) is not a JSON object" };
  const a = data as Record<string, unknown>;
  if (a["dedupKey"] !== dedupKey) return { kind: "garbage", problem: "its alert data (d) names another dedup key or none" };
  if (typeof a["monitorId"] !== "string" || a["monitorId"] === "") return { kind: "garbage", problem: "its alert data (d) names no monitor" };
  if (!isLabels(a["labels"])) return { kind: "garbage", problem: "its alert data (d) has no labels object of strings" };
  if (!STATES.includes(a["state"] as AlertState)) return { kind: "garbage", problem: `its alert data (d) has no known state (${STATES.join(", ")})` };
  if (!Number.isSafeInteger(a["sequence"]) || (a["sequence"] as number) < 0) return { kind: "garbage", problem: "its alert data (d) has no whole-number sequence" };
  const alert: Alert = {
    monitorId: a["monitorId"],
    labels: a["labels"],
    dedupKey,
    state: a["state"] as AlertState,
    activeAt: timeOrNull(a["activeAt"]),
    firedAt: timeOrNull(a["firedAt"]),
    resolvedAt: timeOrNull(a["resolvedAt"]),
    lastSentAt: timeOrNull(a["lastSentAt"]),
    consecutiveFailures: countOrZero(a["consecutiveFailures"]),
    consecutiveSuccesses: countOrZero(a["consecutiveSuccesses"]),
    keepFiringSince: timeOrNull(a["keepFiringSince"]),
    acknowledgedAt: timeOrNull(a["acknowledgedAt"]),
    acknowledgedBy: typeof a["acknowledgedBy"] === "string" ? a["acknowledgedBy"] : null,
    sequence: a["sequence"] as number,
    lastValue: timeOrNull(a["lastValue"]),
    summary: typeof a["summary"] === "string" ? a["summary"] : "",
    updatedAt: timeOrNull(a["updatedAt"]) ?? 0,
    evaluatedAt: timeOrNull(a["evaluatedAt"]),
    ackSignalAt: timeOrNull(a["ackSignalAt"]),
    clearedAt: timeOrNull(a["clearedAt"]),
  };
  return { kind: "alert", read: { alert, version: v === null ? 0 : Number(v) } };
}

function isLabels(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((x) => typeof x === "string");
}

function timeOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function countOrZero(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
}
