import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { formatZoned, isTimeZone, parseZonedDateTime } from "../../sdk/oncall/zoned-time.js";
import { COVERAGE_WEEKS } from "./oncall-coverage.js";
import type { OncallScheduleSpec } from "../../sdk/manifest/schema.js";
import { cleanForTheDay, type RuleContext } from "./types.js";

const DAY = 86_400_000;

/**
 * A schedule layer whose `end` falls within the coverage window with no newer layer taking over
 * from then on: its people stop being on call on a date someone wrote once and may have
 * forgotten. A layer that ends where a newer layer starts (how a rotation is changed going
 * forward) is fine; an older layer left underneath does not count as taking over. A warning,
 * with the date in the schedule's zone.
 */
export function endingLayer(ctx: RuleContext): Diagnostic[] {
  const now = ctx.now.getTime();
  const horizon = now + COVERAGE_WEEKS * 7 * DAY;
  const out: Diagnostic[] = [];
  for (const schedule of ctx.manifest.schedules) {
    const zone = schedule.timeZone;
    // An unknown zone is valid-schedules' error; nothing can be placed in it.
    if (!isTimeZone(zone)) continue;
    // A clean verdict is kept for the day, keyed by the schedule's entry.
    const ending = cleanForTheDay(ctx, "ending-layer", ctx.hashes?.entry(schedule), horizon - now, (from, to) => endingLayers(schedule, from, to));
    for (const { layer, index, end } of ending) {
      const days = Math.max(0, Math.ceil((end - now) / DAY));
      out.push(
        diagnostic(
          "warning",
          "ending-layer",
          `schedule "${schedule.id}": layer "${layer.name || `layer ${index + 1}`}" ends ${formatZoned(end, zone)} (in ${days} day${days === 1 ? "" : "s"}, ${zone}) and no other layer takes over`,
          "move its end later or remove it, or add the layer that continues the rotation from that date",
          ctx.locate(schedule),
        ),
      );
    }
  }
  return out;
}

/** The layers of a schedule that end in [from, to) with no newer layer taking over. */
function endingLayers(schedule: OncallScheduleSpec, from: number, to: number): { layer: OncallScheduleSpec["layers"][number]; index: number; end: number }[] {
  const zone = schedule.timeZone;
  const spans = schedule.layers.map((l) => ({
    layer: l,
    start: parseZonedDateTime(l.start, zone),
    end: l.end === null ? Infinity : parseZonedDateTime(l.end, zone),
  }));
  const found: { layer: OncallScheduleSpec["layers"][number]; index: number; end: number }[] = [];
  spans.forEach((span, i) => {
    if (span.end === undefined || span.end === Infinity || span.end < from || span.end >= to) return;
    const end = span.end;
    // Taken over: a layer that began after this one did (a newer rotation) and runs on past its end.
    const replaced = spans.some(
      (other, j) => j !== i && other.start !== undefined && span.start !== undefined && other.start > span.start && other.start <= end && other.end !== undefined && other.end > end,
    );
    if (!replaced) found.push({ layer: span.layer, index: i, end });
  });
  return found;
}
