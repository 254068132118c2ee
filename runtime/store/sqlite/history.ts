import type { Database, Statement } from "better-sqlite3";
import type { AlertEvent, AlertEventKind } from "../../alerts/alert-event.js";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import type { DiagnosticsRecord } from "../diagnostics-record.js";
import type { RollupBucket, RollupResolution } from "../history.js";
import { atomically } from "./atomically.js";
import { addBinsTo, binOf, countsAsError, decodeBins, rollupBucket, ROLLUP_WIDTH_MS, type Bins } from "../latency-histogram.js";
import type { RetentionMs } from "../retention.js";

/** How many results per monitor are kept whatever their age. */
export const KEPT_PER_MONITOR = 50;
/**
 * Monitors prune() looks at per call for ones that stopped writing, or whose floor it sweeps (an
 * index lookup each): at most this, and at most twice the call's row limit, so a batch the pruner
 * made smaller to keep it short (runtime/store/pruner.ts) is not held long by its sweeps.
 */
const STALE_PAGE = 500;

function pageFor(limit: number): number {
  return Math.max(1, Math.min(STALE_PAGE, limit * 2));
}
/** How often prune() sweeps the monitors again (stale ones, KEPT_PER_MONITOR floors), a page per call. */
const MONITOR_SWEEP_EVERY_MS = 5 * 60_000;

/** A pass over the monitors by id, a page per call, started again at most every MONITOR_SWEEP_EVERY_MS. */
class PagedSweep {
  /** Where the pass in progress goes on ("" from the start), or null: none in progress. */
  private cursor: string | null = null;
  private finishedAt = -Infinity;

  /** Where to read the next page from, a new pass starting when one is due; null: none due. */
  next(now: number): string | null {
    if (this.cursor === null && (now - this.finishedAt >= MONITOR_SWEEP_EVERY_MS || now < this.finishedAt)) this.cursor = "";
    return this.cursor;
  }

  /** After a page: where the next one starts, or null when the pass is done. */
  moveTo(cursor: string | null, now: number): void {
    this.cursor = cursor;
    if (cursor === null) this.finishedAt = now;
  }
}

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

/** A bucket held in memory: a monitor's open minute, or a closed minute (or a late result's share) waiting to be written. */
interface HeldBucket {
  start: number;
  count: number;
  failures: number;
  errors: number;
  maxMs: number;
  bins: HeldBins;
  /** Its minute row may exist already (written by an earlier process or an earlier write): it is added to, not replaced. */
  stored?: boolean;
}

/**
 * A held bucket's latency bins, flat: [bin, count, bin, count, ...]. Every monitor holds its open
 * minute, so this is per monitor: a Map of a minute's few bins took about 500 bytes of heap, this
 * array about 200 (docs/runtime.md, "Memory does not grow with history").
 */
type HeldBins = number[];

/** One change to the held buckets, as the journal undoes it. */
type Undo =
  | { kind: "add"; bucket: HeldBucket; result: ResultRow; maxMs: number }
  | { kind: "open"; monitorId: string; was: HeldBucket | undefined }
  | { kind: "pend"; monitorId: string };

const MINUTE = ROLLUP_WIDTH_MS.minute;
const HOUR = ROLLUP_WIDTH_MS.hour;
const DAY = ROLLUP_WIDTH_MS.day;
/**
 * An open minute is closed when the monitor's first result of a later minute commits, or at the
 * latest this long after the minute ended (monitors that run less than once a minute, or stopped):
 * long enough for a check still running at the minute's end to finish.
 */
const MINUTE_GRACE_MS = 60_000;
/** How often the writer looks for open minutes past their grace and moves the rebuild mark on. */
const SWEEP_EVERY_MS = 5_000;
/** Closed minutes written per transaction: a few milliseconds of the event loop at a time. */
export const ROLLUP_WRITE_BATCH = 256;
/** Past this many closed minutes waiting, the commit that adds one writes a batch itself (a caller that never yields). */
const BACKLOG_MAX = 8_192;
/** A result can commit this long after its `at` (its tick's start): the rebuild mark stays this far behind. */
const LATE_MS = MINUTE + MINUTE_GRACE_MS;

/**
 * The SQLite adapter's history (part of SqliteStore): raw results in their time window, per-minute,
 * per-hour and per-day rollups, alert transitions and diagnostics. Results, transitions and
 * diagnostics are written inside the store's transactions, so a result and its transition commit
 * together.
 *
 * Rollups stay off the commit: each monitor's open minute is held in memory and a result is
 * added to it in place (an undo journal that settle(false) plays back restores it when the
 * transaction rolls back). When the minute closes (the monitor's first result of a later minute,
 * or MINUTE_GRACE_MS after the minute ended) it waits in `pending` and is written after the
 * commit, on the next turn of the event loop, in transactions of its own of at most
 * ROLLUP_WRITE_BATCH minutes, each with the hour and day rows it adds to. A commit therefore
 * writes the raw result only, whatever the rollups.
 *
 * Rollups are derived data, rebuilt after a kill: the `rollup_progress` row holds a time before
 * which every committed result is in the stored rollups, moved on as minutes are written. On open,
 * the minutes from that mark on are counted again from the raw results (which commit with their
 * evaluations), and whatever the stored minute rows lack is written into them and added to their
 * hour and day rows. A minute row always holds exactly what was added to its hour and day rows,
 * so the difference is exact. The reads below merge the held buckets in, so the views see them.
 * The store holds the state folder's lock, so nothing else writes these rows.
 */
export class SqliteHistory {
  private readonly s: Record<string, Statement>;
  /** Each monitor's open minute. */
  private readonly open = new Map<string, HeldBucket>();
  /** Closed minutes (and late results' shares of earlier minutes) not yet written, oldest first per monitor. */
  private readonly pending = new Map<string, HeldBucket[]>();
  private pendingCount = 0;
  /** How to undo this transaction's changes to the held buckets, oldest first. */
  private journal: Undo[] = [];
  /** Monitors known to have their history_monitors row (one insert per monitor, not per commit). */
  private readonly listed = new Set<string>();
  private stagedListed: string[] = [];
  private nextSweepAt = 0;
  /** The newest result time seen: the writer's clock for grace closes. */
  private latestAt = 0;
  private writeQueued = false;
  private progress: number;
  /**
   * prune() looks for monitors that stopped writing a page at a time, in one sweep every
   * MONITOR_SWEEP_EVERY_MS: looking on every call made a run of 1,200 batches read every monitor's newest
   * result 60 times over.
   */
  private readonly staleSweep = new PagedSweep();
  /**
   * Sweeps each monitor's floor (`history_monitors.kept_floor`): the time of its
   * KEPT_PER_MONITOR-th newest result when last swept (0 when it had fewer). A floor only rises
   * (results are added above it; the pruner deletes below it), so one read earlier, even by an
   * earlier process, is never above the true one: pruning below it keeps at least what the rule
   * keeps. This replaced a lookup per deleted row, which was most of a prune batch's time on a
   * week's state (bench/results/history.md); the floors are on disk, not in a map the size of the
   * fleet in the heap.
   */
  private readonly floorSweep = new PagedSweep();

  constructor(
    private readonly db: Database,
    /** Off only for the history benchmark's baseline (bench/history): results without rollups. */
    private readonly rollupsOn: boolean,
    /** Minutes starting before this may have rows a previous process wrote. */
    private readonly openedAt: number,
    /** Told when a background write of rollups fails (they stay held and are retried). */
    private readonly onWriteError: (error: unknown) => void = () => {},
  ) {
    const p = (sql: string) => db.prepare(sql);
    const keptFloor = `COALESCE((SELECT x.at FROM results x WHERE x.monitor_id = history_monitors.monitor_id ORDER BY x.at DESC LIMIT 1 OFFSET ${KEPT_PER_MONITOR - 1}), 0)`;
    this.s = {
      insertResult: p("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      // Written once per monitor, read-only afterwards.
      addMonitor: p("INSERT OR IGNORE INTO history_monitors (monitor_id, erroring_since) VALUES (?, 0)"),
      // Written only when the latest result starts or stops erroring: on other commits each is a
      // primary-key lookup that changes nothing. A streak whose start is not known (NULL) stays so.
      startErroring: p("UPDATE history_monitors SET erroring_since = ? WHERE monitor_id = ? AND erroring_since = 0"),
      stopErroring: p("UPDATE history_monitors SET erroring_since = 0, erroring_ended = ? WHERE monitor_id = ? AND erroring_since IS NOT 0"),
      erroringSince: p("SELECT monitor_id, erroring_since FROM history_monitors WHERE erroring_since > 0"),
      erroringEnded: p("SELECT monitor_id, erroring_ended FROM history_monitors WHERE erroring_since = 0 AND erroring_ended > 0"),
      recentResults: p("SELECT * FROM results WHERE monitor_id = ? ORDER BY at DESC, id DESC LIMIT ?"),
      resultsBetween: p("SELECT * FROM results WHERE monitor_id = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?"),
      historyMonitors: p("SELECT monitor_id FROM history_monitors"),
      monitorResultsSince: p("SELECT at, firing, duration_ms, error FROM results WHERE monitor_id = ? AND at >= ? ORDER BY at"),
      latestResults: p(
        "SELECT r.* FROM history_monitors h JOIN results r ON r.id = (SELECT x.id FROM results x WHERE x.monitor_id = h.monitor_id ORDER BY x.at DESC, x.id DESC LIMIT 1)",
      ),
      readRollup: p("SELECT start, count, failures, errors, max_ms, bins FROM rollups WHERE monitor_id = ? AND width = ? AND start = ?"),
      putRollup: p(
        `INSERT INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (monitor_id, width, start) DO UPDATE SET count = excluded.count, failures = excluded.failures,
           errors = excluded.errors, max_ms = excluded.max_ms, bins = excluded.bins`,
      ),
      readProgress: p("SELECT through FROM rollup_progress WHERE id = 1"),
      putProgress: p("INSERT INTO rollup_progress (id, through) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET through = excluded.through"),
      rollups: p("SELECT start, count, failures, errors, max_ms, bins FROM rollups WHERE monitor_id = ? AND width = ? AND start >= ? AND start < ? ORDER BY start"),
      addEvent: p("INSERT INTO alert_events (dedup_key, monitor_id, at, kind, by, summary) VALUES (?, ?, ?, ?, ?, ?)"),
      events: p("SELECT dedup_key, monitor_id, at, kind, by, summary FROM alert_events WHERE dedup_key = ? ORDER BY id"),
      addDiagnostics: p("INSERT INTO alert_diagnostics (dedup_key, monitor_id, at, text) VALUES (?, ?, ?, ?)"),
      diagnostics: p("SELECT text FROM alert_diagnostics WHERE dedup_key = ? ORDER BY id DESC LIMIT 1"),
      pruneDiagnostics: p("DELETE FROM alert_diagnostics WHERE id IN (SELECT id FROM alert_diagnostics WHERE at < ? LIMIT ?)"),
      // Old rows go unless they are among their monitor's newest KEPT_PER_MONITOR: a monitor that
      // runs once a day still shows its last 50 results. Each monitor's floor (the time of its
      // 50th newest result) comes from a sweep (see sweepFloors), not from a lookup per row of its
      // results: one primary-key lookup. A monitor not swept yet has no floor (NULL): none of its
      // rows go. Newest first, so the kept old rows of sparse monitors are passed once per run, at
      // its end, not at every batch. The floor is read as an integer: in SQLite any text compares
      // above every number, so a floor that is not a number (a hand-edited or damaged file) would
      // let every old row go; as 0 it keeps them all until the next sweep writes it again.
      pruneResults: p(
        `DELETE FROM results WHERE id IN (
           SELECT r.id FROM results r WHERE r.at < @cutoff
              AND r.at < (SELECT CAST(h.kept_floor AS INTEGER) FROM history_monitors h WHERE h.monitor_id = r.monitor_id)
            ORDER BY r.at DESC LIMIT @limit)`,
      ),
      // A page of the floor sweep: where it ends (undefined: the page runs to the last monitor).
      floorPageEnd: p("SELECT monitor_id FROM history_monitors WHERE monitor_id > ? ORDER BY monitor_id LIMIT 1 OFFSET ?").pluck(),
      sweepFloorsTo: p(`UPDATE history_monitors SET kept_floor = ${keptFloor} WHERE monitor_id > ? AND monitor_id <= ?`),
      sweepFloorsToEnd: p(`UPDATE history_monitors SET kept_floor = ${keptFloor} WHERE monitor_id > ?`),
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
    this.progress = this.rollupsOn ? this.rebuildUnlessDamaged() : openedAt;
  }

  /**
   * One page of the floor sweep, when one is due or in progress (the first at the first prune: the
   * floors an earlier process stored hold until then); true while it goes on.
   */
  private sweepFloors(now: number, page: number): boolean {
    const from = this.floorSweep.next(now);
    if (from === null) return false;
    const end = this.s.floorPageEnd!.get(from, page - 1) as string | undefined;
    if (end === undefined) this.s.sweepFloorsToEnd!.run(from);
    else this.s.sweepFloorsTo!.run(from, end);
    this.floorSweep.moveTo(end ?? null, now);
    return end !== undefined;
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
    // Where the commit's trailing run of erroring (or of running) results starts: when the latest
    // result flips, the streak it begins starts there.
    let errored = false;
    let from = 0;
    results.forEach((r, n) => {
      const e = r.error !== null && r.error !== undefined;
      if (n === 0 || e !== errored) from = r.at;
      errored = e;
    });
    if (errored) this.s.startErroring!.run(from, monitorId);
    else this.s.stopErroring!.run(from, monitorId);
    if (!this.rollupsOn) return;
    for (const r of results) this.addResult(monitorId, r);
  }

  /** In place when the result falls in the monitor's open minute; otherwise a minute closes or a late share waits. */
  private addResult(monitorId: string, r: ResultRow): void {
    if (r.at > this.latestAt) this.latestAt = r.at;
    const minute = this.open.get(monitorId);
    const start = floorTo(r.at, MINUTE);
    if (minute !== undefined && minute.start === start) {
      this.journal.push({ kind: "add", bucket: minute, result: r, maxMs: minute.maxMs });
      addResultInto(minute, r);
      return;
    }
    const one = emptyAt(start);
    addResultInto(one, r);
    if (minute !== undefined && minute.start > start) {
      // A late result (its tick began before the open minute): its share is added to that minute's row.
      one.stored = true;
      this.pend(monitorId, one);
      return;
    }
    if (minute !== undefined) this.pend(monitorId, minute);
    this.journal.push({ kind: "open", monitorId, was: minute });
    // A minute that follows an open one of this process cannot have a row yet; any other may
    // (an earlier process's, a grace close's, a rebuild's): it is added to, not replaced.
    if (!(minute !== undefined && start >= this.openedAt)) one.stored = true;
    this.open.set(monitorId, one);
  }

  private pend(monitorId: string, b: HeldBucket): void {
    const list = this.pending.get(monitorId);
    if (list === undefined) this.pending.set(monitorId, [b]);
    else list.push(b);
    this.pendingCount += 1;
    this.journal.push({ kind: "pend", monitorId });
  }

  /**
   * After the transaction: true when it committed (the held buckets stand, and closed minutes are
   * written on the next turn of the event loop), false to undo their changes.
   */
  settle(committed: boolean): void {
    if (committed) {
      for (const monitorId of this.stagedListed) this.listed.add(monitorId);
    } else {
      for (let n = this.journal.length - 1; n >= 0; n--) this.undo(this.journal[n]!);
    }
    this.journal = [];
    this.stagedListed = [];
    if (!this.rollupsOn) return;
    if (this.pendingCount > BACKLOG_MAX) this.writeSafely(this.latestAt);
    if (this.pendingCount > 0 || this.latestAt >= this.nextSweepAt) this.queueWrite();
  }

  private undo(u: Undo): void {
    if (u.kind === "add") {
      subtractResult(u.bucket, u.result);
      u.bucket.maxMs = u.maxMs;
    } else if (u.kind === "open") {
      if (u.was === undefined) this.open.delete(u.monitorId);
      else this.open.set(u.monitorId, u.was);
    } else {
      const list = this.pending.get(u.monitorId)!;
      list.pop();
      if (list.length === 0) this.pending.delete(u.monitorId);
      this.pendingCount -= 1;
    }
  }

  private queueWrite(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    setImmediate(() => {
      this.writeQueued = false;
      if (this.db.open && this.writeSafely(this.latestAt) > 0 && this.pendingCount > 0) this.queueWrite();
    });
  }

  private writeSafely(now: number): number {
    try {
      return this.writeRollups(now);
    } catch (error) {
      this.onWriteError(error);
      return 0;
    }
  }

  /**
   * Outside any other transaction: writes at most `limit` closed minutes (those of open minutes
   * past their grace first, every open minute when `all`) in one transaction, with the hour and
   * day rows they add to, and moves the rebuild mark on. Returns how many it wrote; the rest wait
   * for the next call. A failed transaction leaves them held.
   */
  writeRollups(now: number, limit = ROLLUP_WRITE_BATCH, all = false): number {
    if (!this.rollupsOn) return 0;
    const sweep = all || now >= this.nextSweepAt || now < this.nextSweepAt - 2 * SWEEP_EVERY_MS;
    if (sweep) {
      this.nextSweepAt = now + SWEEP_EVERY_MS;
      for (const [monitorId, minute] of this.open) {
        if (!all && minute.start + MINUTE + MINUTE_GRACE_MS > now) continue;
        this.open.delete(monitorId);
        const list = this.pending.get(monitorId);
        if (list === undefined) this.pending.set(monitorId, [minute]);
        else list.push(minute);
        this.pendingCount += 1;
      }
    }
    const batch: Array<[string, HeldBucket]> = [];
    for (const [monitorId, list] of this.pending) {
      for (const b of list) {
        if (batch.length >= limit) break;
        batch.push([monitorId, b]);
      }
      if (batch.length >= limit) break;
    }
    if (batch.length === 0 && !sweep) return 0;
    const mark = sweep ? this.markAfter(batch.length) : null;
    atomically(this.db, () => {
      for (const [monitorId, b] of batch) this.writeMinute(monitorId, b);
      if (mark !== null && mark > this.progress) this.s.putProgress!.run(mark);
    });
    for (const [monitorId] of batch) {
      const list = this.pending.get(monitorId)!;
      list.shift();
      if (list.length === 0) this.pending.delete(monitorId);
    }
    this.pendingCount -= batch.length;
    if (mark !== null && mark > this.progress) this.progress = mark;
    return batch.length;
  }

  /**
   * Every result before the returned time is in the stored rollups once the first `written`
   * pending buckets are. It trails the newest result seen (not the clock: a clock stepped back, or
   * a test's, must not put a result behind the mark) by LATE_MS, for results still to commit.
   */
  private markAfter(written: number): number {
    let mark = floorTo(this.latestAt - LATE_MS, MINUTE);
    for (const minute of this.open.values()) if (minute.start < mark) mark = minute.start;
    let n = 0;
    for (const list of this.pending.values()) {
      for (const b of list) if (n++ >= written && b.start < mark) mark = b.start;
    }
    return mark;
  }

  /** A closed minute's row (added to when it may exist), and the same counts into its hour and day. */
  private writeMinute(monitorId: string, b: HeldBucket): void {
    if (b.stored) this.mergeRow(monitorId, MINUTE, b.start, b);
    else this.putRow(monitorId, MINUTE, b);
    this.mergeRow(monitorId, HOUR, floorTo(b.start, HOUR), b);
    this.mergeRow(monitorId, DAY, floorTo(b.start, DAY), b);
  }

  /** Closes and writes every held minute (the store is closing). */
  writeAll(now: number): void {
    if (!this.rollupsOn) return;
    this.writeRollups(now, Number.MAX_SAFE_INTEGER, true);
  }

  /**
   * A damaged page among the raw results (the start-up check of a large file leaves the history
   * tables to the background check) costs the rebuild, not the start: the alert state is sound,
   * and a tick must run. The minutes it could not count keep what was stored.
   */
  private rebuildUnlessDamaged(): number {
    try {
      return this.rebuild();
    } catch (error) {
      if (!/^SQLITE_(CORRUPT|NOTADB)/.test(String((error as { code?: unknown }).code))) throw error;
      this.onWriteError(error);
      const through = (this.s.readProgress!.get() as { through: unknown } | undefined)?.through;
      return typeof through === "number" && Number.isFinite(through) ? through : this.openedAt;
    }
  }

  /**
   * On open: counts again every minute from the rebuild mark on from the raw results and writes
   * what the stored rows lack (a kill took the held minutes). Returns the mark to keep.
   */
  private rebuild(): number {
    const row = this.s.readProgress!.get() as { through: unknown } | undefined;
    // A mark that is not a time, or is past tomorrow (an edited file, a clock that was far ahead), would
    // never move again and stop every later rebuild: it is set afresh, as for a new database.
    if (row === undefined || typeof row.through !== "number" || !Number.isFinite(row.through) || row.through > this.openedAt + DAY) {
      // A new database, or one written before the mark existed: only results that may still commit late are owed.
      const mark = floorTo(this.openedAt - LATE_MS, MINUTE);
      this.s.putProgress!.run(mark);
      return mark;
    }
    const through = row.through;
    const since = floorTo(through, MINUTE);
    // A monitor at a time (its index range), so memory holds one monitor's few minutes, not the fleet's.
    const monitors = this.s.historyMonitors!.all() as Array<{ monitor_id: string }>;
    atomically(this.db, () => {
      for (const { monitor_id: monitorId } of monitors) {
        let bucket: HeldBucket | null = null;
        for (const r of this.s.monitorResultsSince!.all(monitorId, since) as Array<Pick<RawResult, "at" | "firing" | "duration_ms" | "error">>) {
          const start = floorTo(r.at, MINUTE);
          if (bucket === null || bucket.start !== start) {
            if (bucket !== null) this.writeMissing(monitorId, bucket);
            bucket = emptyAt(start);
          }
          addResultInto(bucket, { firing: r.firing === null ? null : r.firing === 1, error: r.error, durationMs: r.duration_ms });
        }
        if (bucket !== null) this.writeMissing(monitorId, bucket);
      }
    });
    return through;
  }

  /** `counted` is a minute counted from its raw results; the stored row holds a part of it, or none. */
  private writeMissing(monitorId: string, counted: HeldBucket): void {
    const stored = this.readRow(monitorId, MINUTE, counted.start);
    const missing = differenceOf(counted, stored);
    if (missing === null) return;
    this.putRow(monitorId, MINUTE, counted);
    this.mergeRow(monitorId, HOUR, floorTo(counted.start, HOUR), missing);
    this.mergeRow(monitorId, DAY, floorTo(counted.start, DAY), missing);
  }

  private readRow(monitorId: string, width: number, start: number): HeldBucket {
    const row = this.s.readRollup!.get(monitorId, width, start) as RawRollup | undefined;
    return row
      ? { start: row.start, count: row.count, failures: row.failures, errors: row.errors, maxMs: row.max_ms, bins: heldOf(decodeBins(row.bins)) }
      : emptyAt(start);
  }

  /** Adds `d` to a stored row (or writes it as a new one), the bins added to the row's bytes directly (addBinsTo). */
  private mergeRow(monitorId: string, width: number, start: number, d: Omit<HeldBucket, "start">): void {
    const row = this.s.readRollup!.get(monitorId, width, start) as RawRollup | undefined;
    if (row === undefined) {
      this.s.putRollup!.run(monitorId, width, start, d.count, d.failures, d.errors, Math.max(0, d.maxMs), addBinsTo(null, d.bins));
      return;
    }
    this.s.putRollup!.run(monitorId, width, start, row.count + d.count, row.failures + d.failures, row.errors + d.errors, Math.max(row.max_ms, d.maxMs), addBinsTo(row.bins, d.bins));
  }

  private putRow(monitorId: string, width: number, b: HeldBucket): void {
    this.s.putRollup!.run(monitorId, width, b.start, b.count, b.failures, b.errors, b.maxMs, addBinsTo(null, b.bins));
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

  /** When each monitor whose latest result errored began erroring, where that is known. */
  erroringSince(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.s.erroringSince!.all() as Array<{ monitor_id: string; erroring_since: number }>) out.set(r.monitor_id, r.erroring_since);
    return out;
  }

  /** When each monitor whose latest result ran last stopped erroring (its first result that ran), where that is known. */
  erroringEnded(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.s.erroringEnded!.all() as Array<{ monitor_id: string; erroring_ended: number }>) out.set(r.monitor_id, r.erroring_ended);
    return out;
  }

  /** Stored buckets with the monitor's held ones in: closed minutes not yet written, and the open minute. */
  rollups(monitorId: string, resolution: RollupResolution, since: number, until: number): RollupBucket[] {
    const width = ROLLUP_WIDTH_MS[resolution];
    const rows = (this.s.rollups!.all(monitorId, width, since, until) as RawRollup[]).map(
      (r): HeldBucket => ({ start: r.start, count: r.count, failures: r.failures, errors: r.errors, maxMs: r.max_ms, bins: heldOf(decodeBins(r.bins)) }),
    );
    const held = [...(this.pending.get(monitorId) ?? [])];
    const open = this.open.get(monitorId);
    if (open !== undefined) held.push(open);
    const copied = new Set<HeldBucket>();
    for (const b of held) {
      const start = floorTo(b.start, width);
      if (start < since || start >= until) continue;
      const at = rows.findIndex((r) => r.start >= start);
      if (at >= 0 && rows[at]!.start === start) {
        // Copied before the first addition: the stored row holds only what was written.
        if (!copied.has(rows[at]!)) {
          rows[at] = copyOf(rows[at]!);
          copied.add(rows[at]!);
        }
        addInto(rows[at]!, b);
      } else {
        const fresh = { ...copyOf(b), start };
        copied.add(fresh);
        rows.splice(at < 0 ? rows.length : at, 0, fresh);
      }
    }
    return rows.map((b) => rollupBucket(b.start, b.count, b.failures, b.errors, b.maxMs, mapOf(b.bins)));
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
    // Floors again every few minutes, so a monitor that went quiet keeps its newest rows.
    this.sweepFloors(now, pageFor(limit));
    let deleted = this.s.pruneResults!.run({ cutoff, limit }).changes;
    const from = this.staleSweep.next(now);
    if (from !== null) deleted += this.pruneStalePage(from, now, cutoff, limit);
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.minute, now - retention.minuteRollups, limit).changes;
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.hour, now - retention.rollups, limit).changes;
    deleted += this.s.pruneRollups!.run(ROLLUP_WIDTH_MS.day, now - retention.rollups, limit).changes;
    deleted += this.s.pruneEvents!.run(now - retention.resolvedAlerts, limit).changes;
    deleted += this.s.pruneDiagnostics!.run(now - retention.resolvedAlerts, limit).changes;
    return deleted;
  }

  /** One page of the stale-monitor sweep in progress: every result of a monitor with none since `cutoff` goes, `limit` at most. */
  private pruneStalePage(start: string, now: number, cutoff: number, limit: number): number {
    const size = pageFor(limit);
    const page = this.s.staleMonitors!.all(start, size) as Array<{ monitor_id: string; last: number }>;
    let cursor: string | null = page.length < size ? null : page[page.length - 1]!.monitor_id;
    let before = start;
    let budget = limit;
    let deleted = 0;
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
    this.staleSweep.moveTo(cursor, now);
    return deleted;
  }
}

function emptyAt(start: number): HeldBucket {
  return { start, count: 0, failures: 0, errors: 0, maxMs: 0, bins: [] };
}

function copyOf(b: HeldBucket): HeldBucket {
  const copy: HeldBucket = { start: b.start, count: b.count, failures: b.failures, errors: b.errors, maxMs: b.maxMs, bins: b.bins.slice() };
  if (b.stored) copy.stored = true;
  return copy;
}

function addInto(b: HeldBucket, d: Omit<HeldBucket, "start">): void {
  b.count += d.count;
  b.failures += d.failures;
  b.errors += d.errors;
  if (d.maxMs > b.maxMs) b.maxMs = d.maxMs;
  for (let i = 0; i < d.bins.length; i += 2) countBin(b.bins, d.bins[i]!, d.bins[i + 1]!);
}

/** What one result adds to a bucket, as rollupDeltas counts it. */
function addResultInto(b: HeldBucket, r: Pick<ResultRow, "firing" | "error" | "durationMs">): void {
  const ms = Number.isFinite(r.durationMs) && r.durationMs > 0 ? r.durationMs : 0;
  b.count += 1;
  if (r.firing === true) b.failures += 1;
  if (countsAsError(r)) b.errors += 1;
  if (ms > b.maxMs) b.maxMs = ms;
  countBin(b.bins, binOf(ms), 1);
}

/** addResultInto backwards, but for the maximum (the journal keeps the one before). */
function subtractResult(b: HeldBucket, r: ResultRow): void {
  const ms = Number.isFinite(r.durationMs) && r.durationMs > 0 ? r.durationMs : 0;
  b.count -= 1;
  if (r.firing === true) b.failures -= 1;
  if (countsAsError(r)) b.errors -= 1;
  countBin(b.bins, binOf(ms), -1);
}

/** What `counted` has that `part` (a subset of the same results) lacks; null when nothing, or when `part` is not a subset. */
function differenceOf(counted: HeldBucket, part: HeldBucket): HeldBucket | null {
  if (counted.count <= part.count || counted.failures < part.failures || counted.errors < part.errors) return null;
  const bins = counted.bins.slice();
  for (let i = 0; i < part.bins.length; i += 2) {
    if (countOf(bins, part.bins[i]!) < part.bins[i + 1]!) return null;
    countBin(bins, part.bins[i]!, -part.bins[i + 1]!);
  }
  return { start: counted.start, count: counted.count - part.count, failures: counted.failures - part.failures, errors: counted.errors - part.errors, maxMs: counted.maxMs, bins };
}

/** Adds `n` (negative to take away) to a bin's count; a bin whose count reaches 0 is removed. */
function countBin(bins: HeldBins, bin: number, n: number): void {
  for (let i = 0; i < bins.length; i += 2) {
    if (bins[i] !== bin) continue;
    const left = bins[i + 1]! + n;
    if (left > 0) bins[i + 1] = left;
    else bins.splice(i, 2);
    return;
  }
  if (n > 0) bins.push(bin, n);
}

function countOf(bins: HeldBins, bin: number): number {
  for (let i = 0; i < bins.length; i += 2) if (bins[i] === bin) return bins[i + 1]!;
  return 0;
}

function heldOf(bins: Bins): HeldBins {
  const held: HeldBins = [];
  for (const [bin, n] of bins) if (n > 0) held.push(bin, n);
  return held;
}

function mapOf(bins: HeldBins): Bins {
  const map: Bins = new Map();
  for (let i = 0; i < bins.length; i += 2) map.set(bins[i]!, bins[i + 1]!);
  return map;
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
