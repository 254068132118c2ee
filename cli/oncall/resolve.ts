import type { OncallScheduleSpec } from "../../sdk/manifest/schema.js";
import { renderSchedule, type Shift } from "../../sdk/oncall/render.js";
import type { OncallDirectory } from "./directory.js";

const DAY = 86_400_000;
/** How far either side of an instant a shift is followed to find where it began and ends. */
const SHIFT_SPAN = 35 * DAY;

/** Who a schedule has on call at an instant, and the shift they are in. */
export interface OnCall {
  user: string;
  /** Index and name of the layer that put them there (later layers override earlier ones). */
  layer: number;
  layerName: string;
  /** When this person's shift began and ends, looked for up to 35 days either side. */
  since: number;
  until: number;
}

/**
 * Who schedule `schedule` has on call at `at`, or null when nobody is: PagerDuty's final
 * schedule, rendered by the same code as the coverage rule (layers, restrictions, hand-offs,
 * the schedule's own time zone and its daylight-saving changes).
 */
export function onCallAt(schedule: OncallScheduleSpec, at: number): OnCall | null {
  const shifts = renderSchedule(schedule, at - SHIFT_SPAN, at + SHIFT_SPAN);
  const i = shifts.findIndex((s) => s.start <= at && at < s.end);
  if (i < 0) return null;
  const own = shifts[i]!;
  // One person's time on call can be cut where another layer's shift of the same person meets it.
  let since = own.start;
  for (let j = i - 1; j >= 0 && shifts[j]!.user === own.user && shifts[j]!.end === since; j--) since = shifts[j]!.start;
  let until = own.end;
  for (let j = i + 1; j < shifts.length && shifts[j]!.user === own.user && shifts[j]!.start === until; j++) until = shifts[j]!.end;
  return { user: own.user, layer: own.layer, layerName: schedule.layers[own.layer]?.name ?? `layer ${own.layer + 1}`, since, until };
}

/** Every shift of a schedule in [from, to), with adjacent shifts of one person joined. */
export function shiftsBetween(schedule: OncallScheduleSpec, from: number, to: number): Shift[] {
  const out: Shift[] = [];
  for (const s of renderSchedule(schedule, from, to)) {
    const last = out[out.length - 1];
    if (last && last.user === s.user && last.end === s.start) last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}

/** One target of an escalation rule, resolved at an instant. */
export interface ResolvedTarget {
  type: "user" | "schedule";
  id: string;
  /** The person it reaches then; null for a schedule with nobody on call (or one not in the manifest). */
  user: string | null;
  /** For a schedule: the layer the person is on, and when their shift ends. */
  layer: string | null;
  until: number | null;
}

/** The people an escalation rule's targets reach at `at`: users always, schedules whoever is on call. */
export function resolveTargets(targets: ReadonlyArray<{ type: "user" | "schedule"; id: string }>, directory: OncallDirectory, at: number): ResolvedTarget[] {
  return targets.map((t) => {
    if (t.type === "user") return { type: "user", id: t.id, user: t.id, layer: null, until: null };
    const schedule = directory.schedules.get(t.id);
    const who = schedule ? onCallAt(schedule, at) : null;
    return { type: "schedule", id: t.id, user: who?.user ?? null, layer: who?.layerName ?? null, until: who?.until ?? null };
  });
}

/** Distinct people in resolved targets, in target order. */
export function peopleOf(targets: ResolvedTarget[]): string[] {
  return [...new Set(targets.flatMap((t) => (t.user === null ? [] : [t.user])))];
}
