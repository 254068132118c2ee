import type { Awaitable } from "../awaitable.js";

/**
 * What a committed change touched, for the live views: the monitors whose alerts changed or whose
 * latest result started or stopped erroring, or `null` for "anything may have changed" (a silence
 * was added or expired: it can cover any monitor).
 */
export type ChangedMonitors = string[] | null;

/**
 * Changes as they commit, so the live views need not poll every monitor (docs/views.md, "Live
 * updates"). The SQLite store tells its own process; the Redis store publishes on a Redis channel
 * from inside the commit's script, so every replica's pages hear of a transition any replica made.
 * Delivery is at most once (a page that misses one catches up on its next change or reload).
 */
export interface ChangeFeed {
  /** Calls `listener` after each change commits; returns the way to stop listening. */
  watchChanges(listener: (monitors: ChangedMonitors) => void): Awaitable<() => void>;
}
