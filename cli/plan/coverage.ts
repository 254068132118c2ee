import type { OncallScheduleSpec } from "../../sdk/manifest/schema.js";
import { coverageGaps } from "../rules/coverage/gaps.js";

const WEEK_MS = 7 * 86_400_000;

/**
 * Hours without anyone on call in `[from, from + weeks)`. Uses the compiler's coverage rule (the
 * same rendering of layers, restrictions and time zones that `wk validate` reports gaps from), so
 * the plan's "coverage got worse" and validation's "uncovered" never disagree.
 */
export function uncoveredHours(schedule: OncallScheduleSpec, from: Date, weeks = 4): number {
  const start = from.getTime();
  const gaps = coverageGaps([schedule], start, start + weeks * WEEK_MS);
  return gaps.reduce((sum, gap) => sum + (gap.end - gap.start), 0) / 3_600_000;
}
