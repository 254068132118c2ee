import { createHash } from "node:crypto";
import type { RepeatOptions } from "bullmq";
import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { normaliseCron } from "../scheduler/cron.js";
import { nextFunction } from "../scheduler/scheduler.js";

/** The queue of monitors that run anywhere; monitors with `locations` run on `checks-at-{location}`. */
export const ANYWHERE_QUEUE = "checks";

/** The queue only replicas running `manifest` read: ticks other replicas could not run go there. */
export function handoffQueue(queue: string, manifest: string): string {
  return `${queue}--m-${manifest.replace(/[^A-Za-z0-9]/g, "").slice(-16)}`;
}

export function locationQueue(location: string): string {
  return `checks-at-${location}`;
}

/** Where a monitor's ticks run: one queue, or one per location it names. */
export function queuesOf(monitor: MonitorSpec): string[] {
  const locations = locationsOf(monitor);
  return locations.length === 0 ? [ANYWHERE_QUEUE] : locations.map(locationQueue);
}

export function locationsOf(monitor: MonitorSpec): string[] {
  return (monitor as MonitorSpec & { locations?: string[] }).locations ?? [];
}

/**
 * What a job carries so that any replica can tell whether it may run it: the monitor, the
 * manifest that scheduled it, and the fingerprint of the monitor's spec in that manifest.
 */
export interface TickJobData {
  monitorId: string;
  manifest: string;
  spec: string;
  location: string | null;
  /** Set on a tick handed to the replicas of the manifest that scheduled it (its id is not a scheduler's). */
  scheduledAt?: number;
}

/** A monitor's spec fingerprint: replicas whose manifests differ still run monitors they agree on. */
export function specFingerprint(monitor: MonitorSpec): string {
  return createHash("sha256").update(JSON.stringify(monitor)).digest("hex").slice(0, 16);
}

/**
 * The BullMQ repeat options of a schedule. `every` starts at the epoch-aligned slot plus the
 * monitor's spread offset (as the embedded scheduler does), so every replica and every location
 * computes the same tick times; cron patterns are computed by `cronStrategy` with croner, so a
 * schedule means the same in both modes (Quartz `?`, 6 fields, time zones, nicknames).
 */
export function repeatOf(monitor: MonitorSpec, spreadMs: number, now: number): Omit<RepeatOptions, "key"> {
  const s = monitor.schedule;
  if (s.kind === "every") {
    const first = nextFunction(monitor.id, s, spreadMs)(now)!;
    return { every: Math.max(1, durationMs(s.every)), startDate: first };
  }
  return { pattern: normaliseCron(s.expression), tz: s.timezone };
}

/**
 * Whether a job scheduler's next run (`next`, from Redis) lies further ahead than the monitor's
 * schedule allows at `now`: later than the occurrence after next, plus the clock agreement's
 * margin. A replica whose machine clock ran ahead made it so, and BullMQ's upsert keeps the next
 * run it finds, so without a fresh scheduler nothing would check the monitor until that time.
 */
export function scheduledTooFarAhead(monitor: MonitorSpec, spreadMs: number, now: number, next: number, marginMs: number): boolean {
  const following = nextFunction(monitor.id, monitor.schedule, spreadMs);
  const first = following(now);
  if (first === null) return false;
  return next > (following(first) ?? first) + marginMs;
}

/** BullMQ's repeatStrategy for cron patterns: croner plus the monitor's spread offset (jobs are named by monitor id). */
export function cronStrategy(spreadMs: number): (millis: number, opts: RepeatOptions, name?: string) => number | undefined {
  const cache = new Map<string, (t: number) => number | null>();
  return (millis, opts, name) => {
    if (!opts.pattern) return undefined;
    const key = `${name ?? ""}\n${opts.pattern}\n${opts.tz ?? "UTC"}`;
    let next = cache.get(key);
    if (!next) {
      next = nextFunction(name ?? "", { kind: "cron", expression: opts.pattern, timezone: opts.tz ?? "UTC" }, spreadMs);
      cache.set(key, next);
    }
    return next(millis) ?? undefined;
  };
}

/** The tick time of a scheduler job, from its id `repeat:{scheduler}:{millis}`. */
export function scheduledAtOf(jobId: string | undefined, fallback: number): number {
  const millis = Number(jobId?.slice(jobId.lastIndexOf(":") + 1));
  return Number.isFinite(millis) && millis > 0 ? millis : fallback;
}
