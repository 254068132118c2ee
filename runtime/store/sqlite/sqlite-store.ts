import type { Database, Statement } from "better-sqlite3";
import { join } from "node:path";
import type { AlertCommit, CommitOutcome, VersionedAlert } from "../../alerts/alert-store.js";
import type { NotificationIntent, StoredIntent } from "../../alerts/intent.js";
import { newAlert, type Alert } from "../../alerts/state.js";
import { aheadOfClock } from "../../alerts/transition.js";
import { HEARTBEAT_CLOCK_SLACK_MS, type UptimeReport } from "../../checks/types.js";
import { atomically } from "./atomically.js";
import { RECENT_RESULTS, type EvaluationCommit, type EvaluationOutcome, type ResultRow } from "../../evaluate/evaluation-store.js";
import { UNREADABLE_INTENT, type AttemptRecord, type DeliveryAttemptEvent, type DeliveryRecord, type DeliveryRow, type NewDelivery } from "../../notify/delivery-queue.js";
import type { AlertEvent } from "../../alerts/alert-event.js";
import type { RollupBucket, RollupResolution } from "../history.js";
import type { NewSilence, Silence, SilenceRecord } from "../../notify/silences.js";
import { diagnosticsOf } from "../diagnostics-record.js";
import { parseStoredIntent } from "../stored-intent.js";
import { parseStoredAlert } from "../stored-alert.js";
import type { ChangedMonitors } from "../change-feed.js";
import type { Store } from "../port.js";
import type { RetentionMs } from "../retention.js";
import { SqliteDeliveries } from "./deliveries.js";
import { SqliteHistory } from "./history.js";
import { checkpointLeftoverWal, startCheckpointer, findSqliteShell, type Checkpointer } from "./checkpointer.js";
import { checkInBackground, DATABASE_FILE, ensureStateFolder, FULL_CHECK_BELOW_BYTES, openStateDatabase, sizeOf, type BackgroundCheck } from "./open-database.js";
import { SqliteSilences } from "./silences.js";
import { StateLock } from "./state-lock.js";
import { SqliteWebhookIds } from "./webhook-ids.js";
import type { SignedOut } from "../../http/signed-out.js";
import { StateError } from "../state-error.js";

export interface SqliteStoreOptions {
  /** Webhook event ids are kept at least this long, whatever the `inbound` retention (replay window). */
  webhookReplayWindowMs?: number;
  /** Result rollups are kept; false only for the history benchmark's baseline. */
  rollups?: boolean;
  /** Told when writing rollups after the commits failed (they stay held and are retried). */
  onBackgroundError?: (error: unknown) => void;
  /** A file this large or larger is checked in part at open and its history by checkDeferred() (tests set it low). */
  fullCheckBelowBytes?: number;
  /**
   * A file this large or larger has its WAL checkpoints run by the `sqlite3` shell in a process of
   * its own (checkpointer.ts); checked at open and at every prune run. Default FULL_CHECK_BELOW_BYTES.
   */
  checkpointsOffLoopFromBytes?: number;
  /** The `sqlite3` shell for those checkpoints; default the one on PATH; null keeps them on the event loop. */
  sqliteShell?: string | null;
  /** A WAL left this large by the last run is checkpointed by that shell before opening (checkpointLeftoverWal; tests set it low). */
  leftoverWalFromBytes?: number;
  /** Told what the runtime should log about the store's helpers (the checkpoint helper's start, or its loss). */
  onNotice?: (level: "info" | "warn", message: string) => void;
}

/**
 * The embedded store: SQLite in WAL mode under the state folder, held by the folder's lock. It
 * implements the whole Store port; each named atomic operation is one SQLite transaction, so a
 * kill can never separate a transition from its notification, or a delivery from its outbox mark.
 * It answers synchronously (better-sqlite3), which the port's Awaitable allows.
 */
export class SqliteStore implements Store {
  private readonly s: Record<string, Statement>;
  private readonly history: SqliteHistory;
  private readonly deliveries: SqliteDeliveries;
  private readonly silenceRows: SqliteSilences;
  private readonly webhookIds: SqliteWebhookIds;
  private readonly webhookReplayWindowMs: number;
  private readonly watchers = new Set<(monitors: ChangedMonitors) => void>();
  /** Monitors whose latest committed result errored: a flip is a change the views show. */
  private readonly erroring = new Set<string>();
  private readonly seen = new Set<string>();
  /**
   * Monitors known to have no alert row: most monitors are healthy and never wrote one, and their
   * every tick would otherwise pay a query to learn it. Added only after a query found none (the
   * store holds the folder's lock: nothing else writes alerts), dropped on any alert write.
   */
  private readonly withoutAlerts = new Set<string>();
  /** The state folder, when open() left the history tables' check for checkDeferred(). */
  private deferredCheckOf: string | null = null;
  private backgroundCheck: BackgroundCheck | null = null;
  private checkpointer: Checkpointer | null = null;
  private readonly checkpointsOffLoopFromBytes: number;
  private readonly sqliteShell: string | null;
  /** Why checkpoints stay on the event loop for good: the WAL index is not a regular file (said once). */
  private checkpointerRefused: string | null = null;
  private readonly onNotice: (level: "info" | "warn", message: string) => void;

  private constructor(
    /** The raw database, for the adapter's own tests; everything else goes through the port. */
    readonly db: Database,
    private readonly lock: StateLock,
    options: SqliteStoreOptions,
    openedAt: number,
  ) {
    this.webhookReplayWindowMs = options.webhookReplayWindowMs ?? 0;
    this.checkpointsOffLoopFromBytes = options.checkpointsOffLoopFromBytes ?? FULL_CHECK_BELOW_BYTES;
    this.sqliteShell = options.sqliteShell === undefined ? findSqliteShell() : options.sqliteShell;
    this.onNotice = options.onNotice ?? (() => undefined);
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      alertsOf: p("SELECT dedup_key, monitor_id, data, version FROM alerts WHERE monitor_id = ?"),
      alertByKey: p("SELECT dedup_key, monitor_id, data, version FROM alerts WHERE dedup_key = ?"),
      versionOf: p("SELECT version, json_extract(data, '$.evaluatedAt') AS evaluatedAt FROM alerts WHERE dedup_key = ?"),
      alertStates: p("SELECT state, COUNT(*) AS n FROM alerts GROUP BY state"),
      allAlerts: p("SELECT dedup_key, monitor_id, data, version FROM alerts ORDER BY monitor_id, dedup_key"),
      upsertAlert: p(
        "INSERT INTO alerts (dedup_key, monitor_id, state, data, updated_at, version) VALUES (?, ?, ?, ?, ?, 1) " +
          "ON CONFLICT (dedup_key) DO UPDATE SET monitor_id = excluded.monitor_id, state = excluded.state, data = excluded.data, updated_at = excluded.updated_at, version = alerts.version + 1",
      ),
      enqueue: p("INSERT OR IGNORE INTO outbox (id, dedup_key, intent, created_at) VALUES (?, ?, ?, ?)"),
      seqOf: p("SELECT seq FROM outbox WHERE id = ?"),
      dispatchedAt: p("SELECT dispatched_at FROM outbox WHERE seq = ?"),
      undispatched: p("SELECT seq, id, dedup_key, intent, created_at FROM outbox WHERE dispatched_at IS NULL ORDER BY seq LIMIT ?"),
      markDispatched: p("UPDATE outbox SET dispatched_at = ? WHERE seq = ? AND dispatched_at IS NULL"),
      depth: p("SELECT COUNT(*) AS n FROM outbox WHERE dispatched_at IS NULL"),
      getHeartbeat: p("SELECT at FROM heartbeats WHERE monitor_id = ?"),
      putHeartbeat: p(
        `INSERT INTO heartbeats (monitor_id, at) VALUES (@monitorId, @at) ON CONFLICT (monitor_id)
           DO UPDATE SET at = CASE WHEN at - excluded.at > @slack THEN excluded.at ELSE MAX(at, excluded.at) END`,
      ),
      getUptime: p("SELECT up, message, at FROM uptime_reports WHERE monitor_id = ?"),
      putUptime: p("INSERT OR REPLACE INTO uptime_reports (monitor_id, up, message, at) VALUES (?, ?, ?, ?)"),
      getEmergency: p("SELECT at, message FROM emergencies WHERE monitor_id = ?"),
      putEmergency: p("INSERT OR REPLACE INTO emergencies (monitor_id, at, message) VALUES (?, ?, ?)"),
      getEmergencyResolved: p("SELECT at FROM emergency_resolutions WHERE monitor_id = ?"),
      putEmergencyResolved: p("INSERT OR REPLACE INTO emergency_resolutions (monitor_id, at) VALUES (?, ?)"),
      putSignedOut: p("INSERT OR REPLACE INTO signed_out_sessions (session_id, until) VALUES (?, ?)"),
      getSignedOut: p("SELECT session_id AS sessionId, until FROM signed_out_sessions WHERE until >= ?"),
      pruneSignedOut: p("DELETE FROM signed_out_sessions WHERE session_id IN (SELECT session_id FROM signed_out_sessions WHERE until < ? LIMIT ?)"),
      probe: p("INSERT OR REPLACE INTO probe (id, at) VALUES (1, ?)"),
      pruneOutbox: p("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < ? LIMIT ?)"),
      // While any intent or delivery of the alert is still stored its row stays: a new row would
      // restart the sequence, and a repeated intent id would be taken for the old intent and never
      // sent. A delivery outlives its intent in the outbox when it was sent late (a vendor down for
      // hours). The status list lets the deliveries' queue index find an alert's rows.
      pruneAlerts: p(
        `DELETE FROM alerts WHERE dedup_key IN (SELECT a.dedup_key FROM alerts a WHERE a.state = 'inactive' AND a.updated_at < ?
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedup_key = a.dedup_key)
           AND NOT EXISTS (SELECT 1 FROM delivery_deliveries d WHERE d.status IN ('pending', 'sent', 'failed', 'skipped', 'suppressed') AND d.dedup_key = a.dedup_key)
           LIMIT ?)`,
      ),
    };
    this.history = new SqliteHistory(db, options.rollups ?? true, openedAt, options.onBackgroundError);
    this.deliveries = new SqliteDeliveries(db);
    const reportedSilences = new Set<string>();
    this.silenceRows = new SqliteSilences(db, (id) => {
      if (reportedSilences.has(id)) return;
      reportedSilences.add(id);
      this.onNotice("warn", `silence ${id} of state.db is not one Watchkeeper wrote (its matchers are not an object of monitors, services and labels): it mutes nothing; expire it (DELETE /api/silences/${id})`);
    });
    this.webhookIds = new SqliteWebhookIds(db);
    // The folder's lock is ours: a claim still stored was a dead process's.
    this.deliveries.releaseAllClaims();
  }

  /**
   * Opens (creating when needed) `state.db` in the state folder, holding the folder's lock until
   * close(). Throws a StateError when another runtime holds the folder, or the database is
   * corrupt or cannot be written.
   */
  static open(stateDir: string, now: number = Date.now(), options: SqliteStoreOptions = {}): SqliteStore {
    ensureStateFolder(stateDir);
    // The lock comes first: checking or migrating a database another runtime is writing is unsafe.
    const lock = StateLock.acquire(stateDir, now);
    try {
      const shell = options.sqliteShell === undefined ? findSqliteShell() : options.sqliteShell;
      const leftover = checkpointLeftoverWal(join(stateDir, DATABASE_FILE), shell, { fromBytes: options.leftoverWalFromBytes });
      if (leftover !== null) options.onNotice?.(leftover.level, leftover.message);
      const opened = openStateDatabase(stateDir, options.fullCheckBelowBytes);
      const store = new SqliteStore(opened.db, lock, options, now);
      if (opened.deferredCheck) store.deferredCheckOf = stateDir;
      store.offloadCheckpointsWhenLarge(true);
      return store;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  readAlerts(monitorId: string): VersionedAlert[] {
    if (this.withoutAlerts.has(monitorId)) return [];
    const rows = this.s.alertsOf!.all(monitorId) as AlertRow[];
    if (rows.length === 0) this.withoutAlerts.add(monitorId);
    return rows.flatMap((row) => this.versioned(row) ?? []);
  }

  readAlert(dedupKey: string): VersionedAlert | null {
    const row = this.s.alertByKey!.get(dedupKey) as AlertRow | undefined;
    return row ? this.versioned(row) : null;
  }

  /**
   * A row as an alert with its version. A row that is not an alert Watchkeeper wrote (edited by
   * hand) is a lost alert state, as in Redis (docs/scale-out.md, "Keys edited by hand"): it is
   * replaced with an inactive alert that keeps the highest intent sequence the outbox holds for it
   * (so the next page gets a new intent id and is sent), or removed when the outbox holds none,
   * and said once; its monitor is evaluated again instead of failing every tick.
   */
  private versioned(row: AlertRow): VersionedAlert | null {
    const stored = parseStoredAlert(row.dedup_key, row.data, String(row.version));
    if (stored.kind === "alert") return stored.read;
    const problem = stored.kind === "garbage" ? stored.problem : "it has no alert data";
    return atomically(this.db, (): VersionedAlert | null => {
      const ids = this.db.prepare("SELECT id, intent FROM outbox WHERE dedup_key = ?").all(row.dedup_key) as Array<{ id: string; intent: string }>;
      let sequence = 0;
      let labels: Record<string, string> = {};
      for (const { id, intent } of ids) {
        const n = Number(id.slice(row.dedup_key.length + 1));
        if (!id.startsWith(`${row.dedup_key}:`) || !Number.isSafeInteger(n) || n <= sequence) continue;
        sequence = n;
        const read = parseStoredIntent(intent);
        labels = read.kind === "intent" ? read.intent.labels : {};
      }
      this.db.prepare("DELETE FROM delivery_firing WHERE dedup_key = ?").run(row.dedup_key);
      const lost = `alert ${JSON.stringify(row.dedup_key.slice(0, 300))} of state.db was not one Watchkeeper wrote (${problem}): its state is lost`;
      if (ids.length === 0) {
        this.db.prepare("DELETE FROM alerts WHERE dedup_key = ? AND data = ?").run(row.dedup_key, row.data);
        this.onNotice("warn", `${lost}, and it was removed; a monitor still failing fires again`);
        return null;
      }
      const alert = { ...newAlert(row.monitor_id, labels, row.dedup_key, Date.now()), sequence };
      const version = row.version + 1;
      this.db.prepare("UPDATE alerts SET state = 'inactive', data = ?, version = ? WHERE dedup_key = ? AND data = ?").run(JSON.stringify(alert), version, row.dedup_key, row.data);
      this.onNotice(
        "warn",
        `${lost}, and it was replaced with an inactive alert; a monitor still failing fires again under the same dedup key, and if that alert was firing and its check has recovered, resolve its incident at the vendor by hand`,
      );
      return { alert, version };
    });
  }

  /**
   * Commits one evaluation: the alerts it changed with their transitions, its result rows with
   * their rollups, and its intents, all or nothing. Old results are left to the pruner.
   */
  recordEvaluation(c: EvaluationCommit): CommitOutcome {
    let outcome: CommitOutcome | null = null;
    try {
      outcome = atomically(this.db, (): CommitOutcome => this.writeEvaluation(c));
      if (outcome.kind === "committed") this.tell(this.changedBy(c));
      return outcome;
    } finally {
      this.history.settle(outcome !== null);
    }
  }

  /**
   * Commits a batch of evaluations in one transaction (one WAL commit for all of them). When one
   * of them throws (a constraint, a value that cannot be stored), the transaction is rolled back
   * and each is committed on its own, so only the bad one fails. Returns one outcome per commit.
   * A problem of the database itself (locked by another process, read-only, corrupt) throws for
   * the whole batch: one by one, each would only meet it again, and a lock is waited for
   * (BUSY_TIMEOUT_MS, on the event loop) by every one of them. A full disk is not one: the
   * evaluations that still fit in the space left commit.
   */
  recordEvaluations(commits: readonly EvaluationCommit[]): EvaluationOutcome[] {
    if (commits.length === 0) return [];
    if (!this.db.open) throw new Error("the state database is closed");
    let outcomes: EvaluationOutcome[] | null = null;
    try {
      outcomes = atomically(this.db, (): EvaluationOutcome[] => commits.map((c) => this.writeEvaluation(c)));
    } catch (error) {
      if (failsEveryWrite(error)) throw error;
      // Fall through to one by one: the error belongs to one of them, found below.
    } finally {
      this.history.settle(outcomes !== null);
    }
    if (outcomes !== null) {
      const committed = outcomes;
      this.tell([...new Set(commits.flatMap((c, i) => (committed[i]!.kind === "committed" ? this.changedBy(c) : [])))]);
      return outcomes;
    }
    return commits.map((c): EvaluationOutcome => {
      try {
        return this.recordEvaluation(c);
      } catch (error) {
        return { kind: "failed", error };
      }
    });
  }

  /** One evaluation's writes, inside a transaction the caller holds. */
  private writeEvaluation(c: EvaluationCommit): CommitOutcome {
    const conflicts = this.conflictsOf(c);
    if (conflicts.length > 0) return { kind: "conflict", dedupKeys: conflicts };
    for (const alert of c.alerts) this.putAlert(alert);
    this.history.addEvents(c.events ?? []);
    this.history.addDiagnostics(diagnosticsOf(c.intents));
    this.history.addResults(c.monitorId, c.results);
    for (const intent of c.intents) this.enqueueAt(intent, c.at);
    return { kind: "committed" };
  }

  /** Writes alert changes, their transitions and their intents atomically (rollout, acknowledgements, outside resolves). */
  commitAlerts(c: AlertCommit): CommitOutcome {
    const outcome = atomically(this.db, (): CommitOutcome => {
      const conflicts = this.conflictsOf(c);
      if (conflicts.length > 0) return { kind: "conflict", dedupKeys: conflicts };
      for (const alert of c.alerts) this.putAlert(alert);
      this.history.addEvents(c.events ?? []);
      this.history.addDiagnostics(diagnosticsOf(c.intents));
      for (const intent of c.intents) this.enqueueAt(intent, c.at);
      return { kind: "committed" };
    });
    if (outcome.kind === "committed") this.tell([...new Set(c.alerts.map((a) => a.monitorId))]);
    return outcome;
  }

  watchChanges(listener: (monitors: ChangedMonitors) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** The monitors a committed evaluation changed as the views see them: its alerts, or its erroring flipped. */
  private changedBy(c: EvaluationCommit): string[] {
    const out = new Set(c.alerts.map((a) => a.monitorId));
    const last = c.results.at(-1);
    if (last) {
      const errored = last.error !== null && last.error !== undefined;
      const was = this.erroring.has(c.monitorId);
      if (errored !== was || !this.seen.has(c.monitorId)) out.add(c.monitorId);
      this.seen.add(c.monitorId);
      if (errored) this.erroring.add(c.monitorId);
      else this.erroring.delete(c.monitorId);
    }
    return [...out];
  }

  private tell(monitors: ChangedMonitors): void {
    if (monitors !== null && monitors.length === 0) return;
    // A watcher's failure is the watcher's: it never undoes or fails the commit that was made.
    for (const w of this.watchers) {
      try {
        w(monitors);
      } catch {
        // the views log their own failures
      }
    }
  }

  alertsOf(monitorId: string): Alert[] {
    return this.readAlerts(monitorId).map((r) => r.alert);
  }

  alertByKey(dedupKey: string): Alert | null {
    return this.readAlert(dedupKey)?.alert ?? null;
  }

  allAlerts(): Alert[] {
    return (this.s.allAlerts!.all() as AlertRow[]).flatMap((row) => this.versioned(row)?.alert ?? []);
  }

  /** How many alerts are in each state. */
  alertStates(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.s.alertStates!.all() as Array<{ state: string; n: number }>) out[r.state] = r.n;
    return out;
  }

  recentResults(monitorId: string, limit = RECENT_RESULTS): ResultRow[] {
    return this.history.recentResults(monitorId, limit);
  }

  /** The newest result of every monitor, for the status page and /api/monitors. */
  latestResults(): Map<string, ResultRow> {
    return this.history.latestResults();
  }

  erroringSince(): Map<string, number> {
    return this.history.erroringSince();
  }

  erroringEnded(): Map<string, number> {
    return this.history.erroringEnded();
  }

  resultsBetween(monitorId: string, since: number, until: number, limit: number): ResultRow[] {
    return this.history.resultsBetween(monitorId, since, until, limit);
  }

  rollups(monitorId: string, resolution: RollupResolution, since: number, until: number): RollupBucket[] {
    return this.history.rollups(monitorId, resolution, since, until);
  }

  alertEvents(dedupKey: string): AlertEvent[] {
    return this.history.alertEvents(dedupKey);
  }

  deliveryAttempts(dedupKey: string): DeliveryAttemptEvent[] {
    return this.deliveries.attempts(dedupKey);
  }

  alertDiagnostics(dedupKey: string): string | null {
    return this.history.alertDiagnostics(dedupKey);
  }

  /** Queues one intent; a trigger's diagnostics (the emergency page's) are recorded with it. */
  enqueue(intent: NotificationIntent): number {
    return atomically(this.db, (): number => {
      const seq = this.s.seqOf!.get(intent.id) as { seq: number } | undefined;
      if (seq) return seq.seq;
      this.history.addDiagnostics(diagnosticsOf([intent]));
      return this.enqueueAt(intent, intent.at);
    });
  }

  undispatched(limit: number): StoredIntent[] {
    const out: StoredIntent[] = [];
    for (const r of this.s.undispatched!.all(limit) as Array<{ seq: number; id: string; dedup_key: string; intent: string; created_at: number }>) {
      const read = parseStoredIntent(r.intent, { id: r.id, dedupKey: r.dedup_key });
      if (read.kind === "intent") {
        out.push({ seq: r.seq, intent: read.intent, createdAt: r.created_at });
        continue;
      }
      // A row edited by hand: one that cannot be read would hold back every page queued after it.
      this.markDispatched(r.seq, Date.now());
      this.onNotice(
        "warn",
        `outbox row ${r.seq} of state.db was not an intent Watchkeeper wrote (${read.problem}): the notification of the alert ${JSON.stringify(r.dedup_key.slice(0, 300))} it held is not sent, and the outbox goes on with the next one; if that alert is firing, check its incident at the vendor`,
      );
    }
    return out;
  }

  markDispatched(seq: number, at: number): void {
    this.s.markDispatched!.run(at, seq);
  }

  dispatchIntent(stored: StoredIntent, deliveries: NewDelivery[], now: number): boolean {
    return atomically(this.db, (): boolean => {
      const row = this.s.dispatchedAt!.get(stored.seq) as { dispatched_at: number | null } | undefined;
      if (!row || row.dispatched_at !== null) return false;
      this.deliveries.add(stored, deliveries, now);
      this.s.markDispatched!.run(now, stored.seq);
      return true;
    });
  }

  dueHeads(now: number, limit: number, perDestination?: number): DeliveryRow[] {
    return this.deliveries.dueHeads(now, limit, perDestination, (row, problem) => {
      // A row edited by hand cannot be sent: failed, its lane moves on, rather than failing every look for due deliveries.
      const reason = `${UNREADABLE_INTENT} (${problem})`;
      this.recordOutcome({ id: row.id, attemptsBefore: row.attempts, outcome: { kind: "failed", reason, status: null, answer: "" }, now });
      this.onNotice(
        "warn",
        `delivery ${row.id} of state.db was not one Watchkeeper wrote (${problem}): the notification of the alert ${JSON.stringify(row.dedupKey.slice(0, 300))} is recorded as failed and not sent; if that alert is firing, check its incident at the vendor`,
      );
    });
  }

  claim(ids: number[], now: number, leaseMs: number): number[] {
    return atomically(this.db, () => ids.filter((id) => this.deliveries.claim(id, now, leaseMs)));
  }

  recordOutcome(attempt: AttemptRecord): void {
    atomically(this.db, () => this.deliveries.recordOutcome(attempt));
  }

  markSkipped(id: number, attempts: number, reason: string, now: number): void {
    atomically(this.db, () => this.deliveries.markSkipped(id, attempts, reason, now));
  }

  nextDueAt(): number | null {
    return this.deliveries.nextDueAt();
  }

  afterClockStepBack(now: number): number {
    return atomically(this.db, () => this.deliveries.rebaseAfterClockStepBack(now));
  }

  pendingCount(): number {
    return this.deliveries.pendingCount();
  }

  deliveriesForAlert(dedupKey: string): DeliveryRecord[] {
    return this.deliveries.forAlert(dedupKey);
  }

  recentDeliveries(limit: number): DeliveryRecord[] {
    return this.deliveries.recent(limit);
  }

  lastSent(dedupKey: string, destination: string): { state: string; ref: string | null } | null {
    return this.deliveries.lastSent(dedupKey, destination);
  }

  isMonitorFiring(monitorId: string): boolean {
    return this.deliveries.isMonitorFiring(monitorId);
  }

  addSilence(input: NewSilence, now: number): Silence {
    const silence = this.silenceRows.add(input, now);
    this.tell(null);
    return silence;
  }

  expireSilence(id: string, now: number, expiredBy: string | null = null): boolean {
    const found = this.silenceRows.expire(id, now, expiredBy);
    if (found) this.tell(null);
    return found;
  }

  silenceRecords(since: number, until: number): SilenceRecord[] {
    return this.silenceRows.records(since, until);
  }

  currentSilences(now: number): Silence[] {
    return this.silenceRows.current(now);
  }

  silenceById(id: string): Silence | null {
    return this.silenceRows.byId(id);
  }

  seenWebhookEvent(id: string): boolean {
    return this.webhookIds.seen(id);
  }

  firstWebhookEvent(id: string, now: number): boolean {
    return this.webhookIds.firstTime(id, now);
  }

  forgetWebhookEvent(id: string): void {
    this.webhookIds.forget(id);
  }

  depth(): number {
    return (this.s.depth!.get() as { n: number }).n;
  }

  lastHeartbeat(monitorId: string): number | null {
    return (this.s.getHeartbeat!.get(monitorId) as { at: number } | undefined)?.at ?? null;
  }

  recordHeartbeat(monitorId: string, at: number): void {
    this.s.putHeartbeat!.run({ monitorId, at, slack: HEARTBEAT_CLOCK_SLACK_MS });
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

  recordSignOut(sessionId: string, until: number): void {
    this.s.putSignedOut!.run(sessionId, until);
  }

  signedOutSessions(now: number): SignedOut[] {
    return this.s.getSignedOut!.all(now) as SignedOut[];
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
   * Deletes, at most `limit` rows per table per call: finished deliveries, their attempts and the
   * log of resolved alerts, ended API silences, webhook ids past max(inbound, replay window),
   * dispatched outbox rows, inactive alerts with no intent left in the outbox, alert transitions,
   * results past their window (all of them for monitors that wrote none in it) and rollups past
   * theirs. Pending deliveries, undispatched intents and pending or firing alerts are never
   * touched. Deliveries go before the outbox before alerts.
   */
  prune(now: number, retention: RetentionMs, limit: number): number {
    this.offloadCheckpointsWhenLarge();
    this.history.writeRollups(now);
    let deleted = this.deliveries.prune(now, retention, limit);
    deleted += this.silenceRows.prune(now, retention, limit);
    deleted += this.webhookIds.prune(now, Math.max(retention.inbound, this.webhookReplayWindowMs), limit);
    deleted += this.s.pruneOutbox!.run(now - retention.notifications, limit).changes;
    deleted += this.s.pruneAlerts!.run(now - retention.resolvedAlerts, limit).changes;
    deleted += this.s.pruneSignedOut!.run(now, limit).changes;
    deleted += this.history.prune(now, retention, limit);
    return deleted;
  }

  /**
   * Writes the rollups' closed minutes still held, every one when `all` (the open minutes too), as
   * the store does by itself after commits. For tests and benchmarks that never yield.
   */
  writeRollups(now: number, all = false): void {
    if (all) this.history.writeAll(now);
    else while (this.history.writeRollups(now) > 0);
  }

  /**
   * The rest of the start-up integrity check, off the event loop: every page of the history
   * tables read, in slices (checkInBackground), when open() checked only the tables of alert state
   * (a large file); null when open() checked it all. Resolves with the problems found.
   */
  checkDeferred(): Promise<string[]> | null {
    if (this.deferredCheckOf === null || this.backgroundCheck !== null) return null;
    this.backgroundCheck = checkInBackground(this.deferredCheckOf);
    return this.backgroundCheck.done;
  }

  /** The checkpoint helper has not caught up with the WAL: the pruner waits (Prunable). */
  writesBehind(): boolean {
    return this.checkpointer?.behind() ?? false;
  }

  /** Commits wait a moment while the helper copies a grown WAL's last frames (EvaluationStore). */
  commitsHeld(): Promise<void> | null {
    return this.checkpointer?.holdCommits() ?? null;
  }

  /** Whether the checkpoint helper runs (for tests and benchmarks). */
  get checkpointsOffLoop(): boolean {
    return this.checkpointer?.running ?? false;
  }

  /**
   * Once the file is large, its WAL checkpoints move to the `sqlite3` shell (checkpointer.ts): on a
   * large file each one costs milliseconds of the event loop. Without the shell, or once it is
   * lost, they stay on the event loop, as on a small file.
   */
  private offloadCheckpointsWhenLarge(opening = false): void {
    if (this.checkpointer !== null || this.sqliteShell === null || this.checkpointerRefused !== null || !this.db.open) return;
    if (sizeOf(this.db.name) < this.checkpointsOffLoopFromBytes) return;
    try {
      this.checkpointer = startCheckpointer(this.db, this.db.name, {
        shell: this.sqliteShell,
        onFallback: (reason) => this.onNotice("warn", `WAL checkpoints are back on the event loop: ${reason}`),
      });
    } catch (error) {
      // At start a state file that is not a file refuses the start, as openStateDatabase does;
      // once running, the connection keeps its own checkpoints and the operator is told once.
      if (opening || !(error instanceof StateError)) throw error;
      this.checkpointerRefused = error.message;
      this.onNotice("warn", `WAL checkpoints stay on the event loop: ${error.message}; ${error.hint}`);
      return;
    }
    this.onNotice("info", "the state database is large: its WAL checkpoints run in a sqlite3 helper process, off the event loop");
  }

  /** Writes the rollups' held minutes, then lets go of the database and the folder's lock. */
  close(): void {
    void this.backgroundCheck?.stop();
    this.checkpointer?.stop();
    if (this.db.open) {
      try {
        this.history.writeAll(Date.now());
      } finally {
        this.db.close();
        this.checkpointer?.release();
      }
    }
    this.lock.release();
  }

  private conflictsOf(c: AlertCommit): string[] {
    const out: string[] = [];
    for (const alert of c.alerts) {
      const expected = c.readVersions[alert.dedupKey];
      const row = this.s.versionOf!.get(alert.dedupKey) as { version: number; evaluatedAt: number | null } | undefined;
      // A newer tick's evaluation is never overwritten by an older one's, versions or not; a tick
      // ahead of the clock is not newer but from before the clock stepped back (this runtime alone
      // writes its alerts), and the evaluation that rebased it is written.
      if (row && isStale(alert, row.evaluatedAt) && !aheadOfClock(row.evaluatedAt, c.at)) out.push(alert.dedupKey);
      else if (expected !== undefined && (row?.version ?? 0) !== expected) out.push(alert.dedupKey);
    }
    return out;
  }

  private putAlert(alert: Alert): void {
    // Before the write, so a rollback leaves the monitor to be queried again, never wrongly empty.
    this.withoutAlerts.delete(alert.monitorId);
    this.s.upsertAlert!.run(alert.dedupKey, alert.monitorId, alert.state, JSON.stringify(alert), alert.updatedAt);
  }

  private enqueueAt(intent: NotificationIntent, at: number): number {
    const info = this.s.enqueue!.run(intent.id, intent.dedupKey, JSON.stringify(intent), at);
    if (info.changes > 0) return Number(info.lastInsertRowid);
    return (this.s.seqOf!.get(intent.id) as { seq: number }).seq;
  }
}

/** Whether `alert` was evaluated for an older tick than the stored alert's `storedEvaluatedAt`. */
function isStale(alert: Alert, storedEvaluatedAt: number | null): boolean {
  return storedEvaluatedAt !== null && typeof alert.evaluatedAt === "number" && alert.evaluatedAt < storedEvaluatedAt;
}

/** A row of the alerts table as the reads select it. */
interface AlertRow {
  dedup_key: string;
  monitor_id: string;
  data: string;
  version: number;
}

/**
 * SQLite result codes that say the database takes no write now, whatever is written: another
 * process's lock, a read-only or corrupt file. A constraint or a value that cannot be bound is the
 * one evaluation's own; a full disk may still take a smaller one.
 */
const DATABASE_PROBLEMS = ["SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CANTOPEN", "SQLITE_PERM"];

function failsEveryWrite(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  return DATABASE_PROBLEMS.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}
