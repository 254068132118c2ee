import type { Database } from "better-sqlite3";
import { migrateDeliveryTables } from "../notify/store/schema.js";

/** How long a webhook id is remembered; PagerDuty retries for far less than this. */
const KEEP_MS = 7 * 24 * 3_600_000;

/** Remembers inbound webhook deliveries by id so a replay is ignored, across restarts. */
export class WebhookIds {
  constructor(private readonly db: Database) {
    migrateDeliveryTables(db);
  }

  /** Records the id; false when it was seen before. */
  firstTime(id: string, now: number): boolean {
    this.db.prepare(`DELETE FROM delivery_webhook_ids WHERE received_at < ?`).run(now - KEEP_MS);
    const result = this.db.prepare(`INSERT OR IGNORE INTO delivery_webhook_ids (id, received_at) VALUES (?, ?)`).run(id, now);
    return result.changes > 0;
  }

  /** Forgets an id whose handling failed, so PagerDuty's retry is processed. */
  forget(id: string): void {
    this.db.prepare(`DELETE FROM delivery_webhook_ids WHERE id = ?`).run(id);
  }
}
