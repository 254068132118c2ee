import { randomUUID } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import type { NewSilence, Silence, SilenceMatchers } from "../../notify/silences.js";
import type { RetentionMs } from "../retention.js";

interface SilenceRow {
  id: string;
  comment: string;
  created_by: string;
  starts_at: number;
  ends_at: number;
  matchers_json: string;
}

/** The SQLite adapter's API silences (part of SqliteStore). */
export class SqliteSilences {
  private readonly s: Record<string, Statement>;

  constructor(db: Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO delivery_silences (id, comment, created_by, created_at, starts_at, ends_at, matchers_json) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      expire: p(`UPDATE delivery_silences SET ends_at = MIN(ends_at, ?) WHERE id = ?`),
      current: p(`SELECT * FROM delivery_silences WHERE ends_at > ? ORDER BY created_at, id`),
      byId: p(`SELECT * FROM delivery_silences WHERE id = ?`),
      prune: p(`DELETE FROM delivery_silences WHERE id IN (SELECT id FROM delivery_silences WHERE ends_at < ? LIMIT ?)`),
    };
  }

  add(input: NewSilence, now: number): Silence {
    const id = `api-${randomUUID()}`;
    this.s.insert!.run(id, input.comment, input.createdBy, now, input.startsAt, input.endsAt, JSON.stringify(input.matchers));
    return { id, kind: "silence", origin: "api", ...input };
  }

  expire(id: string, now: number): boolean {
    return this.s.expire!.run(now, id).changes > 0;
  }

  current(now: number): Silence[] {
    return (this.s.current!.all(now) as SilenceRow[]).map(toSilence);
  }

  byId(id: string): Silence | null {
    const row = this.s.byId!.get(id) as SilenceRow | undefined;
    return row ? toSilence(row) : null;
  }

  /** API silences that ended more than `silences` ago; manifest silences live in the manifest. */
  prune(now: number, retention: RetentionMs, limit: number): number {
    return this.s.prune!.run(now - retention.silences, limit).changes;
  }
}

function toSilence(r: SilenceRow): Silence {
  return {
    id: r.id,
    kind: "silence",
    origin: "api",
    comment: r.comment,
    createdBy: r.created_by,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    matchers: JSON.parse(r.matchers_json) as SilenceMatchers,
  };
}
