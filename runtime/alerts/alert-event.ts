import type { Logger } from "pino";
import { truncate } from "../text/truncate.js";
import type { IntentType } from "./intent.js";
import type { Alert } from "./state.js";

/** What happened to an alert, as its timeline shows it. */
export type AlertEventKind = "pending" | "firing" | "reminder" | "resolved" | "acknowledged" | "unacknowledged" | "cleared";

/**
 * One alert transition, as the alert's timeline shows it. Every transition function returns its
 * events with the alert it changed, and the store writes them in the same commit as the alert,
 * so the timeline never disagrees with the alert's state.
 */
export interface AlertEvent {
  dedupKey: string;
  monitorId: string;
  at: number;
  kind: AlertEventKind;
  /** Who, for an acknowledgement or an outside resolve (a PagerDuty agent's name); else null. */
  by: string | null;
  /** The alert's summary at that moment (already redacted: checks redact before they answer). */
  summary: string;
}

/** Stored summaries are capped like a page's summary (PagerDuty's 1024). */
export const EVENT_SUMMARY_MAX = 1024;

/** The event for `alert` as it is after the transition. */
export function alertEvent(alert: Alert, kind: AlertEventKind, at: number, by: string | null = null): AlertEvent {
  return { dedupKey: alert.dedupKey, monitorId: alert.monitorId, at, kind, by, summary: truncate(alert.summary, EVENT_SUMMARY_MAX) };
}

/** The event an intent stands for: each intent is one transition a person hears about. */
export function eventKindOfIntent(type: IntentType): AlertEventKind {
  switch (type) {
    case "trigger":
      return "firing";
    case "remind":
      return "reminder";
    case "resolve":
      return "resolved";
    case "acknowledge":
      return "acknowledged";
  }
}

/** What a log line says for each event. */
const LOG_MESSAGE: Record<AlertEventKind, string> = {
  pending: "alert pending",
  firing: "alert firing",
  reminder: "alert still firing: reminder",
  resolved: "alert resolved",
  acknowledged: "alert acknowledged",
  unacknowledged: "alert unacknowledged",
  cleared: "alert cleared without firing",
};

/**
 * One log line per committed transition (call after the commit, never before): the monitor, the
 * alert's dedup key, the kind and who. Summaries are left out: the alert page shows them, and a
 * log line stays one screen wide.
 */
export function logAlertEvents(logger: Logger, events: AlertEvent[]): void {
  for (const e of events) {
    const fields: Record<string, unknown> = { monitorId: e.monitorId, dedupKey: e.dedupKey, alert: e.kind };
    if (e.by !== null) fields["by"] = e.by;
    logger.info(fields, LOG_MESSAGE[e.kind]);
  }
}
