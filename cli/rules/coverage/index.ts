/**
 * On-call coverage, pure: render a schedule's layers into shifts and find the uncovered times.
 * Shared by the `oncall-coverage` rule and the planner.
 */
export { renderSchedule, layerShifts, union, type Shift, type Interval } from "../../../sdk/oncall/render.js";
export { coverageGaps, uncovered } from "./gaps.js";
export { formatZoned, isTimeZone, parseZonedDateTime, zonedInstant, zonedParts, offsetAt } from "../../../sdk/oncall/zoned-time.js";
