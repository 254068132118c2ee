import { redactUrlsInText } from "../redact-url.js";
import type { ResultRow } from "./evaluation-store.js";
import { byCodeUnits } from "../text/compare.js";

/** A monitor whose latest tick could not be evaluated, and why. */
export interface ErroringMonitor {
  id: string;
  /** The check error as recorded (secrets scrubbed at the check; URL credentials removed here). */
  reason: string;
  /** When that tick ran, ms since the epoch. */
  at: number;
}

/**
 * Monitors whose newest recorded result is an evaluation error (check error, duplicate alert
 * label sets, a throwing condition), whatever their `onError` says: with `onError: "unknown"` the
 * alert state stays put, and without this list such a monitor would look healthy.
 */
export function erroringMonitors(latest: ReadonlyMap<string, ResultRow>): ErroringMonitor[] {
  const out: ErroringMonitor[] = [];
  for (const [id, row] of latest) {
    if (row.error) out.push({ id, reason: redactUrlsInText(row.error), at: row.at });
  }
  return out.sort((a, b) => byCodeUnits(a.id, b.id));
}
