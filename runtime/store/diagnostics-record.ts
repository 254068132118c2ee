import type { NotificationIntent } from "../alerts/intent.js";
import { truncateMarked } from "../text/truncate.js";

/**
 * Stored diagnostics are cut here (with a marker saying how much went): a page of text per
 * firing, far more than a screen, while a runaway HTTP sweep cannot bloat the store.
 */
export const DIAGNOSTICS_RECORD_MAX = 16_000;

/** The diagnostics text an alert carried when it fired, as the store keeps it. */
export interface DiagnosticsRecord {
  dedupKey: string;
  monitorId: string;
  at: number;
  text: string;
}

/**
 * The diagnostics each trigger intent of a commit carries (`details.diagnostics`), cut to the
 * budget. The text was redacted where it was made (the runtime removes every secret value before
 * it rides on the intent), so the store only shortens it.
 */
export function diagnosticsOf(intents: readonly NotificationIntent[]): DiagnosticsRecord[] {
  const out: DiagnosticsRecord[] = [];
  for (const i of intents) {
    const text = i.details["diagnostics"];
    if (i.type !== "trigger" || typeof text !== "string" || text.trim() === "") continue;
    out.push({ dedupKey: i.dedupKey, monitorId: i.monitorId, at: i.at, text: truncateMarked(text, DIAGNOSTICS_RECORD_MAX) });
  }
  return out;
}
