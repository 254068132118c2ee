/**
 * How a schedule renders into shifts, as PagerDuty draws it: shared by the compiler's coverage rule
 * and the runtime's postmortem drafts (who was on call when an alert fired).
 */
import { durationMs } from "../duration.js";
import type { OncallScheduleSpec, ScheduleLayerSpec } from "../manifest/schema.js";
import { parseZonedDateTime, zonedInstant, zonedParts } from "./zoned-time.js";

/** Who is on call from `start` to `end` (ms since epoch). */
export interface Shift {
  start: number;
  end: number;
  user: string;
  /** Index of the layer that put this user on call. */
  layer: number;
}

export interface Interval {
  start: number;
  end: number;
}

const DAY = 86_400_000;

/**
 * The final on-call timeline of a schedule over [from, to), as PagerDuty renders it: each layer
 * rotates its users in turns counted from the hand-off, limited by its restrictions in the
 * schedule's time zone; a later layer (drawn above) overrides the ones before it where it is on.
 */
export function renderSchedule(schedule: OncallScheduleSpec, from: number, to: number): Shift[] {
  let taken: Interval[] = [];
  const shifts: Shift[] = [];
  for (let i = schedule.layers.length - 1; i >= 0; i--) {
    const own = layerShifts(schedule.layers[i]!, i, schedule.timeZone, from, to);
    for (const segment of own) {
      for (const piece of subtract(segment, taken)) shifts.push({ ...segment, ...piece });
    }
    taken = union([...taken, ...own]);
  }
  return mergeShifts(shifts.sort((a, b) => a.start - b.start));
}

/** One layer's own shifts (before other layers override it). */
export function layerShifts(layer: ScheduleLayerSpec, index: number, timeZone: string, from: number, to: number): Shift[] {
  const layerStart = parseZonedDateTime(layer.start, timeZone);
  const layerEnd = layer.end === null ? to : parseZonedDateTime(layer.end, timeZone);
  const handoff = parseZonedDateTime(layer.rotationVirtualStart, timeZone) ?? layerStart;
  if (layerStart === undefined || layerEnd === undefined || handoff === undefined || layer.users.length === 0) return [];
  const active: Interval = { start: Math.max(from, layerStart), end: Math.min(to, layerEnd) };
  if (active.end <= active.start) return [];
  const windows = layer.restrictions.length === 0 ? [active] : restrictionWindows(layer, timeZone, active);
  const turnStart = turnStarts(handoff, durationMs(layer.rotationTurnLength), timeZone);
  const out: Shift[] = [];
  for (const w of windows) {
    let t = w.start;
    while (t < w.end) {
      const k = turnAt(turnStart, t);
      const end = Math.min(w.end, turnStart(k + 1));
      const n = layer.users.length;
      out.push({ start: t, end, user: layer.users[((k % n) + n) % n]!, layer: index });
      t = end;
    }
  }
  return out;
}

/**
 * When turn k of a rotation begins. Turns of whole days hand off at the hand-off's wall-clock
 * time in the schedule's zone, as PagerDuty's do: across a daylight-saving change a daily or
 * weekly hand-off stays at 09:00, and the turn that spans the change is an hour shorter or longer.
 * Other turn lengths (8h, 12h) are fixed spans of time.
 */
function turnStarts(handoff: number, turn: number, timeZone: string): (k: number) => number {
  if (turn % DAY !== 0) return (k) => handoff + k * turn;
  const days = turn / DAY;
  const h = zonedParts(handoff, timeZone);
  // turnAt asks for the same few turns for every window of the layer: each is worked out once.
  const known = new Map<number, number>();
  return (k) => {
    let at = known.get(k);
    if (at === undefined) known.set(k, (at = zonedInstant(h.year, h.month, h.day + k * days, h.hour, h.minute, h.second, timeZone)));
    return at;
  };
}

/** The turn that `t` falls in. */
function turnAt(turnStart: (k: number) => number, t: number): number {
  // The fixed-length estimate is off by at most one turn (a DST change moves a boundary by an hour).
  const first = turnStart(0);
  const length = turnStart(1) - first;
  let k = Math.floor((t - first) / length);
  while (turnStart(k) > t) k--;
  while (turnStart(k + 1) <= t) k++;
  return k;
}

/** The times a layer's restrictions allow inside `active`, merged. */
function restrictionWindows(layer: ScheduleLayerSpec, timeZone: string, active: Interval): Interval[] {
  const windows: Interval[] = [];
  const restrictions = layer.restrictions.map((r) => ({ r, time: r.startTimeOfDay.split(":").map(Number) as [number, number, number], length: durationMs(r.duration) }));
  // Start a week early: a weekly restriction that began last week may still be running. The walk
  // goes by calendar date in the zone, not by 24 hours: a spring-forward day is 23 hours long, and
  // stepping a day's worth of time from 23:30 would skip it.
  const first = zonedParts(active.start - 8 * DAY, timeZone);
  for (let d = 0; ; d++) {
    const date = new Date(Date.UTC(first.year, first.month - 1, first.day + d));
    // No zone is more than 14 hours ahead of UTC: a date whose midnight comes after the end has no window.
    if (date.getTime() - 14 * 3_600_000 >= active.end) break;
    const p = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), weekday: ((date.getUTCDay() + 6) % 7) + 1 };
    for (const { r, time, length } of restrictions) {
      if (r.type === "weekly_restriction" && r.startDayOfWeek !== p.weekday) continue;
      const [h, m, s] = time;
      const start = zonedInstant(p.year, p.month, p.day, h, m, s, timeZone);
      const end = start + length;
      const clipped = { start: Math.max(start, active.start), end: Math.min(end, active.end) };
      if (clipped.end > clipped.start) windows.push(clipped);
    }
  }
  return union(windows);
}

/** Sorted, non-overlapping union of intervals. */
export function union(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** The parts of `segment` outside `taken` (sorted, non-overlapping). */
function subtract(segment: Interval, taken: Interval[]): Interval[] {
  // Binary search for the first taken interval that ends after the segment starts.
  let lo = 0;
  let hi = taken.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (taken[mid]!.end <= segment.start) lo = mid + 1;
    else hi = mid;
  }
  const pieces: Interval[] = [];
  let t = segment.start;
  for (let i = lo; i < taken.length && taken[i]!.start < segment.end; i++) {
    if (taken[i]!.start > t) pieces.push({ start: t, end: taken[i]!.start });
    t = Math.max(t, taken[i]!.end);
  }
  if (t < segment.end) pieces.push({ start: t, end: segment.end });
  return pieces;
}

function mergeShifts(shifts: Shift[]): Shift[] {
  const out: Shift[] = [];
  for (const s of shifts) {
    const last = out[out.length - 1];
    if (last && last.user === s.user && last.layer === s.layer && last.end === s.start) last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}
