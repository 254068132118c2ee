import type { EscalationPolicySpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import type { OncallDirectory } from "./directory.js";
import { peopleOf, resolveTargets, type ResolvedTarget } from "./resolve.js";

/** One escalation rule holding an incident, from when it reached the rule until it moves on. */
export interface EscalationStep {
  /** 0 for the first time through the rules; 1.. for each repeat (`loops`). */
  pass: number;
  /** Index of the rule in the policy (0-based). */
  rule: number;
  at: number;
  /** The targets resolved when the incident reached the rule (a hand-off later does not reassign). */
  targets: ResolvedTarget[];
  /** Distinct people notified; empty when the rule had nobody on call and was skipped at once. */
  people: string[];
  /** When the incident tries the next rule (at once for a rule that reached nobody); null after the last rule, or at low urgency. */
  escalatesAt: number | null;
}

export interface Escalation {
  policy: string;
  steps: EscalationStep[];
  /** True when no rule reached anyone when it was tried: the incident is assigned to nobody. */
  nobodyReached: boolean;
  /** When the last rule of the last pass ran out: nobody new is notified after it. Null when not reached (acknowledged first, low urgency). */
  exhaustedAt: number | null;
}

export interface EscalateOptions {
  /** Stop walking at this instant (an acknowledgement); steps that would start at or after it are left out. */
  until?: number;
  /** Low-urgency incidents do not escalate (PagerDuty): they stay with the first rule that reaches someone. */
  escalates?: boolean;
}

/**
 * Walks an escalation policy from an incident opened at `start`, as PagerDuty does: the incident
 * goes to the first rule's targets (schedules resolved to whoever is on call at that instant); a
 * rule whose targets reach nobody is skipped at once; unacknowledged after the rule's delay it
 * moves to the next rule; after the last rule it starts over, `loops` times; after the last pass
 * it stays with the people of the last rule that reached someone.
 */
export function escalate(policy: EscalationPolicySpec, directory: OncallDirectory, start: number, options: EscalateOptions = {}): Escalation {
  const until = options.until ?? Infinity;
  const escalates = options.escalates ?? true;
  const steps: EscalationStep[] = [];
  const passes = Math.max(0, policy.loops) + 1;
  let at = start;
  let exhaustedAt: number | null = null;
  walk: for (let pass = 0; pass < passes; pass++) {
    let reachedInPass = false;
    for (let rule = 0; rule < policy.rules.length; rule++) {
      if (at >= until && steps.length > 0) break walk;
      const spec = policy.rules[rule]!;
      const targets = resolveTargets(spec.targets, directory, at);
      const people = peopleOf(targets);
      const final = pass === passes - 1 && rule === policy.rules.length - 1;
      if (people.length === 0) {
        steps.push({ pass, rule, at, targets, people, escalatesAt: final ? null : at });
        if (final) exhaustedAt = at;
        continue;
      }
      reachedInPass = true;
      if (!escalates) {
        steps.push({ pass, rule, at, targets, people, escalatesAt: null });
        break walk;
      }
      const next = at + durationMs(spec.escalationDelay);
      steps.push({ pass, rule, at, targets, people, escalatesAt: final ? null : next });
      if (final && next < until) exhaustedAt = next;
      at = next;
    }
    // A pass in which nobody was on call took no time: every later pass would find the same.
    if (!reachedInPass) break;
  }
  return { policy: policy.id, steps, nobodyReached: !steps.some((s) => s.people.length > 0), exhaustedAt };
}

/** The step holding the incident at instant `at`; null before anyone was reached, or when nobody was. */
export function activeStepAt(escalation: Escalation, at: number): EscalationStep | null {
  // A rule that reached nobody does not take the incident away: it stays with the last people reached.
  let found: EscalationStep | null = null;
  for (const step of escalation.steps) if (step.people.length > 0 && step.at <= at) found = step;
  return found;
}

/**
 * Which rule of `policy` holds an incident opened at `start` when `minute` minutes have passed,
 * nobody having acknowledged: "which rule is active at minute M".
 */
export function activeRuleAt(policy: EscalationPolicySpec, directory: OncallDirectory, start: number, minute: number): EscalationStep | null {
  const at = start + minute * 60_000;
  return activeStepAt(escalate(policy, directory, start, { until: at + 1 }), at);
}
