import type { IntentType, NotificationIntent } from "../alerts/intent.js";
import { severitySchema, type Severity } from "../../sdk/manifest/schema.js";

/** An outbox item's intent JSON, read back: the intent, or why it is not one Watchkeeper wrote. */
export type ReadIntent = { kind: "intent"; intent: NotificationIntent } | { kind: "garbage"; problem: string };

const TYPES: readonly IntentType[] = ["trigger", "remind", "resolve", "acknowledge"];
const SEVERITIES: readonly Severity[] = severitySchema.options;

/**
 * Parses an intent as the outbox stores it. Only what routing and delivery cannot do without is
 * required (an object with its id, dedup key, monitor, a known type and severity, labels of
 * strings); a missing or mistyped summary, value, details or time reads as "", null, {} or 0, so an
 * intent written by an older build is still sent. `expected` is what the outbox row says beside the
 * JSON (its id and dedup key), when it says it.
 */
export function parseStoredIntent(json: string, expected: { id?: string | null; dedupKey?: string | null } = {}): ReadIntent {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return { kind: "garbage", problem: "its intent is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { kind: "garbage", problem: "its intent is not a JSON object" };
  const i = data as Record<string, unknown>;
  for (const field of ["id", "dedupKey", "monitorId"] as const) {
    if (typeof i[field] !== "string" || i[field] === "") return { kind: "garbage", problem: `its intent has no ${field}` };
  }
  if (expected.id && i["id"] !== expected.id) return { kind: "garbage", problem: "its intent names another id than the outbox item" };
  if (expected.dedupKey && i["dedupKey"] !== expected.dedupKey) return { kind: "garbage", problem: "its intent names another dedup key than the outbox item" };
  if (!TYPES.includes(i["type"] as IntentType)) return { kind: "garbage", problem: `its intent has no known type (${TYPES.join(", ")})` };
  if (!SEVERITIES.includes(i["severity"] as Severity)) return { kind: "garbage", problem: `its intent has no known severity (${SEVERITIES.join(", ")})` };
  if (!isLabels(i["labels"])) return { kind: "garbage", problem: "its intent has no labels object of strings" };
  // Routing depends on it: read any other way, a resolve meant for one destination would close every incident of the alert.
  if (i["onlyTo"] !== undefined && !(Array.isArray(i["onlyTo"]) && i["onlyTo"].every((d) => typeof d === "string"))) return { kind: "garbage", problem: "its intent's onlyTo is not a list of destination ids" };
  const intent: NotificationIntent = {
    ...(i as unknown as NotificationIntent),
    summary: typeof i["summary"] === "string" ? i["summary"] : "",
    value: typeof i["value"] === "number" && Number.isFinite(i["value"]) ? i["value"] : null,
    details: isRecord(i["details"]) ? i["details"] : {},
    at: typeof i["at"] === "number" && Number.isFinite(i["at"]) ? i["at"] : 0,
    firedAt: typeof i["firedAt"] === "number" && Number.isFinite(i["firedAt"]) ? i["firedAt"] : null,
  };
  return { kind: "intent", intent };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isLabels(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((x) => typeof x === "string");
}
