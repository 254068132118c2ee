import { Gauge, type Registry } from "prom-client";
import type { Alert } from "./alerts/state.js";
import type { Awaitable } from "./awaitable.js";
import type { ResultRow } from "./evaluate/evaluation-store.js";

/** What the per-monitor series read from the store on each scrape (the StateView port). */
export interface MonitorSeriesSource {
  monitorIds: readonly string[];
  latestResults(): Awaitable<Map<string, ResultRow>>;
  allAlerts(): Awaitable<Alert[]>;
  recentResults(monitorId: string, limit?: number): Awaitable<ResultRow[]>;
}

/** The alert states a monitor is in, worst first: exactly one is 1 per monitor. */
export const MONITOR_ALERT_STATES = ["firing", "acknowledged", "pending", "ok"] as const;
export type MonitorAlertState = (typeof MONITOR_ALERT_STATES)[number];

/** The state of a monitor's worst alert: firing (unacknowledged) > acknowledged > pending > ok. */
export function monitorAlertState(alerts: readonly Alert[]): MonitorAlertState {
  const firing = alerts.filter((a) => a.state === "firing");
  if (firing.some((a) => a.acknowledgedAt === null)) return "firing";
  if (firing.length > 0) return "acknowledged";
  return alerts.some((a) => a.state === "pending") ? "pending" : "ok";
}

/** Whether a result counts as a success: the check ran and its condition was clear. */
export function succeeded(r: ResultRow): boolean {
  return r.ok && !r.error && r.firing !== true;
}

/**
 * Per-monitor series in the blackbox exporter's spirit (`probe_success`, `probe_duration_seconds`),
 * read from the store on each scrape so every replica and a restarted runtime report the same, and
 * no per-monitor histograms (latency percentiles are in the store's rollups and the views):
 *
 * - `watchkeeper_monitor_up{monitor}`: 1 when the newest result succeeded and none of the
 *   monitor's alerts is pending or firing (a series failing in a multi-series monitor holds an
 *   alert), else 0; absent before the monitor's first result.
 * - `watchkeeper_monitor_last_duration_seconds{monitor}`: the newest check's duration.
 * - `watchkeeper_monitor_last_success_timestamp_seconds{monitor}`: the newest successful result's
 *   time, absent while none is known (not in the newest 50 after a restart).
 * - `watchkeeper_monitor_alert_state{monitor,state}`: an OpenMetrics-style state set, 1 for the
 *   state of the monitor's worst alert (firing, acknowledged, pending, ok), 0 for the others.
 */
export function registerMonitorSeries(registry: Registry, source: MonitorSeriesSource): void {
  const lastSuccess = new Map<string, number>();
  const looked = new Set<string>();
  let snapshot: Promise<{ latest: Map<string, ResultRow>; alerts: Map<string, Alert[]> } | null> | null = null;
  // One store read per scrape serves all four gauges.
  const read = () => {
    snapshot ??= (async () => {
      try {
        const [latest, all] = await Promise.all([source.latestResults(), source.allAlerts()]);
        const alerts = new Map<string, Alert[]>();
        for (const a of all) alerts.set(a.monitorId, [...(alerts.get(a.monitorId) ?? []), a]);
        for (const [id, r] of latest) {
          if (succeeded(r)) lastSuccess.set(id, Math.max(r.at, lastSuccess.get(id) ?? 0));
          else if (!looked.has(id) && !lastSuccess.has(id)) {
            // After a restart a failing monitor's last success is further back: look once.
            looked.add(id);
            const ok = (await source.recentResults(id)).find(succeeded);
            if (ok) lastSuccess.set(id, ok.at);
          }
        }
        return { latest, alerts };
      } catch {
        // A store that cannot answer (Redis down) leaves these series out; the rest of /metrics still serves.
        return null;
      } finally {
        setImmediate(() => (snapshot = null));
      }
    })();
    return snapshot;
  };

  new Gauge({
    name: "watchkeeper_monitor_up",
    help: "1 when the monitor's newest result succeeded and none of its alerts is pending or firing, else 0.",
    labelNames: ["monitor"],
    registers: [registry],
    async collect() {
      const s = await read();
      if (!s) return;
      this.reset();
      for (const monitor of source.monitorIds) {
        const r = s.latest.get(monitor);
        if (!r) continue;
        this.set({ monitor }, succeeded(r) && monitorAlertState(s.alerts.get(monitor) ?? []) === "ok" ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "watchkeeper_monitor_last_duration_seconds",
    help: "How long the monitor's newest check took.",
    labelNames: ["monitor"],
    registers: [registry],
    async collect() {
      const s = await read();
      if (!s) return;
      this.reset();
      for (const monitor of source.monitorIds) {
        const r = s.latest.get(monitor);
        if (r) this.set({ monitor }, r.durationMs / 1000);
      }
    },
  });
  new Gauge({
    name: "watchkeeper_monitor_last_success_timestamp_seconds",
    help: "When the monitor last succeeded (check ran, condition clear), seconds since the epoch.",
    labelNames: ["monitor"],
    registers: [registry],
    async collect() {
      const s = await read();
      if (!s) return;
      this.reset();
      for (const monitor of source.monitorIds) {
        const at = lastSuccess.get(monitor);
        if (at !== undefined) this.set({ monitor }, at / 1000);
      }
    },
  });
  new Gauge({
    name: "watchkeeper_monitor_alert_state",
    help: "1 for the state of the monitor's worst alert (firing, acknowledged, pending, ok), 0 for the other states.",
    labelNames: ["monitor", "state"],
    registers: [registry],
    async collect() {
      const s = await read();
      if (!s) return;
      this.reset();
      for (const monitor of source.monitorIds) {
        const current = monitorAlertState(s.alerts.get(monitor) ?? []);
        for (const state of MONITOR_ALERT_STATES) this.set({ monitor, state }, state === current ? 1 : 0);
      }
    },
  });
}
