import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import type { Alert } from "../alerts/state.js";
import type { Awaitable } from "../awaitable.js";
import type { AlertEvent, DeliveryAttemptEvent } from "../store/history.js";
import type { ViewDeps } from "./view-model.js";
import { history } from "./view-model.js";

/** One line of an alert's story: a transition or a delivery attempt. */
export type TimelineEntry =
  | { kind: "transition"; at: number; event: AlertEvent["kind"]; by: string | null; summary: string }
  | { kind: "attempt"; at: number; attempt: DeliveryAttemptEvent };

/** Everything the alert page and the postmortem draft tell about one alert. */
export interface AlertRecord {
  dedupKey: string;
  alert: Alert | null;
  monitor: MonitorSpec | null;
  timeline: TimelineEntry[];
  attempts: DeliveryAttemptEvent[];
  /** The diagnostics text attached when it fired, when the store can give it. */
  diagnostics: string | null;
  /** Whether the timeline comes from the history log (else from the alert's own timestamps). */
  fromHistory: boolean;
}

/** A store that can give the diagnostics attached to an alert's trigger (optional; see docs/views.md). */
interface DiagnosticsSource {
  alertDiagnostics(dedupKey: string): Awaitable<string | null>;
}

/** Reads an alert's record; null when nothing at all is known about that key. */
export async function readAlertRecord(d: ViewDeps, dedupKey: string): Promise<AlertRecord | null> {
  const read = await d.store.readAlert(dedupKey);
  const log = history(d);
  const events = log ? await log.alertEvents(dedupKey) : [];
  const logged = log ? await log.deliveryAttempts(dedupKey) : [];
  // A store whose history has nothing for this alert (older records, an adapter still without it) still has its deliveries.
  const attempts = logged.length > 0 ? logged : await fallbackAttempts(d, dedupKey);
  if (!read && events.length === 0 && attempts.length === 0) return null;
  const alert = read?.alert ?? null;
  const monitorId = alert?.monitorId ?? events[0]?.monitorId ?? null;
  const monitor = monitorId ? d.manifest.monitors.find((m) => m.id === monitorId) ?? null : null;
  const transitions: TimelineEntry[] = log && events.length > 0 ? events.map((e) => ({ kind: "transition", at: e.at, event: e.kind, by: e.by, summary: e.summary })) : alert ? fromTimestamps(alert) : [];
  const timeline = [...transitions, ...attempts.map((a): TimelineEntry => ({ kind: "attempt", at: a.at, attempt: a }))].sort((a, b) => a.at - b.at);
  const source = d.store as Partial<DiagnosticsSource>;
  const diagnostics = typeof source.alertDiagnostics === "function" ? await source.alertDiagnostics(dedupKey) : null;
  return { dedupKey, alert, monitor, timeline, attempts, diagnostics, fromHistory: events.length > 0 || logged.length > 0 };
}

/** Without the history log, the alert's own timestamps tell the outline of its last episode. */
function fromTimestamps(a: Alert): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const add = (at: number | null, event: AlertEvent["kind"], by: string | null = null) => {
    if (at !== null) out.push({ kind: "transition", at, event, by, summary: a.summary });
  };
  add(a.activeAt, "pending");
  add(a.firedAt, "firing");
  add(a.acknowledgedAt, "acknowledged", a.acknowledgedBy);
  if (a.state === "inactive") add(a.resolvedAt, "resolved");
  return out;
}

/** The deliveries the queue recorded, one entry per delivery (its last attempt). */
async function fallbackAttempts(d: ViewDeps, dedupKey: string): Promise<DeliveryAttemptEvent[]> {
  if (!d.store.deliveriesForAlert) return [];
  return (await d.store.deliveriesForAlert(dedupKey)).map((r) => ({
    dedupKey,
    intentId: r.intentId,
    type: r.type,
    destination: r.destination,
    at: r.sentAt ?? r.nextAttemptAt,
    attempt: r.attempts,
    outcome: r.status === "sent" ? "sent" : r.status === "pending" ? "retrying" : r.status,
    vendorStatus: r.vendorStatus,
    detail: r.vendorAnswer ?? r.lastError,
  }));
}

export const EVENT_WORDS: Record<AlertEvent["kind"], string> = {
  pending: "became pending",
  firing: "fired",
  reminder: "reminder sent",
  resolved: "resolved",
  acknowledged: "acknowledged",
  unacknowledged: "acknowledgement lifted",
  cleared: "cleared",
};

export const OUTCOME_WORDS: Record<DeliveryAttemptEvent["outcome"], string> = {
  sent: "sent",
  retrying: "failed, will retry",
  failed: "gave up",
  suppressed: "suppressed",
  skipped: "skipped",
};
