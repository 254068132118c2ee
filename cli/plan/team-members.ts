import type { EscalationPolicySpec, Manifest } from "../../sdk/manifest/schema.js";
import { logicalName } from "../../infra/program/names.js";
import type { PlanWarning, ResourceChange } from "./types.js";

/**
 * Users a plan takes off a team while an escalation policy of that team still pages them, directly
 * or through a schedule it targets. PagerDuty refuses to remove such a member ("User cannot be
 * removed as they belong to an escalation policy on this team"), halfway through the up. Pulumi
 * deletes memberships after it has updated the policies and schedules, so a change that also takes
 * the user off the policy (or the policy off the team) goes through. `wk plan` shows these, and
 * `wk deploy` refuses them before the engine starts.
 */
export function membersStillOnPolicies(base: Manifest | null, target: Manifest, resources: readonly ResourceChange[]): PlanWarning[] {
  if (base === null) return [];
  const deleted = new Set(resources.filter((r) => r.action === "delete").map((r) => r.name));
  const deployedTeams = new Map(base.teams.map((t) => [t.id, t]));
  const schedules = new Map(target.schedules.map((s) => [s.id, s]));
  const out: PlanWarning[] = [];
  for (const team of target.teams) {
    const before = [team.id, ...(team.previousIds ?? [])].map((id) => deployedTeams.get(id)).find((t) => t !== undefined);
    if (before === undefined) continue;
    const policies = target.escalationPolicies.filter((p) => p.teams[0] === team.id);
    for (const member of before.members) {
      if (!deleted.has(logicalName.teamMembership(before.id, member.user))) continue;
      // The user as the target names them (a renamed user's membership moves, and is not deleted).
      const user = target.users.find((u) => u.id === member.user || (u.previousIds ?? []).includes(member.user));
      if (user === undefined) continue;
      for (const policy of policies) {
        const via = pagedVia(policy, user.id, schedules);
        if (via === null) continue;
        out.push({
          code: "team-member-on-policy",
          subject: team.id,
          message:
            `user ${user.id} would be taken off team ${team.id} while its escalation policy ${policy.id} still pages them (${via}): PagerDuty refuses that ` +
            `("User cannot be removed as they belong to an escalation policy on this team"), halfway through the deploy; take them off the policy in the same change, or keep them on the team`,
        });
        break;
      }
    }
  }
  return out;
}

/** How a policy pages a user: "rule 2" or "schedule primary in rule 1"; null when it does not. */
function pagedVia(policy: EscalationPolicySpec, user: string, schedules: Map<string, Manifest["schedules"][number]>): string | null {
  for (const [i, rule] of policy.rules.entries()) {
    for (const target of rule.targets) {
      if (target.type === "user" && target.id === user) return `rule ${i + 1}`;
      if (target.type === "schedule" && schedules.get(target.id)?.layers.some((l) => l.users.includes(user))) return `schedule ${target.id} in rule ${i + 1}`;
    }
  }
  return null;
}
