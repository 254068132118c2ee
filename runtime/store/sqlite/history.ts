import type { Database, Statement } from "better-sqlite3";
import type { AlertEvent, AlertEventKind } from "../../alerts/alert-event.js";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import type { RollupBucket, RollupResolution } from "../history.js";
import { decodeBins, encodeBins, mergeEncoded, rollupBucket, rollupDeltas, ROLLUP_WIDTH_MS } from "../latency-histogram.js";
import type { RetentionMs } from "../retention.js";

/** How many results per monitor are kept whatever their age. */
export const KEPT_PER_MONITOR = 50;

export interface RawResult {
  id: number;
  monitor_id: string;
  at: number;
  ok: number;
  firing: number | null;
  value: number | null;
  message: string;
  labels: string;
  duration_ms: number;
  error: string | null;
}

interface RawRollup {
  start: number;
  count: number;
  failures: number;
  errors: number;
  max_ms: number;
  bins: Buffer;
}

interface RawEvent {
  dedup_key: string;
  monitor_id: string;
  at: number;
  kind: AlertEventKind;
  by: string | null;
  summary: string;
}

/**
 * The SQLite adapter's history (part of SqliteStore): raw results in their time window, per-minute
 * and per-hour rollups, and alert transitions. Writes run inside the store's transactions, so a
 * result and its rollups, or an alert and its transition, commit together. Rollup bins merge in
 * SQL through `wk_bins_merge`, so adding a result to a bucket is one upsert.
 */
export class SqliteHistory {
  private readonly s: Record<string, Statement>;

  constructor(
    db: Database,
    /** Off only for the history benchmark's baseline (bench/history): results without rollups. */
    private readonly rollupsOn: boolean,
  ) {
    db.function("wk_bins_merge", { deterministic: true }, (a: unknown, b: unknown) => mergeEncoded(a as Buffer | null, b as Buffer | null));
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertResult: p("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      putLatest: p(
        "INSERT INTO history_monitors (monitor_id, latest_id, at) VALUES (?, ?, ?) ON CONFLICT (monitor_id) DO UPDATE SET latest_id = excluded.latest_id, at = excluded.at",
      ),
      recentResults: p("SELECT * FROM results WHERE monitor_id = ? ORDER BY at DESC, id DESC LIMIT ?"),
      resultsBetween: p("SELECT * FROM results WHERE monitor_id = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?"),
      latestResults: p("SELECT r.* FROM history_monitors h JOIN results r ON r.id = h.latest_id"),
      addRollup: p(
        `INSERT INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (monitor_id, width, start) DO UPDATE SET count = count + excluded.count, failures = failures + excluded.failures,
           errors = errors + excluded.errors, max_ms = MAX(max_ms, excluded.max_ms), bins = wk_bins_merge(bins, excluded.bins)`,
      ),
      rollups: p("SELECT start, count, failures, errors, max_ms, bins FROM rollups WHERE monitor_id = ? AND width = ? AND start >= ? AND start < ? ORDER BY start"),
      addEvent: p("INSERT INTO alert_events (dedup_key, monitor_id, at, kind, by, summary) VALUES (?, ?, ?, ?, ?, ?)"),
      events: p("SELECT dedup_key, monitor_id, at, kind, by, summary FROM alert_events WHERE dedup_key = ? ORDER BY id"),
      // Old rows go unless they are among their monitor's newest KEPT_PER_MONITOR: a monitor that
      // runs once a day still shows its last 50 results.
      pruneResults: p(
        `DELETE FROM results WHERE id IN (
           SELECT r.id FROM results r WHERE r.at < @cutoff
              AND r.at < (SELECT x.at FROM results x WHERE x.monitor_id = r.monitor_id ORDER BY x.at DESC LIMIT 1 OFFSET ${KEPT_PER_MONITOR - 1})
            ORDER BY r.at LIMIT @limit)`,
      ),
      // A monitor that wrote nothing for the whole window left the manifest (or was renamed): all of its results go.
      staleMonitors: p("SELECT monitor_id FROM history_monitors WHERE at < ? LIMIT 10"),
      pruneMonitorResults: p("DELETE FROM results WHERE id IN (SELECT id FROM results WHERE monitor_id = ? LIMIT ?)"),
      forgetMonitor: p("DELETE FROM history_monitors WHERE monitor_id = ? AND NOT EXISTS (SELECT 1 FROM results WHERE monitor_id = ?)"),
      pruneRollups: p("DELETE FROM rollups WHERE (monitor_id, width, start) IN (SELECT monitor_id, width, start FROM rollups WHERE width = ? AND start < ? LIMIT ?)"),
      pruneEvents: p("DELETE FROM alert_events WHERE id IN (SELECT id FROM alert_events WHERE at < ? LIMIT ?)"),
    };
  }

  /** Writes one evaluation's results, points the monitor at the newest, and adds them to its rollups. */
  addResults(monitorId: string, results: readonly ResultRow[]): void {
    if (results.length === 0) return;
    let last = 0;
    for (const r of results) {
      const info = this.s.insertResult!.run(r.monitorId, r.at, r.ok ? 1 : 0, r.firing === null ? null : r.firing ? 1 : 0, r.value, r.message, JSON.stringify(r.labels), r.durationMs, r.error ?? null);
      last = Number(info.lastInsertRowid);
    }
    this.s.putLatest!.run(monitorId, last, results[results.length - 1]!.at);
    if (!this.rollupsOn) return;
    for (const width of [ROLLUP_WIDTH_MS.minute, ROLLUP_WIDTH_MS.hour]) {
      for (const d of rollupDeltas(results, width)) {
        this.s.addRollup!.run(monitorId, width, d.start, d.count, d.failures, d.errors, d.maxMs, encodeBins(d.bins));
      }
    }
  }

  addEvents(events: readonly AlertEvent[]): void {
    for (const e of events) this.s.addEvent!.run(e.dedupKey, e.monitorId, e.at, e.kind, e.by, e.summary);
  }

  recentResults(monitorId: string, limit: number): ResultRow[] {
    return (this.s.recentResults!.all(monitorId, limit) as RawResult[]).map(toResult);
  }

  resultsBetween(monitorId: string, since: number, until: number, limit: number): ResultRow[] {
    return (this.s.resultsBetween!.all(monitorId, since, until, limit) as RawResult[]).map(toResult);
  }

  latestResults(): Map<string, ResultRow> {
    const out = new Map<string, ResultRow>();
    for (const raw of this.s.latestResults!.all() as RawResult[]) out.set(raw.monitor_id, toResult(raw));
    return out;
  }

  rollups(monitorId: string, resolution: RollupResolution, since: number, until: number): RollupBucket[] {
    return (this.s.rollups!.all(monitorId, ROLLUP_WIDTH_MS[resolution], since, until) as RawRollup[]).map((r) =>
      rollupBucket(r.start, r.count, r.failures, r.errors, r.max_ms, decodeBins(r.bins)),
    );
  }

  alertEvents(dedupKey: string): AlertEvent[] {
    return (this.s.events!.all(dedupKey) as RawEvent[]).map((r) => ({ dedupKey: r.dedup_key, monitorId: r.monitor_id, at: r.at, kind: r.kind, by: r.by, summary: r.summary }));
  }

  /**
   * Deletes at most `limit` rows of each kind: results past `results` (but never a monitor's
   * newest 50), every result of a monitor that wrote none for `results`, minute and hour rollups
   * past their retentions, and alert transitions past `resolvedAlerts`.
   */
  prune(now: number, retention: RetentionMs, limit: number): number {
    const cutoff = now - retention.results;
    let deleted = this.s.pruneResults!.run({ cutoff, limit }).changes;
    let budget = limit;
    for (const { monitor_id } of this.s.staleMonitors!.all(cutoff) as Array<{ monitor_id: string }>) {
      if (budget <= 0) break;
      const n = this.s.pruneMonitorResults!.run(monitor_id, budget).changes;
      budget -= n;
      deleted += n;
      this.s.forgetMonitor!.run(monitor_id, monitor_id);
    }
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.minute, now - retention.minuteRollups, limit).changes;
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.hour, now - retention.rollups, limit).changes;
    deleted += this.s.pruneEvents!.run(now - retention.resolvedAlerts, limit).changes;
    return deleted;
  }
}

export function toResult(r: RawResult): ResultRow {
  return {
    monitorId: r.monitor_id,
    at: r.at,
    ok: r.ok === 1,
    firing: r.firing === null ? null : r.firing === 1,
    value: r.value,
    message: r.message,
    labels: JSON.parse(r.labels) as Record<string, string>,
    durationMs: r.duration_ms,
    error: r.error,
  };
}
