import type { Database, Statement } from "better-sqlite3";
import type { Alert } from "../alerts/state.js";
import type { NotificationIntent, OutboxReader, OutboxWriter, StoredIntent } from "../alerts/intent.js";
import type { InboundEvents, UptimeReport } from "../checks/types.js";
import { ensureStateFolder, openStateDatabase } from "./open-database.js";
import type { Prunable, RetentionMs } from "./retention.js";
import { StateLock } from "./state-lock.js";

/** One recorded check result (the last RECENT_RESULTS per monitor are kept). */
export interface ResultRow {
  monitorId: string;
  at: number;
  ok: boolean;
  /** Whether the alert condition held; null when the evaluation was unknown. */
  firing: boolean | null;
  value: number | null;
  message: string;
  labels: Record<string, string>;
  durationMs: number;
  /** Why the evaluation failed (check error, condition threw); null or absent when it ran. */
  error?: string | null;
}

export const RECENT_RESULTS = 50;
const PRUNE_EVERY = 10;

/**
 * The embedded store: SQLite in WAL mode under the state folder. It holds alerts, recent results,
 * the intents outbox and inbound events; an evaluation's alert changes, result rows and intents
 * commit in one transaction, so a kill can never separate a transition from its notification.
 */
export class SqliteStore implements OutboxReader, OutboxWriter, InboundEvents, Prunable {
  private readonly s: Record<string, Statement>;
  private readonly sincePrune = new Map<string, number>();
  private readonly recordTx: (monitorId: string, alerts: Alert[], results: ResultRow[], intents: NotificationIntent[], at: number) => void;

  private constructor(
    readonly db: Database,
    private readonly lock: StateLock,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      alertsOf: p("SELECT data FROM alerts WHERE monitor_id = ?"),
      alertByKey: p("SELECT data FROM alerts WHERE dedup_key = ?"),
      alertStates: p("SELECT state, COUNT(*) AS n FROM alerts GROUP BY state"),
      allAlerts: p("SELECT data FROM alerts ORDER BY monitor_id, dedup_key"),
      upsertAlert: p(
        "INSERT INTO alerts (dedup_key, monitor_id, state, data, updated_at) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (dedup_key) DO UPDATE SET monitor_id = excluded.monitor_id, state = excluded.state, data = excluded.data, updated_at = excluded.updated_at",
      ),
      insertResult: p("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      pruneResults: p(
        `DELETE FROM results WHERE monitor_id = ? AND id < (SELECT id FROM results WHERE monitor_id = ? ORDER BY id DESC LIMIT 1 OFFSET ${RECENT_RESULTS - 1})`,
      ),
      recentResults: p("SELECT * FROM results WHERE monitor_id = ? ORDER BY id DESC LIMIT ?"),
      latestResults: p("SELECT r.* FROM results r JOIN (SELECT monitor_id, MAX(id) AS id FROM results GROUP BY monitor_id) m ON r.id = m.id"),
      enqueue: p("INSERT OR IGNORE INTO outbox (id, dedup_key, intent, created_at) VALUES (?, ?, ?, ?)"),
      seqOf: p("SELECT seq FROM outbox WHERE id = ?"),
      undispatched: p("SELECT seq, intent, created_at FROM outbox WHERE dispatched_at IS NULL ORDER BY seq LIMIT ?"),
      markDispatched: p("UPDATE outbox SET dispatched_at = ? WHERE seq = ? AND dispatched_at IS NULL"),
      depth: p("SELECT COUNT(*) AS n FROM outbox WHERE dispatched_at IS NULL"),
      getHeartbeat: p("SELECT at FROM heartbeats WHERE monitor_id = ?"),
      putHeartbeat: p("INSERT INTO heartbeats (monitor_id, at) VALUES (?, ?) ON CONFLICT (monitor_id) DO UPDATE SET at = MAX(at, excluded.at)"),
      getUptime: p("SELECT up, message, at FROM uptime_reports WHERE monitor_id = ?"),
      putUptime: p("INSERT OR REPLACE INTO uptime_reports (monitor_id, up, message, at) VALUES (?, ?, ?, ?)"),
      getEmergency: p("SELECT at, message FROM emergencies WHERE monitor_id = ?"),
      putEmergency: p("INSERT OR REPLACE INTO emergencies (monitor_id, at, message) VALUES (?, ?, ?)"),
      getEmergencyResolved: p("SELECT at FROM emergency_resolutions WHERE monitor_id = ?"),
      putEmergencyResolved: p("INSERT OR REPLACE INTO emergency_resolutions (monitor_id, at) VALUES (?, ?)"),
      probe: p("INSERT OR REPLACE INTO probe (id, at) VALUES (1, ?)"),
      // A monitor that wrote nothing for the retention left the manifest (or was renamed); the
      // results of monitors still running are capped at RECENT_RESULTS by recordEvaluation.
      staleResultMonitors: p(
        "SELECT r.monitor_id FROM results r JOIN (SELECT monitor_id, MAX(id) AS id FROM results GROUP BY monitor_id) m ON r.id = m.id WHERE r.at < ? LIMIT 10",
      ),
      pruneMonitorResults: p("DELETE FROM results WHERE id IN (SELECT id FROM results WHERE monitor_id = ? LIMIT ?)"),
      pruneOutbox: p("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < ? LIMIT ?)"),
      // While any intent of the alert is still stored its row stays: a new row would restart the
      // sequence, and a repeated intent id would be taken for the old intent and never sent.
      pruneAlerts: p(
        `DELETE FROM alerts WHERE dedup_key IN (SELECT a.dedup_key FROM alerts a WHERE a.state = 'inactive' AND a.updated_at < ?
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedup_key = a.dedup_key) LIMIT ?)`,
      ),
    };
    this.recordTx = db.transaction((monitorId, alerts, results, intents, at) => {
      for (const alert of alerts) this.putAlert(alert);
      for (const r of results) {
        this.s.insertResult!.run(r.monitorId, r.at, r.ok ? 1 : 0, r.firing === null ? null : r.firing ? 1 : 0, r.value, r.message, JSON.stringify(r.labels), r.durationMs, r.error ?? null);
      }
      // Pruning on every write costs a range delete per check; every PRUNE_EVERY writes keeps the
      // table within RECENT_RESULTS + PRUNE_EVERY rows per monitor at a tenth of the cost.
      const written = (this.sincePrune.get(monitorId) ?? 0) + results.length;
      if (written >= PRUNE_EVERY) this.s.pruneResults!.run(monitorId, monitorId);
      this.sincePrune.set(monitorId, written >= PRUNE_EVERY ? 0 : written);
      for (const intent of intents) this.enqueueAt(intent, at);
    });
  }

  /** Opens (creating when needed) `state.db` in the state folder. */
  /**
   * Opens (creating when needed) `state.db` in the state folder, holding the folder's lock until
   * close(). Throws a StateError when another runtime holds the folder, or the database is
   * corrupt or cannot be written.
   */
  static open(stateDir: string, now: number = Date.now()): SqliteStore {
    ensureStateFolder(stateDir);
    // The lock comes first: checking or migrating a database another runtime is writing is unsafe.
    const lock = StateLock.acquire(stateDir, now);
    try {
      return new SqliteStore(openStateDatabase(stateDir), lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * Commits one evaluation of a monitor: the alerts it changed, its result rows and the intents
   * the transitions emitted, all or nothing.
   */
  recordEvaluation(monitorId: string, alerts: Alert[], results: ResultRow[], intents: NotificationIntent[], at: number): void {
    this.recordTx(monitorId, alerts, results, intents, at);
  }

  /** Writes alert changes and their intents atomically (rollout, acknowledgements, outside resolves). */
  commitAlerts(alerts: Alert[], intents: NotificationIntent[], at: number): void {
    this.db.transaction(() => {
      for (const alert of alerts) this.putAlert(alert);
      for (const intent of intents) this.enqueueAt(intent, at);
    })();
  }

  alertsOf(monitorId: string): Alert[] {
    return (this.s.alertsOf!.all(monitorId) as Array<{ data: string }>).map((r) => JSON.parse(r.data) as Alert);
  }

  alertByKey(dedupKey: string): Alert | null {
    const row = this.s.alertByKey!.get(dedupKey) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Alert) : null;
  }

  allAlerts(): Alert[] {
    return (this.s.allAlerts!.all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as Alert);
  }

  /** How many alerts are in each state. */
  alertStates(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.s.alertStates!.all() as Array<{ state: string; n: number }>) out[r.state] = r.n;
    return out;
  }

  recentResults(monitorId: string, limit = RECENT_RESULTS): ResultRow[] {
    return (this.s.recentResults!.all(monitorId, limit) as RawResult[]).map(toResult);
  }

  /** The newest result of every monitor, for the status page and /api/monitors. */
  latestResults(): Map<string, ResultRow> {
    const out = new Map<string, ResultRow>();
    for (const raw of this.s.latestResults!.all() as RawResult[]) out.set(raw.monitor_id, toResult(raw));
    return out;
  }

  enqueue(intent: NotificationIntent): number {
    return this.enqueueAt(intent, intent.at);
  }

  undispatched(limit: number): StoredIntent[] {
    return (this.s.undispatched!.all(limit) as Array<{ seq: number; intent: string; created_at: number }>).map((r) => ({
      seq: r.seq,
      intent: JSON.parse(r.intent) as NotificationIntent,
      createdAt: r.created_at,
    }));
  }

  markDispatched(seq: number, at: number): void {
    this.s.markDispatched!.run(at, seq);
  }

  depth(): number {
    return (this.s.depth!.get() as { n: number }).n;
  }

  lastHeartbeat(monitorId: string): number | null {
    return (this.s.getHeartbeat!.get(monitorId) as { at: number } | undefined)?.at ?? null;
  }

  recordHeartbeat(monitorId: string, at: number): void {
    this.s.putHeartbeat!.run(monitorId, at);
  }

  lastUptimeReport(monitorId: string): UptimeReport | null {
    const row = this.s.getUptime!.get(monitorId) as { up: number; message: string; at: number } | undefined;
    return row ? { up: row.up === 1, message: row.message, at: row.at } : null;
  }

  recordUptimeReport(monitorId: string, report: UptimeReport): void {
    this.s.putUptime!.run(monitorId, report.up ? 1 : 0, report.message, report.at);
  }

  lastEmergency(monitorId: string): { at: number; message: string } | null {
    return (this.s.getEmergency!.get(monitorId) as { at: number; message: string } | undefined) ?? null;
  }

  recordEmergency(monitorId: string, at: number, message: string): void {
    this.s.putEmergency!.run(monitorId, at, message);
  }

  lastEmergencyResolved(monitorId: string): number | null {
    return (this.s.getEmergencyResolved!.get(monitorId) as { at: number } | undefined)?.at ?? null;
  }

  recordEmergencyResolved(monitorId: string, at: number): void {
    this.s.putEmergencyResolved!.run(monitorId, at);
  }

  /** True when a write commits: what /readyz reports as "store writable". */
  writable(at: number): boolean {
    try {
      this.s.probe!.run(at);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Deletes dispatched outbox rows older than `notifications`, inactive alerts not evaluated for
   * `resolvedAlerts` (and with no intent left in the outbox), and the results of monitors that
   * wrote none for `results`. Undispatched intents and pending or firing alerts are never touched.
   */
  prune(now: number, retention: RetentionMs, limit: number): number {
    let deleted = this.s.pruneOutbox!.run(now - retention.notifications, limit).changes;
    deleted += this.s.pruneAlerts!.run(now - retention.resolvedAlerts, limit).changes;
    let budget = limit;
    for (const { monitor_id } of this.s.staleResultMonitors!.all(now - retention.results) as Array<{ monitor_id: string }>) {
      if (budget <= 0) break;
      const n = this.s.pruneMonitorResults!.run(monitor_id, budget).changes;
      budget -= n;
      deleted += n;
    }
    return deleted;
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.lock.release();
  }

  private putAlert(alert: Alert): void {
    this.s.upsertAlert!.run(alert.dedupKey, alert.monitorId, alert.state, JSON.stringify(alert), alert.updatedAt);
  }

  private enqueueAt(intent: NotificationIntent, at: number): number {
    const info = this.s.enqueue!.run(intent.id, intent.dedupKey, JSON.stringify(intent), at);
    if (info.changes > 0) return Number(info.lastInsertRowid);
    return (this.s.seqOf!.get(intent.id) as { seq: number }).seq;
  }
}

interface RawResult {
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

function toResult(r: RawResult): ResultRow {
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
