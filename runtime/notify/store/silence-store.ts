import { randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { Manifest } from "../../../sdk/manifest/schema.js";
import type { Prunable, RetentionMs } from "../../store/retention.js";
import { migrateDeliveryTables } from "./schema.js";

/** What a silence matches; an empty list or map places no constraint. */
export interface SilenceMatchers {
  monitors: string[];
  services: string[];
  labels: Record<string, string>;
}

/** A silence or maintenance window, from the manifest or added through `/api/silences`. */
export interface Silence {
  id: string;
  kind: "silence" | "maintenance";
  origin: "manifest" | "api";
  comment: string;
  createdBy: string;
  startsAt: number;
  endsAt: number;
  matchers: SilenceMatchers;
}

interface SilenceRow {
  id: string;
  comment: string;
  created_by: string;
  created_at: number;
  starts_at: number;
  ends_at: number;
  matchers_json: string;
}

/** Manifest silences (read-only) plus API silences kept in SQLite; expiring an API silence ends it now. */
export class SilenceStore implements Prunable {
  private readonly fromManifest: Silence[];

  constructor(
    private readonly db: Database,
    manifest: Manifest,
  ) {
    migrateDeliveryTables(db);
    this.fromManifest = manifest.silences.map((s) => ({
      id: s.id,
      kind: s.kind,
      origin: "manifest" as const,
      comment: s.comment,
      createdBy: s.source,
      startsAt: Date.parse(s.start),
      endsAt: Date.parse(s.end),
      matchers: s.matchers,
    }));
  }

  /** Silences in effect at `now`. */
  active(now: number): Silence[] {
    return this.all().filter((s) => s.startsAt <= now && now < s.endsAt);
  }

  /** Every silence that has not ended by `now` (active and scheduled). */
  current(now: number): Silence[] {
    return this.all().filter((s) => now < s.endsAt);
  }

  get(id: string): Silence | null {
    return this.all().find((s) => s.id === id) ?? null;
  }

  add(input: { comment: string; createdBy: string; startsAt: number; endsAt: number; matchers: SilenceMatchers }, now: number): Silence {
    const id = `api-${randomUUID()}`;
    this.db
      .prepare(
        `INSERT INTO delivery_silences (id, comment, created_by, created_at, starts_at, ends_at, matchers_json)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, input.comment, input.createdBy, now, input.startsAt, input.endsAt, JSON.stringify(input.matchers));
    return { id, kind: "silence", origin: "api", ...input };
  }

  /** Ends an API silence now; false when there is no such API silence. */
  expire(id: string, now: number): boolean {
    const result = this.db.prepare(`UPDATE delivery_silences SET ends_at = MIN(ends_at, ?) WHERE id = ?`).run(now, id);
    return result.changes > 0;
  }

  /** Deletes API silences that ended more than `silences` ago; manifest silences live in the manifest. */
  prune(now: number, retention: RetentionMs, limit: number): number {
    return this.db
      .prepare(`DELETE FROM delivery_silences WHERE id IN (SELECT id FROM delivery_silences WHERE ends_at < ? LIMIT ?)`)
      .run(now - retention.silences, limit).changes;
  }

  private all(): Silence[] {
    const rows = this.db.prepare(`SELECT * FROM delivery_silences`).all() as SilenceRow[];
    const fromApi = rows.map((r) => ({
      id: r.id,
      kind: "silence" as const,
      origin: "api" as const,
      comment: r.comment,
      createdBy: r.created_by,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      matchers: JSON.parse(r.matchers_json) as SilenceMatchers,
    }));
    return [...this.fromManifest, ...fromApi];
  }
}

/** Whether a silence covers an alert of this monitor (with its service and labels). */
export function silenceMatches(
  matchers: SilenceMatchers,
  alert: { monitorId: string; serviceId: string | null; labels: Record<string, string> },
): boolean {
  if (matchers.monitors.length > 0 && !matchers.monitors.includes(alert.monitorId)) return false;
  if (matchers.services.length > 0 && (alert.serviceId === null || !matchers.services.includes(alert.serviceId))) return false;
  for (const [name, value] of Object.entries(matchers.labels)) {
    if (alert.labels[name] !== value) return false;
  }
  return true;
}
