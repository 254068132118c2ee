import type { Database, Statement } from "better-sqlite3";
import type { AlertEvent, AlertEventKind } from "../../alerts/alert-event.js";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import type { DiagnosticsRecord } from "../diagnostics-record.js";
import type { RollupBucket, RollupResolution } from "../history.js";
import { decodeBins, encodeBins, mergeBins, rollupBucket, rollupDeltas, ROLLUP_WIDTH_MS, type RollupDelta } from "../latency-histogram.js";
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

/** A monitor's current bucket of one width, as last committed. */
interface OpenBucket {
  start: number;
  count: number;
  failures: number;
  errors: number;
  maxMs: number;
  bins: Buffer;
}

/**
 * The SQLite adapter's history (part of SqliteStore): raw results in their time window, per-minute
 * and per-hour rollups, and alert transitions. Writes run inside the store's transactions, so a
 * result and its rollups, or an alert and its transition, commit together.
 *
 * Each monitor's current minute and hour bucket is also held in memory (a few hundred bytes per
 * monitor), so adding a result writes the whole bucket row without reading it first or merging
 * bins in SQL: the store holds the state folder's lock, so nothing else writes these rows. The
 * copy changes only after the commit (`settle`); a bucket not held (after a restart) is read once.
 */
export class SqliteHistory {
  private readonly s: Record<string, Statement>;
  private readonly open = new Map<string, OpenBucket>();
  private staged: Array<[string, OpenBucket]> = [];

  constructor(
    db: Database,
    /** Off only for the history benchmark's baseline (bench/history): results without rollups. */
    private readonly rollupsOn: boolean,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertResult: p("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      // Written once per monitor, read-only afterwards: a commit pays a lookup, not a page write.
      addMonitor: p("INSERT OR IGNORE INTO history_monitors (monitor_id) VALUES (?)"),
      recentResults: p("SELECT * FROM results WHERE monitor_id = ? ORDER BY at DESC, id DESC LIMIT ?"),
      resultsBetween: p("SELECT * FROM results WHERE monitor_id = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?"),
      latestResults: p(
        "SELECT r.* FROM history_monitors h JOIN results r ON r.id = (SELECT x.id FROM results x WHERE x.monitor_id = h.monitor_id ORDER BY x.at DESC, x.id DESC LIMIT 1)",
      ),
      readRollup: p("SELECT start, count, failures, errors, max_ms, bins FROM rollups WHERE monitor_id = ? AND width = ? AND start = ?"),
      putRollup: p(
        `INSERT INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (monitor_id, width, start) DO UPDATE SET count = excluded.count, failures = excluded.failures,
           errors = excluded.errors, max_ms = excluded.max_ms, bins = excluded.bins`,
      ),
      rollups: p("SELECT start, count, failures, errors, max_ms, bins FROM rollups WHERE monitor_id = ? AND width = ? AND start >= ? AND start < ? ORDER BY start"),
      addEvent: p("INSERT INTO alert_events (dedup_key, monitor_id, at, kind, by, summary) VALUES (?, ?, ?, ?, ?, ?)"),
      events: p("SELECT dedup_key, monitor_id, at, kind, by, summary FROM alert_events WHERE dedup_key = ? ORDER BY id"),
      addDiagnostics: p("INSERT INTO alert_diagnostics (dedup_key, monitor_id, at, text) VALUES (?, ?, ?, ?)"),
      diagnostics: p("SELECT text FROM alert_diagnostics WHERE dedup_key = ? ORDER BY id DESC LIMIT 1"),
      pruneDiagnostics: p("DELETE FROM alert_diagnostics WHERE id IN (SELECT id FROM alert_diagnostics WHERE at < ? LIMIT ?)"),
      // Old rows go unless they are among their monitor's newest KEPT_PER_MONITOR: a monitor that
      // runs once a day still shows its last 50 results. Newest first, so the kept old rows of
      // such monitors are passed once per run, at its end, not at the start of every batch.
      pruneResults: p(
        `DELETE FROM results WHERE id IN (
           SELECT r.id FROM results r WHERE r.at < @cutoff
              AND r.at < (SELECT x.at FROM results x WHERE x.monitor_id = r.monitor_id ORDER BY x.at DESC LIMIT 1 OFFSET ${KEPT_PER_MONITOR - 1})
            ORDER BY r.at DESC LIMIT @limit)`,
      ),
      // A monitor that wrote nothing for the whole window left the manifest (or was renamed): all of its results go.
      staleMonitors: p(
        "SELECT h.monitor_id FROM history_monitors h WHERE COALESCE((SELECT MAX(x.at) FROM results x WHERE x.monitor_id = h.monitor_id), 0) < ? LIMIT 10",
      ),
      pruneMonitorResults: p("DELETE FROM results WHERE id IN (SELECT id FROM results WHERE monitor_id = ? LIMIT ?)"),
      forgetMonitor: p("DELETE FROM history_monitors WHERE monitor_id = ? AND NOT EXISTS (SELECT 1 FROM results WHERE monitor_id = ?)"),
      pruneRollups: p("DELETE FROM rollups WHERE (monitor_id, width, start) IN (SELECT monitor_id, width, start FROM rollups WHERE width = ? AND start < ? LIMIT ?)"),
      pruneEvents: p("DELETE FROM alert_events WHERE id IN (SELECT id FROM alert_events WHERE at < ? LIMIT ?)"),
    };
  }

  /** Writes one evaluation's results and adds them to the monitor's minute and hour buckets. */
  addResults(monitorId: string, results: readonly ResultRow[]): void {
    if (results.length === 0) return;
    for (const r of results) {
      this.s.insertResult!.run(r.monitorId, r.at, r.ok ? 1 : 0, r.firing === null ? null : r.firing ? 1 : 0, r.value, r.message, JSON.stringify(r.labels), r.durationMs, r.error ?? null);
    }
    this.s.addMonitor!.run(monitorId);
    if (!this.rollupsOn) return;
    for (const width of [ROLLUP_WIDTH_MS.minute, ROLLUP_WIDTH_MS.hour, ROLLUP_WIDTH_MS.day]) {
      for (const d of rollupDeltas(results, width)) this.addToBucket(monitorId, width, d);
    }
  }

  /** After the transaction: true when it committed (the buckets written are now the ones held). */
  settle(committed: boolean): void {
    if (committed) for (const [key, bucket] of this.staged) this.open.set(key, bucket);
    this.staged = [];
  }

  private addToBucket(monitorId: string, width: number, d: RollupDelta): void {
    const key = `${monitorId}\u0000${width}`;
    let held = this.staged.findLast(([k]) => k === key)?.[1] ?? this.open.get(key);
    if (held === undefined || held.start !== d.start) {
      const row = this.s.readRollup!.get(monitorId, width, d.start) as RawRollup | undefined;
      held = row ? { start: row.start, count: row.count, failures: row.failures, errors: row.errors, maxMs: row.max_ms, bins: row.bins } : undefined;
    }
    const next: OpenBucket = held
      ? {
          start: d.start,
          count: held.count + d.count,
          failures: held.failures + d.failures,
          errors: held.errors + d.errors,
          maxMs: Math.max(held.maxMs, d.maxMs),
          bins: encodeBins(mergeBins(decodeBins(held.bins), d.bins)),
        }
      : { start: d.start, count: d.count, failures: d.failures, errors: d.errors, maxMs: d.maxMs, bins: encodeBins(d.bins) };
    this.s.putRollup!.run(monitorId, width, next.start, next.count, next.failures, next.errors, next.maxMs, next.bins);
    this.staged.push([key, next]);
  }

  addEvents(events: readonly AlertEvent[]): void {
    for (const e of events) this.s.addEvent!.run(e.dedupKey, e.monitorId, e.at, e.kind, e.by, e.summary);
  }

  addDiagnostics(records: readonly DiagnosticsRecord[]): void {
    for (const d of records) this.s.addDiagnostics!.run(d.dedupKey, d.monitorId, d.at, d.text);
  }

  alertDiagnostics(dedupKey: string): string | null {
    return (this.s.diagnostics!.get(dedupKey) as { text: string } | undefined)?.text ?? null;
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
   * newest 50), every result of a monitor that wrote none for `results`, minute, hour and day
   * rollups past their retentions, and alert transitions and diagnostics past `resolvedAlerts`.
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
    // Buckets of monitors that stopped writing would otherwise be held for good.
    if (this.open.size > 0) for (const [key, b] of this.open) if (b.start < now - retention.results) this.open.delete(key);
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.minute, now - retention.minuteRollups, limit).changes;
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.hour, now - retention.rollups, limit).changes;
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.day, now - retention.rollups, limit).changes;
    deleted += this.s.pruneEvents!.run(now - retention.resolvedAlerts, limit).changes;
    deleted += this.s.pruneDiagnostics!.run(now - retention.resolvedAlerts, limit).changes;
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
