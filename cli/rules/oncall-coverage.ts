import type { OncallScheduleSpec } from "../../sdk/manifest/schema.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { coverageGaps } from "./coverage/gaps.js";
import { formatZoned, isTimeZone } from "../../sdk/oncall/zoned-time.js";
import { cleanForTheDay, type RuleContext } from "./types.js";

/** How far ahead on-call coverage (and a layer about to end) is looked at. */
export const COVERAGE_WEEKS = 4;
const SHOWN_GAPS = 3;

/**
 * The first escalation step of every service must reach someone around the clock for the next
 * four weeks. A rule that names a user always reaches that user; a rule of schedules leaves a
 * gap where none of them has anyone on call. Gaps are shown in the schedule's time zone.
 */
export function oncallCoverage(ctx: RuleContext): Diagnostic[] {
  const from = ctx.now.getTime();
  const to = from + COVERAGE_WEEKS * 7 * 86_400_000;
  const policies = new Map(ctx.manifest.escalationPolicies.map((p) => [p.id, p]));
  const schedules = new Map(ctx.manifest.schedules.map((s) => [s.id, s]));
  const out: Diagnostic[] = [];
  for (const service of ctx.manifest.services) {
    const first = policies.get(service.escalationPolicy)?.rules[0];
    if (!first || first.targets.length === 0 || first.targets.some((t) => t.type === "user")) continue;
    const behind = first.targets.map((t) => schedules.get(t.id)).filter((s): s is OncallScheduleSpec => s !== undefined);
    // An unknown zone is valid-schedules' error; no shift can be placed in it.
    if (behind.length === 0 || behind.some((s) => !isTimeZone(s.timeZone))) continue;
    // A clean verdict is kept for the day, keyed by the schedules.
    const gaps = cleanForTheDay(ctx, "oncall-coverage", JSON.stringify(behind), to - from, (start, end) => coverageGaps(behind, start, end));
    if (gaps.length === 0) continue;
    const zone = behind[0]!.timeZone;
    const shown = gaps
      .slice(0, SHOWN_GAPS)
      .map((g) => `${formatZoned(g.start, zone)} to ${formatZoned(g.end, zone)}`)
      .join(", ");
    const more = gaps.length > SHOWN_GAPS ? ` and ${gaps.length - SHOWN_GAPS} more` : "";
    const names = behind.map((s) => `"${s.id}"`).join(" and ");
    out.push(
      diagnostic(
        "warning",
        "oncall-coverage",
        `service "${service.id}": schedule ${names} leaves nobody on call ${shown}${more} (${zone}, next ${COVERAGE_WEEKS} weeks)`,
        "add a layer or widen the restrictions to cover those hours, or add a user to the first escalation rule",
        ctx.locate(behind[0]!),
      ),
    );
  }
  return out;
}
