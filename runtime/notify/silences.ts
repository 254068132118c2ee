import type { Manifest } from "../../sdk/manifest/schema.js";
import type { Awaitable } from "../awaitable.js";

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

export interface NewSilence {
  comment: string;
  createdBy: string;
  startsAt: number;
  endsAt: number;
  matchers: SilenceMatchers;
}

/** A silence as its durable record keeps it: when it was made, and who ended it early. */
export interface SilenceRecord extends Silence {
  createdAt: number;
  /** When someone expired it before its end; null while it runs or when it ran its course. */
  expiredAt: number | null;
  /** Who expired it, as the request named them; null when nobody expired it. */
  expiredBy: string | null;
}

/** The silences added through the API, as the store keeps them. */
export interface SilenceLog {
  addSilence(input: NewSilence, now: number): Awaitable<Silence>;
  /** Ends a stored silence now (never later than it would have), recording who; false when there is no such silence. */
  expireSilence(id: string, now: number, expiredBy?: string | null): Awaitable<boolean>;
  /** Stored silences that have not ended by `now`. */
  currentSilences(now: number): Awaitable<Silence[]>;
  silenceById(id: string): Awaitable<Silence | null>;
}

/**
 * Every API silence's record (created, by whom, matchers, reason, its end and who expired it),
 * written with the silence and kept as long as alert history (`retention.resolvedAlerts` after it
 * ended), long after the silence itself is pruned: postmortem drafts ask what was in force then.
 */
export interface SilenceRecords {
  /** Recorded silences in force at some moment of [since, until), oldest first. */
  silenceRecords(since: number, until: number): Awaitable<SilenceRecord[]>;
}

/** Manifest silences (read-only) plus API silences from the store; expiring an API silence ends it now. */
export class Silences {
  private readonly fromManifest: Silence[];

  constructor(
    private readonly log: SilenceLog,
    manifest: Manifest,
  ) {
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
  async active(now: number): Promise<Silence[]> {
    return (await this.current(now)).filter((s) => s.startsAt <= now);
  }

  /** Every silence that has not ended by `now` (active and scheduled). */
  async current(now: number): Promise<Silence[]> {
    return [...this.fromManifest.filter((s) => now < s.endsAt), ...(await this.log.currentSilences(now))];
  }

  async get(id: string): Promise<Silence | null> {
    return this.fromManifest.find((s) => s.id === id) ?? (await this.log.silenceById(id));
  }

  async add(input: NewSilence, now: number): Promise<Silence> {
    return this.log.addSilence(input, now);
  }

  /** Ends an API silence now; false when there is no such API silence. */
  async expire(id: string, now: number, expiredBy: string | null = null): Promise<boolean> {
    if (this.fromManifest.some((s) => s.id === id)) return false;
    return this.log.expireSilence(id, now, expiredBy);
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
