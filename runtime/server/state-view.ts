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
  /**
   * When each monitor whose latest result errored began erroring (the first result of the streak),
   * kept by the store as results commit, so it holds however long the streak and across restarts.
   * A monitor that was erroring when the store was upgraded may be missing: its start is not known.
   */
  erroringSince(): Awaitable<Map<string, number>>;
  /**
   * When each monitor whose latest result ran last stopped erroring (the first result that ran after
   * the streak), kept as erroringSince is; a monitor that never errored since it was kept is missing.
   */
  erroringEnded(): Awaitable<Map<string, number>>;
  /** True when a write commits: what /readyz reports as "store writable". */
  writable(at: number): Awaitable<boolean>;
}
