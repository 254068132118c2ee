import type { OncallScheduleSpec } from "../../../sdk/manifest/schema.js";
import { renderSchedule, union, type Interval } from "../../../sdk/oncall/render.js";

/** Gaps shorter than this come from rounding at restriction edges, not from a missing person. */
const MIN_GAP_MS = 60_000;

/** The parts of [from, to) that no shift covers. */
export function uncovered(covered: Interval[], from: number, to: number): Interval[] {
  const gaps: Interval[] = [];
  let t = from;
  for (const c of union(covered)) {
    if (c.end <= t) continue;
    if (c.start >= to) break;
    if (c.start > t) gaps.push({ start: t, end: c.start });
    t = Math.max(t, c.end);
  }
  if (t < to) gaps.push({ start: t, end: to });
  return gaps.filter((g) => g.end - g.start >= MIN_GAP_MS);
}

/**
 * Times in [from, to) when none of the given schedules has anyone on call: together they are
 * the first escalation step, so one schedule covering a moment is enough.
 */
export function coverageGaps(schedules: OncallScheduleSpec[], from: number, to: number): Interval[] {
  return uncovered(
    schedules.flatMap((s) => renderSchedule(s, from, to)),
    from,
    to,
  );
}
