import type { Database, Statement } from "better-sqlite3";

/** The SQLite adapter's inbound webhook event ids (part of SqliteStore). */
export class SqliteWebhookIds {
  private readonly s: Record<string, Statement>;

  constructor(db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      seen: p(`SELECT 1 FROM delivery_webhook_ids WHERE id = ?`),
      insert: p(`INSERT OR IGNORE INTO delivery_webhook_ids (id, received_at) VALUES (?, ?)`),
      forget: p(`DELETE FROM delivery_webhook_ids WHERE id = ?`),
      prune: p(`DELETE FROM delivery_webhook_ids WHERE id IN (SELECT id FROM delivery_webhook_ids WHERE received_at < ? LIMIT ?)`),
    };
  }

  seen(id: string): boolean {
    return this.s.seen!.get(id) !== undefined;
  }

  firstTime(id: string, now: number): boolean {
    return this.s.insert!.run(id, now).changes > 0;
  }

  forget(id: string): void {
    this.s.forget!.run(id);
  }

  /** Ids received before `now - keepMs`. */
  prune(now: number, keepMs: number, limit: number): number {
    return this.s.prune!.run(now - keepMs, limit).changes;
  }
}
