import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * Schedules that no escalation policy names, and escalation policies that no service uses: they
 * are provisioned in PagerDuty but page nobody through this project, and the people on them may
 * believe they are covering something. A notice, not a warning: a policy kept for manual
 * reassignment, or one staged for a service in the next pull request, is legitimate.
 */
export function unusedOncall(ctx: RuleContext): Diagnostic[] {
  const targeted = new Set(ctx.manifest.escalationPolicies.flatMap((p) => p.rules.flatMap((r) => r.targets.filter((t) => t.type === "schedule").map((t) => t.id))));
  const used = new Set(ctx.manifest.services.map((s) => s.escalationPolicy));
  const out: Diagnostic[] = [];
  for (const schedule of ctx.manifest.schedules) {
    if (targeted.has(schedule.id)) continue;
    out.push(
      diagnostic("notice", "unused-oncall", `schedule "${schedule.id}" is in no escalation policy, so nobody on it is ever paged`, "add it to a policy's rule (targets: [...]), or delete it", ctx.locate(schedule)),
    );
  }
  for (const policy of ctx.manifest.escalationPolicies) {
    if (used.has(policy.id)) continue;
    out.push(
      diagnostic("notice", "unused-oncall", `escalation policy "${policy.id}" is used by no service, so no alert ever follows it`, "set it as a service's escalationPolicy, or delete it", ctx.locate(policy)),
    );
  }
  return out;
}
