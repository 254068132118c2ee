import type { Database, Statement } from "better-sqlite3";
import type { AlertEvent, AlertEventKind } from "../../alerts/alert-event.js";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import type { DiagnosticsRecord } from "../diagnostics-record.js";
import type { RollupBucket, RollupResolution } from "../history.js";
import { binOf, decodeBins, encodeBins, mergeBins, rollupBucket, rollupDeltas, ROLLUP_WIDTH_MS, type Bins, type RollupDelta } from "../latency-histogram.js";
import type { RetentionMs } from "../retention.js";

/** How many results per monitor are kept whatever their age. */
export const KEPT_PER_MONITOR = 50;
/** Monitors prune() looks at per call for ones that stopped writing (an index lookup each). */
const STALE_PAGE = 500;

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

/** A bucket held in memory: the open minute of a monitor, or the hour it belongs to. */
interface HeldBucket {
  start: number;
  count: number;
  failures: number;
  errors: number;
  maxMs: number;
  bins: Bins;
  /** An open minute whose row was written before (by close() or a grace close): it holds only what came since. */
  stored?: boolean;
}

/** A monitor's buckets as held: `minute` is open (not yet written), `hour` is as written (closed minutes only). */
interface HeldBuckets {
  minute: HeldBucket | null;
  hour: HeldBucket | null;
}

/** One change to the held buckets, as the journal undoes it. */
type Undo =
  | { kind: "add"; bucket: HeldBucket; result: ResultRow; maxMs: number }
  | { kind: "new"; monitorId: string }
  | { kind: "snapshot"; buckets: HeldBuckets; minute: HeldBucket | null; minuteWas: HeldBucket | null; hour: HeldBucket | null; hourWas: HeldBucket | null };

const MINUTE = ROLLUP_WIDTH_MS.minute;
const HOUR = ROLLUP_WIDTH_MS.hour;
const DAY = ROLLUP_WIDTH_MS.day;
/**
 * An open minute is written when the monitor's first result of a later minute commits, or at the
 * latest this long after the minute ended (monitors that run less than once a minute, or stopped):
 * long enough for a check still running at the minute's end to finish.
 */
const MINUTE_GRACE_MS = 60_000;
/** How often the commits look for open minutes past their grace. */
const SWEEP_EVERY_MS = 5_000;

/**
 * The SQLite adapter's history (part of SqliteStore): raw results in their time window, per-minute,
 * per-hour and per-day rollups, alert transitions and diagnostics. Writes run inside the store's transactions, so a
 * result and its transition commit together.
 *
 * Rollups cost a check almost nothing: each monitor's open minute is held in memory and written
 * once, when it closes (the monitor's first result of a later minute, or MINUTE_GRACE_MS after
 * the minute ended), in the same transaction as the commit that closes it, together with the hour
 * and day rows it adds to. A kill loses at most each monitor's open minute from the rollups (the raw
 * results of that minute are stored as always); close() writes the open minutes. The reads below
 * merge the held buckets in, so the views see the open minute. The store holds the state folder's
 * lock, so nothing else writes these rows. Held buckets change in place during the transaction,
 * with an undo journal that settle(false) plays back when it rolls back: a result in the open
 * minute costs a few additions, no copy.
 */
export class SqliteHistory {
  private readonly s: Record<string, Statement>;
  private readonly held = new Map<string, HeldBuckets>();
  /** How to undo this transaction's changes to the held buckets, oldest first. */
  private journal: Undo[] = [];
  /** Monitors known to have their history_monitors row (one insert per monitor, not per commit). */
  private readonly listed = new Set<string>();
  private stagedListed: string[] = [];
  private nextSweepAt = 0;
  /** Where prune() goes on looking for stale monitors: the last monitor id it looked at ("" from the start). */
  private staleCursor = "";

  constructor(
    db: Database,
    /** Off only for the history benchmark's baseline (bench/history): results without rollups. */
    private readonly rollupsOn: boolean,
    /** Minutes starting before this may have rows a previous process wrote (its close()). */
    private readonly openedAt: number,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insertResult: p("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      // Written once per monitor, read-only afterwards.
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
      // A monitor that wrote nothing for the whole window left the manifest (or was renamed): all of
      // its results go. Looked for a page of monitors per call (one index lookup each), so a batch
      // costs the same at 10,000 monitors as at 10; a sweep of all of them spans calls and runs.
      staleMonitors: p(
        "SELECT h.monitor_id, COALESCE((SELECT MAX(x.at) FROM results x WHERE x.monitor_id = h.monitor_id), 0) AS last FROM history_monitors h WHERE h.monitor_id > ? ORDER BY h.monitor_id LIMIT ?",
      ),
      pruneMonitorResults: p("DELETE FROM results WHERE id IN (SELECT id FROM results WHERE monitor_id = ? LIMIT ?)"),
      forgetMonitor: p("DELETE FROM history_monitors WHERE monitor_id = ? AND NOT EXISTS (SELECT 1 FROM results WHERE monitor_id = ?)"),
      pruneRollups: p("DELETE FROM rollups WHERE (monitor_id, width, start) IN (SELECT monitor_id, width, start FROM rollups WHERE width = ? AND start < ? LIMIT ?)"),
      pruneEvents: p("DELETE FROM alert_events WHERE id IN (SELECT id FROM alert_events WHERE at < ? LIMIT ?)"),
    };
  }

  /** Writes one evaluation's results and adds them to the monitor's open minute (in memory until it closes). */
  addResults(monitorId: string, results: readonly ResultRow[]): void {
    if (results.length === 0) return;
    for (const r of results) {
      this.s.insertResult!.run(r.monitorId, r.at, r.ok ? 1 : 0, r.firing === null ? null : r.firing ? 1 : 0, r.value, r.message, JSON.stringify(r.labels), r.durationMs, r.error ?? null);
    }
    if (!this.listed.has(monitorId)) {
      this.s.addMonitor!.run(monitorId);
      this.stagedListed.push(monitorId);
    }
    if (!this.rollupsOn) return;
    for (const r of results) this.addResult(monitorId, r);
  }

  /** The common case in place (the result falls in the monitor's open minute); anything else in addToMinute. */
  private addResult(monitorId: string, r: ResultRow): void {
    const minute = this.held.get(monitorId)?.minute;
    if (minute && minute.start === floorTo(r.at, MINUTE)) {
      this.journal.push({ kind: "add", bucket: minute, result: r, maxMs: minute.maxMs });
      addResultInto(minute, r);
      return;
    }
    this.addToMinute(monitorId, rollupDeltas([r], MINUTE)[0]!);
  }

  /** Inside a commit's transaction: closeDue(now), at most every SWEEP_EVERY_MS. */
  sweep(now: number): void {
    if (now < this.nextSweepAt && now > this.nextSweepAt - 2 * SWEEP_EVERY_MS) return;
    this.nextSweepAt = now + SWEEP_EVERY_MS;
    this.closeDue(now);
  }

  /**
   * Inside a transaction: writes every open minute that ended more than MINUTE_GRACE_MS before
   * `now`, or every open minute when `all` (the store is closing).
   */
  closeDue(now: number, all = false): void {
    if (!this.rollupsOn) return;
    for (const [monitorId, b] of this.held) {
      if (b.minute === null || (!all && b.minute.start + MINUTE + MINUTE_GRACE_MS > now)) continue;
      const w = this.forWrite(monitorId);
      this.closeMinute(monitorId, w);
      w.minute = null;
    }
  }

  /** After the transaction: true when it committed (the held buckets stand), false to undo their changes. */
  settle(committed: boolean): void {
    if (committed) {
      for (const monitorId of this.stagedListed) this.listed.add(monitorId);
    } else {
      for (let n = this.journal.length - 1; n >= 0; n--) this.undo(this.journal[n]!);
    }
    this.journal = [];
    this.stagedListed = [];
  }

  private undo(u: Undo): void {
    if (u.kind === "add") {
      subtractResult(u.bucket, u.result);
      u.bucket.maxMs = u.maxMs;
    } else if (u.kind === "new") {
      this.held.delete(u.monitorId);
    } else {
      // Back into the same objects: older "add" entries refer to them.
      if (u.minute) restoreInto(u.minute, u.minuteWas!);
      if (u.hour) restoreInto(u.hour, u.hourWas!);
      u.buckets.minute = u.minute;
      u.buckets.hour = u.hour;
    }
  }

  /** The monitor's held buckets, journalled so a rollback restores them; created when missing. */
  private forWrite(monitorId: string): HeldBuckets {
    let h = this.held.get(monitorId);
    if (h === undefined) {
      h = { minute: null, hour: null };
      this.held.set(monitorId, h);
      this.journal.push({ kind: "new", monitorId });
    } else {
      this.journal.push({
        kind: "snapshot",
        buckets: h,
        minute: h.minute,
        minuteWas: h.minute ? copyOf(h.minute) : null,
        hour: h.hour,
        hourWas: h.hour ? copyOf(h.hour) : null,
      });
    }
    return h;
  }

  private addToMinute(monitorId: string, d: RollupDelta): void {
    const w = this.forWrite(monitorId);
    if (w.minute !== null && w.minute.start === d.start) {
      addInto(w.minute, d);
      return;
    }
    if (w.minute !== null && w.minute.start > d.start) {
      // A late result (its tick began before the open minute): its minute and hour are written as read.
      this.mergeRow(monitorId, MINUTE, d.start, d);
      const hourStart = floorTo(d.start, HOUR);
      if (w.hour !== null && w.hour.start === hourStart) {
        addInto(w.hour, d);
        this.putRow(monitorId, HOUR, w.hour);
      } else {
        this.mergeRow(monitorId, HOUR, hourStart, d);
      }
      this.mergeRow(monitorId, DAY, floorTo(d.start, DAY), d);
      return;
    }
    const known = w.minute !== null;
    if (w.minute !== null) this.closeMinute(monitorId, w);
    // A minute that follows an open one cannot have been written by this process; one that starts
    // a monitor's run (or follows a closed one) may have been, by close() or a grace close: then
    // the open minute holds only what is new, and is added to the stored row when it closes.
    w.minute = emptyAt(d.start);
    if (!(known && d.start >= this.openedAt)) w.minute.stored = this.s.readRollup!.get(monitorId, MINUTE, d.start) !== undefined;
    addInto(w.minute, d);
    const hourStart = floorTo(d.start, HOUR);
    if (w.hour === null || w.hour.start !== hourStart) w.hour = this.readRow(monitorId, HOUR, hourStart);
  }

  /** Writes the open minute and the hour and day it adds to (the day read and written once a minute). */
  private closeMinute(monitorId: string, w: HeldBuckets): void {
    const m = w.minute!;
    if (m.stored) this.mergeRow(monitorId, MINUTE, m.start, m);
    else this.putRow(monitorId, MINUTE, m);
    const hourStart = floorTo(m.start, HOUR);
    if (w.hour === null || w.hour.start !== hourStart) w.hour = this.readRow(monitorId, HOUR, hourStart);
    addInto(w.hour, m);
    this.putRow(monitorId, HOUR, w.hour);
    this.mergeRow(monitorId, DAY, floorTo(m.start, DAY), m);
  }

  private readRow(monitorId: string, width: number, start: number): HeldBucket {
    const row = this.s.readRollup!.get(monitorId, width, start) as RawRollup | undefined;
    return row
      ? { start: row.start, count: row.count, failures: row.failures, errors: row.errors, maxMs: row.max_ms, bins: decodeBins(row.bins) }
      : emptyAt(start);
  }

  private mergeRow(monitorId: string, width: number, start: number, d: Omit<HeldBucket, "start">): void {
    const b = this.readRow(monitorId, width, start);
    addInto(b, d);
    this.putRow(monitorId, width, b);
  }

  private putRow(monitorId: string, width: number, b: HeldBucket): void {
    this.s.putRollup!.run(monitorId, width, b.start, b.count, b.failures, b.errors, b.maxMs, encodeBins(b.bins));
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

  /** Stored buckets with the monitor's held ones in: the open minute, and the hour with it added. */
  rollups(monitorId: string, resolution: RollupResolution, since: number, until: number): RollupBucket[] {
    const width = ROLLUP_WIDTH_MS[resolution];
    const rows = (this.s.rollups!.all(monitorId, width, since, until) as RawRollup[]).map(
      (r): HeldBucket => ({ start: r.start, count: r.count, failures: r.failures, errors: r.errors, maxMs: r.max_ms, bins: decodeBins(r.bins) }),
    );
    const open = this.held.get(monitorId)?.minute;
    if (open) {
      const start = floorTo(open.start, width);
      if (start >= since && start < until) {
        const at = rows.findIndex((r) => r.start >= start);
        if (at >= 0 && rows[at]!.start === start) {
          // The stored row holds what was written (closed minutes, or this minute before a restart).
          const merged = copyOf(rows[at]!);
          addInto(merged, open);
          rows[at] = merged;
        } else {
          rows.splice(at < 0 ? rows.length : at, 0, { ...copyOf(open), start });
        }
      }
    }
    return rows.map((b) => rollupBucket(b.start, b.count, b.failures, b.errors, b.maxMs, b.bins));
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
    const page = this.s.staleMonitors!.all(this.staleCursor, STALE_PAGE) as Array<{ monitor_id: string; last: number }>;
    let cursor = page.length < STALE_PAGE ? "" : page[page.length - 1]!.monitor_id;
    let before = this.staleCursor;
    for (const { monitor_id, last } of page) {
      if (last < cutoff) {
        const n = this.s.pruneMonitorResults!.run(monitor_id, budget).changes;
        deleted += n;
        if (n === budget) {
          // Maybe more of them: the next call starts at this monitor again.
          cursor = before;
          break;
        }
        budget -= n;
        this.s.forgetMonitor!.run(monitor_id, monitor_id);
        this.listed.delete(monitor_id);
      }
      before = monitor_id;
    }
    this.staleCursor = cursor;
    // Hours of monitors that stopped writing would otherwise be held for good (their minutes were written).
    for (const [monitorId, b] of this.held) if (b.minute === null && (b.hour === null || b.hour.start < now - 2 * HOUR)) this.held.delete(monitorId);
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.minute, now - retention.minuteRollups, limit).changes;
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.hour, now - retention.rollups, limit).changes;
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.day, now - retention.rollups, limit).changes;
    deleted += this.s.pruneEvents!.run(now - retention.resolvedAlerts, limit).changes;
    deleted += this.s.pruneDiagnostics!.run(now - retention.resolvedAlerts, limit).changes;
    return deleted;
  }
}

function emptyAt(start: number): HeldBucket {
  return { start, count: 0, failures: 0, errors: 0, maxMs: 0, bins: new Map() };
}

function copyOf(b: HeldBucket): HeldBucket {
  const copy: HeldBucket = { start: b.start, count: b.count, failures: b.failures, errors: b.errors, maxMs: b.maxMs, bins: new Map(b.bins) };
  if (b.stored) copy.stored = true;
  return copy;
}

function addInto(b: HeldBucket, d: Omit<HeldBucket, "start">): void {
  b.count += d.count;
  b.failures += d.failures;
  b.errors += d.errors;
  if (d.maxMs > b.maxMs) b.maxMs = d.maxMs;
  mergeBins(b.bins, d.bins);
}

/** What one result adds to a bucket, as rollupDeltas counts it. */
function addResultInto(b: HeldBucket, r: ResultRow): void {
  const ms = Number.isFinite(r.durationMs) && r.durationMs > 0 ? r.durationMs : 0;
  b.count += 1;
  if (r.firing === true) b.failures += 1;
  if ((r.error !== undefined && r.error !== null) || r.firing === null) b.errors += 1;
  if (ms > b.maxMs) b.maxMs = ms;
  const bin = binOf(ms);
  b.bins.set(bin, (b.bins.get(bin) ?? 0) + 1);
}

/** addResultInto backwards, but for the maximum (the journal keeps the one before). */
function subtractResult(b: HeldBucket, r: ResultRow): void {
  const ms = Number.isFinite(r.durationMs) && r.durationMs > 0 ? r.durationMs : 0;
  b.count -= 1;
  if (r.firing === true) b.failures -= 1;
  if ((r.error !== undefined && r.error !== null) || r.firing === null) b.errors -= 1;
  const bin = binOf(ms);
  const n = (b.bins.get(bin) ?? 0) - 1;
  if (n > 0) b.bins.set(bin, n);
  else b.bins.delete(bin);
}

function restoreInto(b: HeldBucket, was: HeldBucket): void {
  b.start = was.start;
  b.count = was.count;
  b.failures = was.failures;
  b.errors = was.errors;
  b.maxMs = was.maxMs;
  b.bins = was.bins;
  if (was.stored) b.stored = true;
  else delete b.stored;
}

function floorTo(at: number, width: number): number {
  return Math.floor(at / width) * width;
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
