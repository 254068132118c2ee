import type * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { EscalationPolicySpec, Manifest } from "../../sdk/manifest/schema.js";
import { lineageOptions, oldNames } from "./lineage.js";
import { logicalName } from "./names.js";
import { Refs } from "./refs.js";
import { durationMinutes } from "./seconds.js";

/** Escalation policies: rules in order, each paging users or whoever is on call on a schedule. */
export function declareEscalationPolicies(
  manifest: Manifest,
  refs: Refs,
  opts: pulumi.CustomResourceOptions,
): pulumi.Resource[] {
  return manifest.escalationPolicies.map((policy) => {
    const created = new pagerduty.EscalationPolicy(
      logicalName.escalationPolicy(policy.id),
      policyArgs(policy, refs),
      lineageOptions(opts, oldNames(policy.previousIds, logicalName.escalationPolicy), policy.pagerdutyId),
    );
    refs.escalationPolicies.set(policy.id, created.id);
    return created;
  });
}

function policyArgs(policy: EscalationPolicySpec, refs: Refs): pagerduty.EscalationPolicyArgs {
  const team = policy.teams[0];
  return {
    name: policy.name,
    ...(policy.description !== null ? { description: policy.description } : {}),
    numLoops: policy.loops,
    // The provider models `teams` as a single value (a list of at most one team in PagerDuty's API).
    ...(team !== undefined ? { teams: Refs.get(refs.teams, "team", team) } : {}),
    rules: policy.rules.map((rule) => ({
      escalationDelayInMinutes: durationMinutes(rule.escalationDelay),
      targets: rule.targets.map((target) =>
        target.type === "user"
          ? { type: "user_reference", id: Refs.get(refs.users, "user", target.id) }
          : { type: "schedule_reference", id: Refs.get(refs.schedules, "schedule", target.id) },
      ),
    })),
  };
}
