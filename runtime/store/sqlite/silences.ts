import { randomUUID } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import type { NewSilence, Silence, SilenceRecord } from "../../notify/silences.js";
import type { RetentionMs } from "../retention.js";
import { parseStoredMatchers } from "../stored-silence.js";

interface SilenceRow {
  id: string;
  comment: string;
  created_by: string;
  starts_at: number;
  ends_at: number;
  matchers_json: string;
}

interface RecordRow extends SilenceRow {
  created_at: number;
  expired_at: number | null;
  expired_by: string | null;
}

/**
 * The SQLite adapter's API silences and their durable records (part of SqliteStore): a silence
 * and its record are written in one transaction, and the record outlives the silence's pruning.
 */
export class SqliteSilences {
  private readonly s: Record<string, Statement>;

  constructor(
    private readonly db: Database,
    /** Told the id of a silence whose matchers cannot be read (a row edited by hand). */
    private readonly onGarbage: (id: string) => void = () => undefined,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO delivery_silences (id, comment, created_by, created_at, starts_at, ends_at, matchers_json) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      expire: p(`UPDATE delivery_silences SET ends_at = MIN(ends_at, ?) WHERE id = ?`),
      current: p(`SELECT * FROM delivery_silences WHERE ends_at > ? ORDER BY created_at, id`),
      byId: p(`SELECT * FROM delivery_silences WHERE id = ?`),
      prune: p(`DELETE FROM delivery_silences WHERE id IN (SELECT id FROM delivery_silences WHERE ends_at < ? LIMIT ?)`),
      record: p(`INSERT INTO silence_records (id, comment, created_by, created_at, starts_at, ends_at, matchers_json) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      // Only an expiry that ends it early names who: a second expiry of an ended silence changes nothing.
      recordExpiry: p(`UPDATE silence_records SET ends_at = ?, expired_at = ?, expired_by = ? WHERE id = ? AND ends_at > ?`),
      records: p(`SELECT * FROM silence_records WHERE ends_at > ? AND starts_at < ? ORDER BY created_at, id`),
      pruneRecords: p(`DELETE FROM silence_records WHERE id IN (SELECT id FROM silence_records WHERE ends_at < ? LIMIT ?)`),
    };
  }

  add(input: NewSilence, now: number): Silence {
    const id = `api-${randomUUID()}`;
    const matchers = JSON.stringify(input.matchers);
    this.db.transaction(() => {
      this.s.insert!.run(id, input.comment, input.createdBy, now, input.startsAt, input.endsAt, matchers);
      this.s.record!.run(id, input.comment, input.createdBy, now, input.startsAt, input.endsAt, matchers);
    })();
    return { id, kind: "silence", origin: "api", ...input };
  }

  expire(id: string, now: number, expiredBy: string | null): boolean {
    return this.db.transaction(() => {
      const found = this.s.expire!.run(now, id).changes > 0;
      if (found) this.s.recordExpiry!.run(now, now, expiredBy, id, now);
      return found;
    })();
  }

  records(since: number, until: number): SilenceRecord[] {
    return (this.s.records!.all(since, until) as RecordRow[]).flatMap((r) => {
      const silence = this.toSilence(r);
      return silence ? [{ ...silence, createdAt: r.created_at, expiredAt: r.expired_at, expiredBy: r.expired_by }] : [];
    });
  }

  current(now: number): Silence[] {
    return (this.s.current!.all(now) as SilenceRow[]).flatMap((r) => this.toSilence(r) ?? []);
  }

  byId(id: string): Silence | null {
    const row = this.s.byId!.get(id) as SilenceRow | undefined;
    return row ? this.toSilence(row) : null;
  }

  /** A row as a silence; one whose matchers are not what Watchkeeper wrote mutes nothing and is named. */
  private toSilence(r: SilenceRow): Silence | null {
    const matchers = parseStoredMatchers(r.matchers_json);
    if (matchers === null) {
      this.onGarbage(r.id);
      return null;
    }
    return { id: r.id, kind: "silence", origin: "api", comment: r.comment, createdBy: r.created_by, startsAt: r.starts_at, endsAt: r.ends_at, matchers };
  }

  /**
   * API silences that ended more than `silences` ago (manifest silences live in the manifest), and
   * records of silences that ended more than `resolvedAlerts` ago: as long as the alerts they muted.
   */
  prune(now: number, retention: RetentionMs, limit: number): number {
    return this.s.prune!.run(now - retention.silences, limit).changes + this.s.pruneRecords!.run(now - retention.resolvedAlerts, limit).changes;
  }
}

