import type { Severity } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";

/** The three states of an alert; everything else is a timestamp on the alert (Prometheus style). */
export type AlertState = "inactive" | "pending" | "firing";

/** One alert: the state of one (monitor, label set). Persisted as is by the store. */
export interface Alert {
  monitorId: string;
  labels: Record<string, string>;
  /** alertKey(monitorId, labels): the PagerDuty dedup_key. */
  dedupKey: string;
  state: AlertState;
  /** When the current failing streak made the alert active (pending or firing); null when inactive. */
  activeAt: number | null;
  /** When the alert last started firing; kept after resolve so the resolve intent can carry it. */
  firedAt: number | null;
  resolvedAt: number | null;
  /** When the last trigger or reminder went out. */
  lastSentAt: number | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** When a firing alert first saw its condition clear; keepFiringFor counts from here. */
  keepFiringSince: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** Intents emitted so far for this alert; the next intent id is `${dedupKey}:${sequence + 1}`. */
  sequence: number;
  lastValue: number | null;
  summary: string;
  updatedAt: number;
  /**
   * The tick time of the evaluation that last changed this alert (absent in alerts older builds
   * wrote). An evaluation of an older tick, from a slow or resumed replica writing late, changes
   * nothing: a stale ok must not resolve a newer firing, nor a stale failure re-fire a resolved one.
   */
  evaluatedAt?: number | null;
  /**
   * When the latest acknowledgement-state signal from the incident's vendor (acknowledged,
   * unacknowledged, resolved) happened, on the vendor's clock, whether it changed anything or not
   * (absent in alerts older builds wrote). Vendors deliver out of order and retry what failed: a
   * signal older than this arrives late and changes nothing, so it never undoes a newer one.
   */
  ackSignalAt?: number | null;
  /**
   * When the alert last went from pending back to inactive without firing (absent in alerts older
   * builds wrote): nothing was sent, but the monitor was not OK until then ("OK since" on the pages).
   */
  clearedAt?: number | null;
}

/** The alerting rules of one monitor, in milliseconds. */
export interface AlertRules {
  forMs: number;
  keepFiringForMs: number;
  failureThreshold: number;
  successThreshold: number;
  /** Re-send while firing; null disables reminders. */
  repeatEveryMs: number | null;
  severity: Severity;
  /** The monitor's own labels: every notification carries them over the series labels (they win). */
  labels: Record<string, string>;
}

/** What one evaluation said about one label set. */
export type Observation =
  | { kind: "failing"; value: number | null; summary: string; details: Record<string, unknown> }
  | { kind: "ok"; value: number | null; summary: string; details: Record<string, unknown> }
  /** The check errored and the monitor says errors are unknown: leave the alert as it is. */
  | { kind: "unknown"; reason: string };

export function rulesOf(monitor: MonitorSpec): AlertRules {
  return {
    forMs: durationMs(monitor.for),
    keepFiringForMs: durationMs(monitor.keepFiringFor),
    failureThreshold: monitor.failureThreshold,
    successThreshold: monitor.successThreshold,
    repeatEveryMs: monitor.repeatEvery === null ? null : durationMs(monitor.repeatEvery),
    severity: monitor.severity,
    labels: monitor.labels,
  };
}

/** A fresh, inactive alert for a label set seen for the first time. */
export function newAlert(monitorId: string, labels: Record<string, string>, dedupKey: string, now: number): Alert {
  return {
    monitorId,
    labels,
    dedupKey,
    state: "inactive",
    activeAt: null,
    firedAt: null,
    resolvedAt: null,
    lastSentAt: null,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    keepFiringSince: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    sequence: 0,
    lastValue: null,
    summary: "",
    updatedAt: now,
  };
}
