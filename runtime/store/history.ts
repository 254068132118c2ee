import type { Awaitable } from "../awaitable.js";
import type { AlertEvent } from "../alerts/alert-event.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";
import type { DeliveryAttemptEvent } from "../notify/delivery-queue.js";

/**
 * What the views read about the past (issue "What people look at"): result rollups, raw results in
 * a window, each alert's transitions and each notification attempt. Every store adapter implements
 * it (SQLite embedded, Redis scale-out) and the conformance suite checks both; the store writes it
 * itself as part of the commits it already makes (an evaluation, an attempt, an acknowledgement),
 * so nothing here is a second write path that could disagree with alert state.
 */

/**
 * Rollup widths: per-hour and per-day buckets are kept for `retention.rollups` (default 90 days),
 * per-minute ones for `retention.minuteRollups` (default 7 days). Day buckets (UTC days) are what
 * the overview's 90 bars read: 90 rows a monitor instead of 2,160 hours. Percentiles are within
 * 4.33 % (docs/runtime.md).
 */
export type RollupResolution = "minute" | "hour" | "day";

/** One bucket of one monitor's results, all label sets together. Times are epoch ms. */
export interface RollupBucket {
  /** Start of the bucket, aligned to the minute or hour in UTC. */
  start: number;
  /** Results in the bucket. */
  count: number;
  /** Results whose condition held (`firing === true`), check errors that `onError: "fail"` counts as failing included. */
  failures: number;
  /** Results that could not be evaluated and count neither way (`firing === null`: `onError: "unknown"`). */
  errors: number;
  /** Latency percentiles of `durationMs` over the bucket; null when the bucket has no results. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/**
 * One alert transition, as the alert's timeline shows it (defined beside the state machine that
 * makes them, runtime/alerts/alert-event.ts).
 */
export type { AlertEvent, AlertEventKind } from "../alerts/alert-event.js";

/**
 * One attempt to deliver one notification to one destination, with the vendor's answer (defined
 * beside the delivery queue that records them, runtime/notify/delivery-queue.ts).
 */
export type { DeliveryAttemptEvent } from "../notify/delivery-queue.js";

export interface HistoryLog {
  /** Buckets with at least one result in [since, until), oldest first. */
  rollups(monitorId: string, resolution: RollupResolution, since: number, until: number): Awaitable<RollupBucket[]>;
  /** Raw results in [since, until), newest first, at most `limit`. */
  resultsBetween(monitorId: string, since: number, until: number, limit: number): Awaitable<ResultRow[]>;
  /** The transitions of one alert, oldest first. */
  alertEvents(dedupKey: string): Awaitable<AlertEvent[]>;
  /** Every delivery attempt of one alert's notifications, oldest first. */
  deliveryAttempts(dedupKey: string): Awaitable<DeliveryAttemptEvent[]>;
  /**
   * The diagnostics text attached when the alert last fired (written in the commit that fired it,
   * cut to DIAGNOSTICS_RECORD_MAX, kept as long as its transitions); null when none was recorded.
   */
  alertDiagnostics(dedupKey: string): Awaitable<string | null>;
}
