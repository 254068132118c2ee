import type { Alert } from "../alerts/state.js";
import type { Awaitable } from "../awaitable.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";

/** What health, metrics, the status page and the JSON API read from the store. */
export interface StateView {
  alertsOf(monitorId: string): Awaitable<Alert[]>;
  allAlerts(): Awaitable<Alert[]>;
  /** How many alerts are in each state. */
  alertStates(): Awaitable<Record<string, number>>;
  recentResults(monitorId: string, limit?: number): Awaitable<ResultRow[]>;
  /** The newest result of every monitor. */
  latestResults(): Awaitable<Map<string, ResultRow>>;
  /** True when a write commits: what /readyz reports as "store writable". */
  writable(at: number): Awaitable<boolean>;
}
