import type { Severity } from "../../sdk/manifest/schema.js";

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
}

/** An intent as read back from the outbox, with its position in the total order. */
export interface StoredIntent {
  seq: number;
  intent: NotificationIntent;
  createdAt: number;
}

/**
 * The outbox as the delivery side sees it. Implemented over the runtime's store (SQLite embedded).
 * Delivery reads undispatched intents in `seq` order and marks them dispatched once it has durably
 * recorded its own per-channel deliveries for them (same database, same transaction).
 */
export interface OutboxReader {
  /** Undispatched intents, oldest first. */
  undispatched(limit: number): StoredIntent[];
  markDispatched(seq: number, at: number): void;
  /** Number of undispatched intents (the `outbox depth` metric). */
  depth(): number;
}

/** The outbox as the emergency page and webhooks see it: they enqueue intents of their own. */
export interface OutboxWriter {
  /** Appends an intent durably; returns its seq. Idempotent on intent.id. */
  enqueue(intent: NotificationIntent): number;
}

/** What inbound webhooks may do to alerts (PagerDuty v3 incident.acknowledged / incident.resolved). */
export interface AlertControl {
  /** Marks the alert with this dedup key acknowledged; false when no such open alert exists. */
  acknowledge(dedupKey: string, by: string, at: number): boolean;
  /** Resolves the alert with this dedup key from outside (the incident was resolved in PagerDuty). */
  resolve(dedupKey: string, at: number, reason: string): boolean;
}
