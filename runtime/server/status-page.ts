import type { Alert, AlertState } from "../alerts/state.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";

/** What `/api/monitors` says about one monitor (the pages are runtime/views). */
export interface MonitorStatus {
  id: string;
  name: string;
  state: AlertState | "erroring" | "no data";
  lastResult: ResultRow | null;
  /** Why the monitor does not run as its spec asks (a location no replica serves). */
  note?: string;
}

/** A scale-out replica as the overview lists it. */
export interface ReplicaView {
  id: string;
  location: string;
  manifest: string;
  startedAt: string;
}

/**
 * The worst state among a monitor's alerts. A latest tick that errored is "erroring" unless an
 * alert still fires: with `onError: "unknown"` the alerts stay as they were, so "Operational"
 * would claim a health nobody checked.
 */
export function worstState(alerts: Alert[], latest: ResultRow | null = null): AlertState | "erroring" {
  if (alerts.some((a) => a.state === "firing")) return "firing";
  if (latest?.error) return "erroring";
  if (alerts.some((a) => a.state === "pending")) return "pending";
  return "inactive";
}
