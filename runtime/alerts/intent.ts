import type { Severity } from "../../sdk/manifest/schema.js";
import type { Awaitable } from "../awaitable.js";

/**
 * What the alert state machine asks the notification pipeline to do. Intents are written to the
 * durable outbox in the same transaction as the alert transition that caused them.
 */
export type IntentType = "trigger" | "remind" | "resolve" | "acknowledge";

export interface NotificationIntent {
  /** Unique and stable: `${dedupKey}:${sequence}`. Used for idempotent delivery. */
  id: string;
  type: IntentType;
  monitorId: string;
  /** Stable per (monitor, label set): PagerDuty dedup_key, OpsGenie alias. See alertKey(). */
  dedupKey: string;
  /** The alert's labels: the series labels with the monitor's own labels applied over them. */
  labels: Record<string, string>;
  severity: Severity;
  summary: string;
  value: number | null;
  /** Check result and diagnostics output, for custom_details and email bodies. */
  details: Record<string, unknown>;
  /** When the transition happened, ms since the epoch. */
  at: number;
  /** When the alert started firing, ms since the epoch (null for an alert that never fired). */
  firedAt: number | null;
  /** Who acknowledged, for acknowledge intents coming from PagerDuty webhooks. */
  acknowledgedBy?: string | null;
  /**
   * Destination ids this intent goes to and nowhere else, in place of the monitor's routing: a
   * rollout that changed a firing monitor's routing pages its new destinations and resolves the
   * ones it no longer routes to (runtime/notify/reroute.ts).
   */
  onlyTo?: string[];
}

/** An intent as read back from the outbox, with its position in the total order. */
export interface StoredIntent {
  seq: number;
  intent: NotificationIntent;
  createdAt: number;
}

/**
 * The outbox as the delivery side sees it. Delivery reads undispatched intents in `seq` order and
 * has them marked dispatched together with its per-destination deliveries (DeliveryQueue.dispatchIntent);
 * the log channel marks them itself.
 */
export interface OutboxReader {
  /** Undispatched intents, oldest first. */
  undispatched(limit: number): Awaitable<StoredIntent[]>;
  markDispatched(seq: number, at: number): Awaitable<void>;
  /** Number of undispatched intents (the `outbox depth` metric). */
  depth(): Awaitable<number>;
}

/** The outbox as the emergency page and webhooks see it: they enqueue intents of their own. */
export interface OutboxWriter {
  /** Appends an intent durably; returns its seq. Idempotent on intent.id. */
  enqueue(intent: NotificationIntent): Awaitable<number>;
}

/**
 * What an acknowledge or resolve from outside did: `applied`; `not-firing` (no alert with that
 * dedup key is firing); `earlier-episode` (the incident was opened before the alert's current
 * firing began, so it belongs to an episode that is over, and nothing changes); `out-of-order`
 * (it happened before an acknowledgement-state signal the alert already took, and arrived late).
 */
export type ControlOutcome = "applied" | "not-firing" | "earlier-episode" | "other-service" | "out-of-order";

/** What inbound webhooks may do to alerts (PagerDuty v3 incident.acknowledged / .unacknowledged / .resolved). */
/** The outside incident an acknowledge or resolve comes from. */
export interface IncidentRef {
  /** When it was opened: an incident older than the alert's firing belongs to an earlier episode. */
  openedAt: number;
  /** The PagerDuty service it is on, when the event says: one the alert does not page is not its incident. */
  serviceId?: string | null;
}

export interface AlertControl {
  /** Acknowledges the firing alert with this dedup key, when the incident is of its current firing. */
  acknowledge(dedupKey: string, by: string, at: number, incident: IncidentRef): Awaitable<ControlOutcome>;
  /** Resolves the firing alert with this dedup key from outside (`by`: who), when the incident is of its current firing. */
  resolve(dedupKey: string, at: number, reason: string, incident: IncidentRef, by?: string | null): Awaitable<ControlOutcome>;
  /** Takes back the acknowledgement of the firing alert (incident.unacknowledged): reminders resume. */
  unacknowledge?(dedupKey: string, at: number, incident: IncidentRef): Awaitable<ControlOutcome>;
}
