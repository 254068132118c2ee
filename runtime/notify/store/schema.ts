import type { Database } from "better-sqlite3";

/**
 * Delivery's own tables, in the runtime's database so that moving an intent from the outbox into
 * per-destination deliveries happens in one transaction with marking it dispatched.
 */
export function migrateDeliveryTables(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS delivery_deliveries (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      intent_id TEXT NOT NULL,
      outbox_seq INTEGER NOT NULL,
      destination TEXT NOT NULL,
      dedup_key TEXT NOT NULL,
      type TEXT NOT NULL,
      intent_json TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'suppressed')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      first_due_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      sent_at INTEGER,
      last_error TEXT,
      vendor_status INTEGER,
      vendor_answer TEXT,
      UNIQUE (intent_id, destination)
    );
    CREATE INDEX IF NOT EXISTS delivery_deliveries_queue
      ON delivery_deliveries (status, dedup_key, destination, id);
    CREATE INDEX IF NOT EXISTS delivery_deliveries_due
      ON delivery_deliveries (status, next_attempt_at);

    -- What was last sent per alert and destination: the dedup stage's notification log.
    CREATE TABLE IF NOT EXISTS delivery_notify_log (
      dedup_key TEXT NOT NULL,
      destination TEXT NOT NULL,
      last_state TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      vendor_ref TEXT,
      PRIMARY KEY (dedup_key, destination)
    );

    -- Alerts firing as seen in the outbox stream, for inhibition.
    CREATE TABLE IF NOT EXISTS delivery_firing (
      dedup_key TEXT PRIMARY KEY,
      monitor_id TEXT NOT NULL,
      since INTEGER NOT NULL
    );

    CREATE TABLE IF NOT EXISTS delivery_silences (
      id TEXT PRIMARY KEY,
      comment TEXT NOT NULL,
      created_by TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      starts_at INTEGER NOT NULL,
      ends_at INTEGER NOT NULL,
      matchers_json TEXT NOT NULL
    );

    CREATE TABLE IF NOT EXISTS delivery_webhook_ids (
      id TEXT PRIMARY KEY,
      received_at INTEGER NOT NULL
    );

    -- What the pruner looks for: rows past their retention, found by age without a table scan.
    CREATE INDEX IF NOT EXISTS delivery_deliveries_finished ON delivery_deliveries (updated_at) WHERE status <> 'pending';
    CREATE INDEX IF NOT EXISTS delivery_notify_log_resolved ON delivery_notify_log (sent_at) WHERE last_state = 'resolve';
    CREATE INDEX IF NOT EXISTS delivery_silences_ends ON delivery_silences (ends_at);
    CREATE INDEX IF NOT EXISTS delivery_webhook_ids_received ON delivery_webhook_ids (received_at);
  `);
}
