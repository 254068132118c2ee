import { durationMs } from "../../sdk/duration.js";
import { DEFAULT_RUNTIME_SETTINGS, type RuntimeSettings } from "../../sdk/manifest/schema.js";
import type { Awaitable } from "../awaitable.js";

/** How long each kind of stored row is kept, in milliseconds (the manifest's `retention`). */
export interface RetentionMs {
  results: number;
  notifications: number;
  silences: number;
  inbound: number;
  /** Alert timelines (transitions) too: an alert's story is kept as long as the alert. */
  resolvedAlerts: number;
  /** Per-hour rollups. */
  rollups: number;
  /** Per-minute rollups. */
  minuteRollups: number;
}

/**
 * Rows deleted per statement: short enough that a tick waiting on the database hardly notices. On a
 * week's state at 10,000 monitors (25 GB) a batch of 250 results took p50 4 ms, p99 34 ms, against
 * 22 and 45 ms for 500, at the same rows a second (bench/results/history.md).
 */
export const PRUNE_BATCH = 250;

/**
 * A store that owns tables and deletes what has outlived its retention. Each call deletes at most
 * `limit` rows per table and returns how many it deleted; the pruner calls again until it gets 0.
 */
export interface Prunable {
  prune(now: number, retention: RetentionMs, limit: number): Awaitable<number>;
  /**
   * True while the store's earlier writes have not reached its files yet (SQLite: a WAL its
   * checkpoint helper has not caught up with): the pruner waits before its next batch, so that
   * deletes never outrun the disk.
   */
  writesBehind?(): boolean;
}

export function retentionOf(settings: RuntimeSettings): RetentionMs {
  const r = settings.retention;
  return {
    results: durationMs(r.results),
    notifications: durationMs(r.notifications),
    silences: durationMs(r.silences),
    inbound: durationMs(r.inbound),
    resolvedAlerts: durationMs(r.resolvedAlerts),
    // Manifests compiled before rollups existed carry no such field.
    rollups: durationMs(r.rollups ?? DEFAULT_RUNTIME_SETTINGS.retention.rollups ?? "90d"),
    minuteRollups: durationMs(r.minuteRollups ?? DEFAULT_RUNTIME_SETTINGS.retention.minuteRollups ?? "7d"),
  };
}
