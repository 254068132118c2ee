import type { ResultRow } from "../../evaluate/evaluation-store.js";

/**
 * A result as the commit script stored it, or null when it is not one (a hand edit, another tool).
 * Its time and verdict are required; a missing or mistyped value, message, labels, duration or
 * error reads as null, "", {}, 0 or null, so a result an older build wrote is still shown.
 */
export function parseStoredResult(json: string, monitorId: string): ResultRow | null {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const r = data as Record<string, unknown>;
  if (typeof r["at"] !== "number" || !Number.isFinite(r["at"]) || typeof r["ok"] !== "boolean") return null;
  const labels = r["labels"];
  return {
    ...(r as unknown as ResultRow),
    monitorId: typeof r["monitorId"] === "string" ? r["monitorId"] : monitorId,
    firing: typeof r["firing"] === "boolean" ? r["firing"] : null,
    value: typeof r["value"] === "number" && Number.isFinite(r["value"]) ? r["value"] : null,
    message: typeof r["message"] === "string" ? r["message"] : "",
    labels: typeof labels === "object" && labels !== null && !Array.isArray(labels) && Object.values(labels).every((v) => typeof v === "string") ? (labels as Record<string, string>) : {},
    durationMs: typeof r["durationMs"] === "number" && Number.isFinite(r["durationMs"]) ? r["durationMs"] : 0,
    ...(r["error"] === undefined ? {} : { error: typeof r["error"] === "string" ? r["error"] : null }),
  };
}
