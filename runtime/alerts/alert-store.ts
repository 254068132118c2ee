import type { Awaitable } from "../awaitable.js";
import type { AlertEvent } from "./alert-event.js";
import type { NotificationIntent } from "./intent.js";
import type { Alert } from "./state.js";

/**
 * An alert as read from the store, with its version: a counter the store bumps on every write.
 * A transition computed from this read commits only while the version is unchanged.
 */
export interface VersionedAlert {
  alert: Alert;
  version: number;
}

/**
 * What a commit did: `committed`, or `conflict` when another writer (another replica, an
 * acknowledgement webhook) changed one of the alerts since it was read. Nothing is written on a
 * conflict; the caller re-reads and re-evaluates.
 */
export type CommitOutcome = { kind: "committed" } | { kind: "conflict"; dedupKeys: string[] };

/** Alert changes and the intents their transitions emitted, committed together or not at all. */
export interface AlertCommit {
  alerts: Alert[];
  /**
   * The version each written alert had when it was read (0: it did not exist). An alert whose key
   * is absent here is written whatever its version (start-up rollout, tests).
   */
  readVersions: Record<string, number>;
  intents: NotificationIntent[];
  /** The transitions' timeline entries (Transition.events), stored with the alerts or not at all. */
  events?: AlertEvent[];
  /** When the intents are enqueued (the outbox's created time). */
  at: number;
}

/** The store as acknowledgements, outside resolves and rollouts use it. */
export interface AlertStore {
  readAlert(dedupKey: string): Awaitable<VersionedAlert | null>;
  allAlerts(): Awaitable<Alert[]>;
  commitAlerts(commit: AlertCommit): Awaitable<CommitOutcome>;
}

/** readVersions for what was read: the version of every alert in `read`. */
export function versionsOf(read: VersionedAlert[]): Record<string, number> {
  return Object.fromEntries(read.map((r) => [r.alert.dedupKey, r.version]));
}
