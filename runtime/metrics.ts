import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Awaitable } from "./awaitable.js";
import { registerMonitorSeries, type MonitorSeriesSource } from "./monitor-metrics.js";

/** The runtime's Prometheus metrics, on a registry of its own (no global state). */
export interface RuntimeMetrics {
  registry: Registry;
  checksTotal: Counter<"kind" | "result">;
  checkDuration: Histogram<"kind">;
  schedulingLag: Histogram;
  ticksSkipped: Counter<"reason">;
  alertTransitions: Counter<"type">;
  secretMissing: Gauge<"name">;
  heartbeatUnknown: Counter;
  bundleMissingExport: Gauge<"monitor" | "export">;
  codeWorkerRestarts: Counter<"reason">;
  evaluationErrors: Counter<"stage">;
  checkErrors: Counter<"monitor" | "reason">;
  pruneBatch: Histogram;
  prunedRows: Counter;
}

/**
 * Creates the metrics. `alertStates` and `outboxDepth` are read from the store on each scrape, so
 * they are right after a restart without replaying anything.
 */
export function createMetrics(read: {
  alertStates(): Awaitable<Record<string, number>>;
  outboxDepth(): Awaitable<number>;
  declaredSecrets: string[];
  missingSecrets(): string[];
  /** The manifest's monitor ids, and those whose latest tick errored (one gauge series per monitor). */
  monitorIds?: string[];
  erroringMonitors?(): Awaitable<string[]>;
  /** Per-monitor up, last duration, last success and alert state (monitor-metrics.ts). */
  monitors?: MonitorSeriesSource;
}): RuntimeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m: RuntimeMetrics = {
    registry,
    checksTotal: new Counter({ name: "watchkeeper_checks_total", help: "Checks run, by check kind and result (ok, failed, error).", labelNames: ["kind", "result"], registers: [registry] }),
    checkDuration: new Histogram({
      name: "watchkeeper_check_duration_seconds",
      help: "Wall time of a check.",
      labelNames: ["kind"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    schedulingLag: new Histogram({
      name: "watchkeeper_scheduling_lag_seconds",
      help: "Actual start of a check minus its scheduled time.",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ticksSkipped: new Counter({ name: "watchkeeper_ticks_skipped_total", help: "Ticks not run, by reason (overlap: the previous one still ran).", labelNames: ["reason"], registers: [registry] }),
    alertTransitions: new Counter({ name: "watchkeeper_alert_intents_total", help: "Notification intents written to the outbox, by type.", labelNames: ["type"], registers: [registry] }),
    secretMissing: new Gauge({
      name: "watchkeeper_secret_missing",
      help: "1 when a declared secret has no value, 0 once it has one.",
      labelNames: ["name"],
      registers: [registry],
      collect() {
        const missing = new Set(read.missingSecrets());
        for (const name of read.declaredSecrets) this.set({ name }, missing.has(name) ? 1 : 0);
      },
    }),
    heartbeatUnknown: new Counter({ name: "watchkeeper_heartbeat_unknown_total", help: "Heartbeat pings for a monitor id the manifest does not have.", registers: [registry] }),
    codeWorkerRestarts: new Counter({ name: "watchkeeper_code_worker_restarts_total", help: "Times the worker running the project's code was replaced: stalled (code that did not return), exited (process.exit, out of heap) or unanswered (a call got no answer).", labelNames: ["reason"], registers: [registry] }),
    bundleMissingExport: new Gauge({ name: "watchkeeper_bundle_missing_export", help: "1 when the manifest says a monitor has code the bundle lacks.", labelNames: ["monitor", "export"], registers: [registry] }),
    checkErrors: new Counter({
      name: "watchkeeper_check_errors_total",
      help: "Ticks whose check could not be evaluated, by monitor and reason (timeout, unreachable, bad-response, duplicate-labelset, ...), whatever onError says.",
      labelNames: ["monitor", "reason"],
      registers: [registry],
    }),
    evaluationErrors: new Counter({ name: "watchkeeper_evaluation_errors_total", help: "Evaluations that failed inside the runtime (store write, state machine).", labelNames: ["stage"], registers: [registry] }),
    pruneBatch: new Histogram({
      name: "watchkeeper_prune_batch_seconds",
      help: "Time one batch of the background pruner held the event loop (it deletes rows past their retention).",
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    prunedRows: new Counter({ name: "watchkeeper_pruned_rows_total", help: "Stored rows the background pruner deleted as past their retention.", registers: [registry] }),
  };
  new Gauge({
    name: "watchkeeper_alerts",
    help: "Alerts by state.",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      // A store that cannot answer (Redis down) leaves the last values; the rest of /metrics still serves.
      const counts = await Promise.resolve(read.alertStates()).catch(() => null);
      if (!counts) return;
      for (const state of ["inactive", "pending", "firing"]) this.set({ state }, counts[state] ?? 0);
    },
  });
  new Gauge({
    name: "watchkeeper_monitor_erroring",
    help: "1 while a monitor's latest tick could not be evaluated (check error), 0 otherwise; read from the store, so right after a restart.",
    labelNames: ["monitor"],
    registers: [registry],
    async collect() {
      if (!read.erroringMonitors) return;
      const list = await Promise.resolve(read.erroringMonitors()).catch(() => null);
      if (!list) return;
      const erroring = new Set(list);
      for (const monitor of read.monitorIds ?? []) this.set({ monitor }, erroring.has(monitor) ? 1 : 0);
    },
  });
  if (read.monitors) registerMonitorSeries(registry, read.monitors);
  new Gauge({
    name: "watchkeeper_outbox_depth",
    help: "Notification intents not yet dispatched.",
    registers: [registry],
    async collect() {
      const depth = await Promise.resolve(read.outboxDepth()).catch(() => null);
      if (depth !== null) this.set(depth);
    },
  });
  return m;
}
