import type { Database, Statement } from "better-sqlite3";
import type { NotificationIntent, StoredIntent } from "../../alerts/intent.js";
import { CLOCK_STEP_BACK_MS } from "../../alerts/transition.js";
import type { AttemptRecord, DeliveryAttemptEvent, DeliveryRecord, DeliveryRow, DeliveryStatus, NewDelivery } from "../../notify/delivery-queue.js";
import { attemptOfOutcome, skippedAttempt, suppressedAttempt, type AttemptFacts } from "../attempt-event.js";
import { owedToRead, owedToWrite } from "../owed-recipients.js";
import { parseStoredIntent } from "../stored-intent.js";
import type { RetentionMs } from "../retention.js";

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
  first_failed_at: number | null;
  sent_at: number | null;
  last_error: string | null;
  vendor_status: number | null;
  vendor_answer: string | null;
  owed_to: string | null;
}

interface RawAttempt {
  dedup_key: string;
  intent_id: string;
  type: string;
  destination: string;
  at: number;
  attempt: number;
  outcome: DeliveryAttemptEvent["outcome"];
  vendor_status: number | null;
  detail: string | null;
}

/**
 * The SQLite adapter's deliveries, their attempts, the notification log and the firing set (part
 * of SqliteStore). Callers run the writes inside the store's transactions.
 */
export class SqliteDeliveries {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p(
        `INSERT OR IGNORE INTO delivery_deliveries
           (intent_id, outbox_seq, destination, dedup_key, type, intent_json, status, next_attempt_at, first_due_at, created_at, updated_at, last_error)
         VALUES (@intentId, @seq, @destination, @dedupKey, @type, @json, @status, @due, @due, @now, @now, @reason)`,
      ),
      // Only the oldest pending row per (dedup key, destination) may go: a resolve never overtakes its trigger.
      // At most @perDestination heads of each destination (the oldest due): a destination with
      // thousands of alerts waiting cannot fill the window and hide every other one's.
      heads: p(
        `SELECT * FROM (
           SELECT d.*, ROW_NUMBER() OVER (PARTITION BY d.destination ORDER BY d.next_attempt_at, d.id) AS place
             FROM delivery_deliveries d
            WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND (d.claimed_until IS NULL OR d.claimed_until <= @now)
              AND d.id = (SELECT MIN(x.id) FROM delivery_deliveries x
                           WHERE x.status = 'pending' AND x.dedup_key = d.dedup_key AND x.destination = d.destination))
          WHERE place <= @perDestination
          ORDER BY next_attempt_at, id LIMIT @limit`,
      ),
      claim: p(
        `UPDATE delivery_deliveries SET claimed_until = @until
          WHERE id = @id AND status = 'pending' AND (claimed_until IS NULL OR claimed_until <= @now)`,
      ),
      // A claim left by a dead process was an attempt under way: it counts, for it may have reached
      // the vendor (the dedup and route stages send the alert's resolve there, trigger-tried.ts).
      releaseAll: p(
        `UPDATE delivery_deliveries SET claimed_until = NULL, attempts = attempts + 1, vendor_status = NULL,
           last_error = 'the runtime stopped during an attempt, which may have reached the vendor'
         WHERE claimed_until IS NOT NULL AND status = 'pending'`,
      ),
      // A pending row last written ahead of the clock was written before the clock stepped back:
      // its times move back by as much, so it waits what it had left to wait, not the step too.
      rebase: p(
        `UPDATE delivery_deliveries SET next_attempt_at = next_attempt_at - (updated_at - @now), first_due_at = first_due_at - (updated_at - @now),
           first_failed_at = first_failed_at - (updated_at - @now), claimed_until = claimed_until - (updated_at - @now), updated_at = @now
         WHERE status = 'pending' AND updated_at > @now + @slack`,
      ),
      nextDue: p(`SELECT MIN(next_attempt_at) AS at FROM delivery_deliveries WHERE status = 'pending'`),
      update: p(
        `UPDATE delivery_deliveries SET status = @status, attempts = @attempts, next_attempt_at = @next, claimed_until = NULL,
           updated_at = @now, sent_at = COALESCE(@sentAt, sent_at), last_error = @error,
           vendor_status = COALESCE(@vendorStatus, vendor_status), vendor_answer = COALESCE(@answer, vendor_answer),
           owed_to = COALESCE(@owedTo, owed_to), first_failed_at = COALESCE(first_failed_at, @failedAt)
         WHERE id = @id`,
      ),
      logGet: p(`SELECT last_state, vendor_ref FROM delivery_notify_log WHERE dedup_key = ? AND destination = ?`),
      logPut: p(
        `INSERT INTO delivery_notify_log (dedup_key, destination, last_state, sent_at, vendor_ref) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (dedup_key, destination) DO UPDATE SET last_state = excluded.last_state, sent_at = excluded.sent_at,
           vendor_ref = COALESCE(excluded.vendor_ref, delivery_notify_log.vendor_ref)`,
      ),
      firingPut: p(`INSERT OR IGNORE INTO delivery_firing (dedup_key, monitor_id, since) VALUES (?, ?, ?)`),
      firingDel: p(`DELETE FROM delivery_firing WHERE dedup_key = ?`),
      firingByMonitor: p(`SELECT 1 FROM delivery_firing WHERE monitor_id = ? LIMIT 1`),
      pending: p(`SELECT COUNT(*) AS n FROM delivery_deliveries WHERE status = 'pending'`),
      forAlert: p(`SELECT * FROM delivery_deliveries WHERE dedup_key = ? ORDER BY id`),
      recent: p(`SELECT * FROM delivery_deliveries ORDER BY id DESC LIMIT ?`),
      attempt: p(
        `INSERT INTO delivery_attempts (dedup_key, intent_id, type, destination, at, attempt, outcome, vendor_status, detail)
         SELECT dedup_key, intent_id, type, destination, @at, @attempt, @outcome, @vendorStatus, @detail FROM delivery_deliveries WHERE id = @id`,
      ),
      attemptsOf: p(`SELECT * FROM delivery_attempts WHERE dedup_key = ? ORDER BY id`),
      pruneAttempts: p(`DELETE FROM delivery_attempts WHERE id IN (SELECT id FROM delivery_attempts WHERE at < ? LIMIT ?)`),
      pruneFinished: p(
        `DELETE FROM delivery_deliveries WHERE id IN (SELECT id FROM delivery_deliveries WHERE status <> 'pending' AND updated_at < ? LIMIT ?)`,
      ),
      // Only resolved alerts leave the log: the dedup stage needs a firing alert's sent trigger to
      // let its resolve through, however long it fires.
      pruneLog: p(
        `DELETE FROM delivery_notify_log WHERE rowid IN (SELECT rowid FROM delivery_notify_log WHERE last_state = 'resolve' AND sent_at < ? LIMIT ?)`,
      ),
    };
  }

  /** Adds the intent's deliveries (idempotent per intent and destination) and tracks the firing set. */
  add(stored: StoredIntent, deliveries: NewDelivery[], now: number): void {
    const intent = stored.intent;
    for (const d of deliveries) {
      const info = this.s.insert!.run({
        intentId: intent.id,
        seq: stored.seq,
        destination: d.destination,
        dedupKey: intent.dedupKey,
        type: intent.type,
        json: JSON.stringify(intent),
        status: d.status,
        due: d.due,
        now,
        reason: d.reason,
      });
      if (info.changes > 0 && d.status === "suppressed") this.recordAttempt(Number(info.lastInsertRowid), now, suppressedAttempt(d.reason));
    }
    this.observeAlert(intent);
  }

  /** Due lane heads; a row whose intent is not what Watchkeeper wrote goes to `garbage` instead (the caller sets it aside). */
  dueHeads(now: number, limit: number, perDestination = limit, garbage: (row: { id: number; attempts: number; dedupKey: string }, problem: string) => void = () => undefined): DeliveryRow[] {
    return (this.s.heads!.all({ now, limit, perDestination }) as RawRow[]).flatMap((r) => {
      const read = parseStoredIntent(r.intent_json, { id: r.intent_id, dedupKey: r.dedup_key });
      if (read.kind === "garbage") {
        garbage({ id: r.id, attempts: r.attempts, dedupKey: r.dedup_key }, read.problem);
        return [];
      }
      return [{
        id: r.id,
        intent: read.intent,
        destination: r.destination,
        attempts: r.attempts,
        firstDueAt: r.first_due_at,
        nextAttemptAt: r.next_attempt_at,
        ...(r.first_failed_at !== null ? { firstFailedAt: r.first_failed_at } : {}),
        ...owedToRead(r.owed_to),
      }];
    });
  }

  claim(id: number, now: number, leaseMs: number): boolean {
    return this.s.claim!.run({ id, now, until: now + leaseMs }).changes > 0;
  }

  /** Ends every claim, counted as an attempt: with the state folder's lock held, no other worker can own one. */
  releaseAllClaims(): void {
    this.s.releaseAll!.run();
  }

  nextDueAt(): number | null {
    return (this.s.nextDue!.get() as { at: number | null }).at;
  }

  /** Moves the times of pending rows written ahead of `now` (before the clock stepped back) back to it; returns how many moved. */
  rebaseAfterClockStepBack(now: number): number {
    return this.s.rebase!.run({ now, slack: CLOCK_STEP_BACK_MS }).changes;
  }

  pendingCount(): number {
    return (this.s.pending!.get() as { n: number }).n;
  }

  recordOutcome({ id, attemptsBefore, outcome, now, logged }: AttemptRecord): void {
    const attempt = attemptOfOutcome(outcome, attemptsBefore);
    if (attempt) this.recordAttempt(id, now, attempt);
    const owedTo = owedToWrite(outcome);
    const base = { id, now, sentAt: null as number | null, vendorStatus: null as number | null, answer: null as string | null, owedTo, failedAt: outcome.kind === "retry" ? now : null };
    switch (outcome.kind) {
      case "sent":
        this.s.update!.run({ ...base, status: "sent", attempts: attemptsBefore + 1, next: now, sentAt: outcome.at, error: null, vendorStatus: outcome.status, answer: outcome.answer });
        if (logged) this.s.logPut!.run(logged.dedupKey, logged.destination, logged.state, outcome.at, outcome.ref);
        return;
      case "retry":
        this.s.update!.run({ ...base, status: "pending", attempts: attemptsBefore + 1, next: outcome.at, error: outcome.reason, vendorStatus: outcome.status, answer: outcome.answer || null });
        return;
      case "deferred":
        this.s.update!.run({ ...base, status: "pending", attempts: attemptsBefore, next: outcome.at, error: outcome.reason });
        return;
      case "failed":
        this.s.update!.run({ ...base, status: "failed", attempts: attemptsBefore + 1, next: now, error: outcome.reason, vendorStatus: outcome.status, answer: outcome.answer || null });
        return;
    }
  }

  markSkipped(id: number, attempts: number, reason: string, now: number): void {
    this.recordAttempt(id, now, skippedAttempt(attempts, reason));
    this.s.update!.run({ id, status: "skipped", attempts, next: now, now, sentAt: null, error: reason, vendorStatus: null, answer: null, owedTo: null, failedAt: null });
  }

  lastSent(dedupKey: string, destination: string): { state: string; ref: string | null } | null {
    const row = this.s.logGet!.get(dedupKey, destination) as { last_state: string; vendor_ref: string | null } | undefined;
    return row ? { state: row.last_state, ref: row.vendor_ref } : null;
  }

  isMonitorFiring(monitorId: string): boolean {
    return this.s.firingByMonitor!.get(monitorId) !== undefined;
  }

  forAlert(dedupKey: string): DeliveryRecord[] {
    return (this.s.forAlert!.all(dedupKey) as RawRow[]).map(toRecord);
  }

  recent(limit: number): DeliveryRecord[] {
    return (this.s.recent!.all(limit) as RawRow[]).map(toRecord);
  }

  /** Every attempt at one alert's notifications, oldest first. */
  attempts(dedupKey: string): DeliveryAttemptEvent[] {
    return (this.s.attemptsOf!.all(dedupKey) as RawAttempt[]).map((r) => ({
      dedupKey: r.dedup_key,
      intentId: r.intent_id,
      type: r.type,
      destination: r.destination,
      at: r.at,
      attempt: r.attempt,
      outcome: r.outcome,
      vendorStatus: r.vendor_status,
      detail: r.detail,
    }));
  }

  /**
   * Finished deliveries, the log of resolved alerts and delivery attempts older than
   * `notifications`; pending rows stay.
   */
  prune(now: number, retention: RetentionMs, limit: number): number {
    const cutoff = now - retention.notifications;
    return this.s.pruneFinished!.run(cutoff, limit).changes + this.s.pruneLog!.run(cutoff, limit).changes + this.s.pruneAttempts!.run(cutoff, limit).changes;
  }

  private recordAttempt(id: number, at: number, a: AttemptFacts): void {
    this.s.attempt!.run({ id, at, attempt: a.attempt, outcome: a.outcome, vendorStatus: a.vendorStatus, detail: a.detail });
  }

  private observeAlert(intent: NotificationIntent): void {
    if (intent.type === "trigger" || intent.type === "remind") this.s.firingPut!.run(intent.dedupKey, intent.monitorId, intent.at);
    else if (intent.type === "resolve") this.s.firingDel!.run(intent.dedupKey);
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
