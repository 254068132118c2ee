import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * An escalation policy with one rule and no loops notifies its people once: if they sleep through
 * it, nobody else hears of the incident and it is never tried again. A warning: add a backup rule,
 * or at least let the policy repeat.
 */
export function singleRulePolicy(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.escalationPolicies
    .filter((p) => p.rules.length === 1 && p.loops === 0)
    .map((p) =>
      diagnostic(
        "warning",
        "single-rule-policy",
        `escalation policy "${p.id}" has one rule and no loops: when nobody acknowledges, nobody else is notified and it never repeats`,
        "add a second rule with a backup (a secondary schedule or a manager), or set loops: 1 (up to 9) to repeat",
        ctx.locate(p),
      ),
    );
}
