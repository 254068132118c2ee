import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { oncallDirectory } from "../oncall/directory.js";
import { criticalServices, peopleReachable } from "../oncall/reach.js";
import type { RuleContext } from "./types.js";

/**
 * A service that a critical monitor pages must be able to reach more than one person: with one,
 * a flat phone battery, a flight or a day off means a critical alert reaches nobody. Counts
 * everyone the service's escalation policy can ever page (users named, and every user on every
 * layer of the schedules named). A warning: small teams may accept the risk, and say so by
 * turning the rule off in the config.
 */
export function singleResponder(ctx: RuleContext): Diagnostic[] {
  const directory = oncallDirectory(ctx.manifest);
  const out: Diagnostic[] = [];
  for (const [serviceId, monitorId] of criticalServices(ctx.manifest)) {
    const service = directory.services.get(serviceId);
    const policy = service && directory.policies.get(service.escalationPolicy);
    if (!policy) continue;
    const people = [...peopleReachable(policy, directory)];
    if (people.length !== 1) continue;
    out.push(
      diagnostic(
        "warning",
        "single-responder",
        `critical service "${serviceId}" (paged by "${monitorId}") can reach only one person: escalation policy "${policy.id}" pages nobody but "${people[0]}"`,
        "add a rule with a backup (a second schedule or a manager), or put more people on the schedule",
        ctx.locate(policy),
      ),
    );
  }
  return out;
}
