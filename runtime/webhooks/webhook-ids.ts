import type { Database } from "better-sqlite3";
import { migrateDeliveryTables } from "../notify/store/schema.js";
import type { Prunable, RetentionMs } from "../store/retention.js";

/**
 * Remembers the signed event ids of inbound webhooks, durably, so a replay is ignored across
 * restarts. An id is kept for the `inbound` retention, and never for less than `replayWindowMs`
 * (the oldest event still accepted plus clock skew): forgetting sooner would let a replay of an
 * event that is still fresh enough act a second time.
 */
export class WebhookIds implements Prunable {
  constructor(
    private readonly db: Database,
    private readonly replayWindowMs: number,
  ) {
    migrateDeliveryTables(db);
  }

  /** Records the id; false when it was seen before. */
  firstTime(id: string, now: number): boolean {
    const result = this.db.prepare(`INSERT OR IGNORE INTO delivery_webhook_ids (id, received_at) VALUES (?, ?)`).run(id, now);
    return result.changes > 0;
  }

  /** Forgets an id whose handling failed, so PagerDuty's retry is processed. */
  forget(id: string): void {
    this.db.prepare(`DELETE FROM delivery_webhook_ids WHERE id = ?`).run(id);
  }

  prune(now: number, retention: RetentionMs, limit: number): number {
    const keepMs = Math.max(retention.inbound, this.replayWindowMs);
    return this.db
      .prepare(`DELETE FROM delivery_webhook_ids WHERE id IN (SELECT id FROM delivery_webhook_ids WHERE received_at < ? LIMIT ?)`)
      .run(now - keepMs, limit).changes;
  }
}
