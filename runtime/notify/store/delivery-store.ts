import type { Database, Statement } from "better-sqlite3";
import type { NotificationIntent } from "../../alerts/intent.js";
import type { Prunable, RetentionMs } from "../../store/retention.js";
import type { SendOutcome } from "../types.js";
import { migrateDeliveryTables } from "./schema.js";

export type DeliveryStatus = "pending" | "sent" | "failed" | "skipped" | "suppressed";

/** A delivery row as the worker reads it. */
export interface DeliveryRow {
  id: number;
  intent: NotificationIntent;
  destination: string;
  attempts: number;
  firstDueAt: number;
  nextAttemptAt: number;
}

/** A row as `/api/deliveries` and tests see it. */
export interface DeliveryRecord {
  id: number;
  intentId: string;
  destination: string;
  dedupKey: string;
  type: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  sentAt: number | null;
  lastError: string | null;
  vendorStatus: number | null;
  vendorAnswer: string | null;
}

interface RawRow {
  id: number;
  intent_id: string;
  destination: string;
  dedup_key: string;
  type: string;
  intent_json: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  first_due_at: number;
  sent_at: number | null;
  last_error: string | null;
  vendor_status: number | null;
  vendor_answer: string | null;
}

/** Durable per-destination deliveries, the notification log and the firing set, over SQLite. */
export class DeliveryStore implements Prunable {
  private readonly insert: Statement;
  private readonly heads: Statement;
  private readonly nextDue: Statement;
  private readonly update: Statement;
  private readonly logGet: Statement;
  private readonly logPut: Statement;
  private readonly firingPut: Statement;
  private readonly firingDel: Statement;
  private readonly firingByMonitor: Statement;
  private readonly pending: Statement;
  private readonly pruneFinished: Statement;
  private readonly pruneLog: Statement;

  constructor(readonly db: Database) {
    migrateDeliveryTables(db);
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO delivery_deliveries
         (intent_id, outbox_seq, destination, dedup_key, type, intent_json, status, next_attempt_at, first_due_at, created_at, updated_at, last_error)
       VALUES (@intentId, @seq, @destination, @dedupKey, @type, @json, @status, @due, @due, @now, @now, @reason)`,
    );
    // Only the oldest pending row per (dedup key, destination) may go: a resolve never overtakes its trigger.
    this.heads = db.prepare(
      `SELECT d.* FROM delivery_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= ?
          AND d.id = (SELECT MIN(x.id) FROM delivery_deliveries x
                       WHERE x.status = 'pending' AND x.dedup_key = d.dedup_key AND x.destination = d.destination)
        ORDER BY d.next_attempt_at, d.id LIMIT ?`,
    );
    this.nextDue = db.prepare(`SELECT MIN(next_attempt_at) AS at FROM delivery_deliveries WHERE status = 'pending'`);
    this.update = db.prepare(
      `UPDATE delivery_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next,
         updated_at = @now, sent_at = COALESCE(@sentAt, sent_at), last_error = @error,
         vendor_status = COALESCE(@vendorStatus, vendor_status), vendor_answer = COALESCE(@answer, vendor_answer)
       WHERE id = @id`,
    );
    this.logGet = db.prepare(`SELECT last_state, vendor_ref FROM delivery_notify_log WHERE dedup_key = ? AND destination = ?`);
    this.logPut = db.prepare(
      `INSERT INTO delivery_notify_log (dedup_key, destination, last_state, sent_at, vendor_ref) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (dedup_key, destination) DO UPDATE SET last_state = excluded.last_state, sent_at = excluded.sent_at,
         vendor_ref = COALESCE(excluded.vendor_ref, delivery_notify_log.vendor_ref)`,
    );
    this.firingPut = db.prepare(`INSERT OR IGNORE INTO delivery_firing (dedup_key, monitor_id, since) VALUES (?, ?, ?)`);
    this.firingDel = db.prepare(`DELETE FROM delivery_firing WHERE dedup_key = ?`);
    this.firingByMonitor = db.prepare(`SELECT 1 FROM delivery_firing WHERE monitor_id = ? LIMIT 1`);
    this.pending = db.prepare(`SELECT COUNT(*) AS n FROM delivery_deliveries WHERE status = 'pending'`);
    this.pruneFinished = db.prepare(
      `DELETE FROM delivery_deliveries WHERE id IN (SELECT id FROM delivery_deliveries WHERE status <> 'pending' AND updated_at < ? LIMIT ?)`,
    );
    // Only resolved alerts leave the log: the dedup stage needs a firing alert's sent trigger to
    // let its resolve through, however long it fires.
    this.pruneLog = db.prepare(
      `DELETE FROM delivery_notify_log WHERE rowid IN (SELECT rowid FROM delivery_notify_log WHERE last_state = 'resolve' AND sent_at < ? LIMIT ?)`,
    );
  }

  /** Adds a delivery; a second insert for the same (intent, destination) is ignored (idempotent dispatch). */
  add(row: { intent: NotificationIntent; seq: number; destination: string; status: "pending" | "suppressed"; due: number; now: number; reason: string | null }): void {
    this.insert.run({
      intentId: row.intent.id,
      seq: row.seq,
      destination: row.destination,
      dedupKey: row.intent.dedupKey,
      type: row.intent.type,
      json: JSON.stringify(row.intent),
      status: row.status,
      due: row.due,
      now: row.now,
      reason: row.reason,
    });
  }

  /** Pending rows that are due and first in line for their alert and destination. */
  dueHeads(now: number, limit: number): DeliveryRow[] {
    return (this.heads.all(now, limit) as RawRow[]).map((r) => ({
      id: r.id,
      intent: JSON.parse(r.intent_json) as NotificationIntent,
      destination: r.destination,
      attempts: r.attempts,
      firstDueAt: r.first_due_at,
      nextAttemptAt: r.next_attempt_at,
    }));
  }

  /** Earliest time any pending row becomes due, or null when nothing is pending. */
  nextDueAt(): number | null {
    return (this.nextDue.get() as { at: number | null }).at;
  }

  pendingCount(): number {
    return (this.pending.get() as { n: number }).n;
  }

  /** Writes the outcome of an attempt (or of a decision not to attempt yet). */
  recordOutcome(id: number, attemptsBefore: number, outcome: SendOutcome, now: number): void {
    const base = { id, now, sentAt: null as number | null, vendorStatus: null as number | null, answer: null as string | null };
    switch (outcome.kind) {
      case "sent":
        this.update.run({ ...base, status: "sent", attempts: attemptsBefore + 1, next: now, sentAt: outcome.at, error: null, vendorStatus: outcome.status, answer: outcome.answer });
        return;
      case "retry":
        this.update.run({ ...base, status: "pending", attempts: attemptsBefore + 1, next: outcome.at, error: outcome.reason, vendorStatus: outcome.status, answer: outcome.answer || null });
        return;
      case "deferred":
        this.update.run({ ...base, status: "pending", attempts: attemptsBefore, next: outcome.at, error: outcome.reason });
        return;
      case "failed":
        this.update.run({ ...base, status: "failed", attempts: attemptsBefore + 1, next: now, error: outcome.reason, vendorStatus: outcome.status, answer: outcome.answer || null });
        return;
    }
  }

  markSkipped(id: number, attempts: number, reason: string, now: number): void {
    this.update.run({ id, status: "skipped", attempts, next: now, now, sentAt: null, error: reason, vendorStatus: null, answer: null });
  }

  /** What was last sent for this alert to this destination. */
  lastSent(dedupKey: string, destination: string): { state: string; ref: string | null } | null {
    const row = this.logGet.get(dedupKey, destination) as { last_state: string; vendor_ref: string | null } | undefined;
    return row ? { state: row.last_state, ref: row.vendor_ref } : null;
  }

  logSent(dedupKey: string, destination: string, state: string, at: number, ref: string | null): void {
    this.logPut.run(dedupKey, destination, state, at, ref);
  }

  /** Tracks which alerts fire, from the intents passing through (for inhibition). */
  observeAlert(intent: NotificationIntent): void {
    if (intent.type === "trigger" || intent.type === "remind") this.firingPut.run(intent.dedupKey, intent.monitorId, intent.at);
    else if (intent.type === "resolve") this.firingDel.run(intent.dedupKey);
  }

  isMonitorFiring(monitorId: string): boolean {
    return this.firingByMonitor.get(monitorId) !== undefined;
  }

  /**
   * Deletes finished deliveries (sent, failed, skipped, suppressed) and the log of resolved alerts
   * older than `notifications`. Pending deliveries are never deleted.
   */
  prune(now: number, retention: RetentionMs, limit: number): number {
    const cutoff = now - retention.notifications;
    return this.pruneFinished.run(cutoff, limit).changes + this.pruneLog.run(cutoff, limit).changes;
  }

  /** Deliveries for one alert, oldest first. */
  forAlert(dedupKey: string): DeliveryRecord[] {
    const rows = this.db.prepare(`SELECT * FROM delivery_deliveries WHERE dedup_key = ? ORDER BY id`).all(dedupKey) as RawRow[];
    return rows.map(toRecord);
  }

  /** The most recent deliveries, newest first. */
  recent(limit: number): DeliveryRecord[] {
    const rows = this.db.prepare(`SELECT * FROM delivery_deliveries ORDER BY id DESC LIMIT ?`).all(limit) as RawRow[];
    return rows.map(toRecord);
  }
}

function toRecord(r: RawRow): DeliveryRecord {
  return {
    id: r.id,
    intentId: r.intent_id,
    destination: r.destination,
    dedupKey: r.dedup_key,
    type: r.type,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    sentAt: r.sent_at,
    lastError: r.last_error,
    vendorStatus: r.vendor_status,
    vendorAnswer: r.vendor_answer,
  };
}
