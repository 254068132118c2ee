import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import { nextFunction } from "../../runtime/scheduler/scheduler.js";

/** When a monitor that starts failing at an instant goes pending and fires, tick by tick. */
export interface AlertTiming {
  /** The instant asked about (--at): when the target breaks, the last heartbeat ping, the emergency press. */
  startedAt: number;
  /** When the check starts seeing the failure (for a heartbeat: once the last ping is too old). */
  failingFrom: number;
  /** The failing checks up to the one that makes the alert pending (failureThreshold of them). */
  failingChecks: number[];
  /** When the alert became pending; null when it fires at once (no `for`) or is raised by a person. */
  pendingAt: number | null;
  /** When the alert fires and the trigger is sent; null when the schedule never runs again. */
  firedAt: number | null;
  /** The tick after which the next is computed, for reminders. */
  next: (t: number) => number | null;
  /** How the alert is raised, in a sentence. */
  how: string;
}

/** Ticks walked at most before giving up (a `for` of a day at a 1s interval is 86,400). */
const MAX_TICKS = 200_000;

/**
 * The runtime's own schedule (`nextFunction`, with the same per-monitor spread offset) and alert
 * rules (failureThreshold consecutive failing ticks make it pending; it fires at the first tick at
 * least `for` after that), applied to a failure that begins at `start` and does not stop.
 */
export function alertTiming(monitor: MonitorSpec, start: number, spreadMs: number): AlertTiming {
  const next = nextFunction(monitor.id, monitor.schedule, spreadMs);
  if (monitor.check.kind === "manual") {
    return { startedAt: start, failingFrom: start, failingChecks: [], pendingAt: null, firedAt: start, next, how: "raised by a person on the emergency page: the trigger is queued at once" };
  }
  let failingFrom = start;
  let first: number | null;
  let how = `checked ${describeSchedule(monitor)}`;
  if (monitor.check.kind === "heartbeat") {
    // --at is the last ping: the check fails once the ping is older than every + grace.
    failingFrom = start + durationMs(monitor.check.every) + durationMs(monitor.check.grace);
    first = next(failingFrom);
    how = `last ping at --at; a ping is expected every ${monitor.check.every} + ${monitor.check.grace} grace; ${how}`;
  } else {
    first = next(start - 1);
  }
  const failingChecks: number[] = [];
  let t = first;
  for (let n = 1; t !== null; n++) {
    failingChecks.push(t);
    if (n >= monitor.failureThreshold) break;
    t = next(t);
  }
  if (t === null) return { startedAt: start, failingFrom, failingChecks, pendingAt: null, firedAt: null, next, how };
  const pendingAt = t;
  const forMs = durationMs(monitor.for);
  if (forMs <= 0) return { startedAt: start, failingFrom, failingChecks, pendingAt: null, firedAt: t, next, how };
  let fire: number | null = t;
  for (let i = 0; fire !== null && fire - pendingAt < forMs && i < MAX_TICKS; i++) fire = next(fire);
  return { startedAt: start, failingFrom, failingChecks, pendingAt, firedAt: fire !== null && fire - pendingAt >= forMs ? fire : null, next, how };
}

function describeSchedule(monitor: MonitorSpec): string {
  const s = monitor.schedule;
  return s.kind === "every" ? `every ${s.every}` : `on cron "${s.expression}" (${s.timezone})`;
}
