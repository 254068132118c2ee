import type { Manifest, UserSpec } from "../../sdk/manifest/schema.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/** Contact methods that wake someone up; an email at 3 a.m. does not. */
const WAKES = new Set(["phone", "sms", "push"]);

/**
 * A user who can be paged for a critical service must have a high-urgency notification rule that
 * rings: phone, SMS or push. "Can be paged" means on a schedule the service's escalation policy
 * targets, or targeted by it directly. Only users whose contact methods are managed as code
 * (`contactMethods` or `notificationRules` given) are judged: for everyone else the project cannot
 * see what PagerDuty has, and guessing would flag every existing project.
 */
export function reachableOnCall(ctx: RuleContext): Diagnostic[] {
  const users = new Map(ctx.manifest.users.map((u) => [u.id, u]));
  const out: Diagnostic[] = [];
  for (const [userId, via] of criticalResponders(ctx.manifest)) {
    const user = users.get(userId);
    if (!user || (user.contactMethods === undefined && user.notificationRules === undefined)) continue;
    if (rings(user)) continue;
    out.push(
      diagnostic(
        "warning",
        "reachable-on-call",
        `user "${user.id}" can be paged for critical service ${via} but has no high-urgency notification rule by phone, SMS or push`,
        'add a phone or SMS contact method and a notification rule for it, e.g. { contactMethod: mobile, urgency: "high" } (a push method is the app\'s own and cannot be declared)',
        ctx.locate(user),
      ),
    );
  }
  return out;
}

function rings(user: UserSpec): boolean {
  const types = new Map((user.contactMethods ?? []).map((m) => [m.id, m.type]));
  return (user.notificationRules ?? []).some((r) => r.urgency === "high" && WAKES.has(types.get(r.contactMethod) ?? ""));
}

/** User id -> how they are reached (the first critical service and path found), in manifest order. */
function criticalResponders(manifest: Omit<Manifest, "hash">): Map<string, string> {
  // A critical monitor pages a service by naming it, or through a high-urgency REST incident channel on it.
  const incidentServices = new Map(manifest.channels.flatMap((c) => (c.kind === "pagerdutyIncident" && c.urgency === "high" ? [[c.id, c.service] as const] : [])));
  const critical = new Set(
    manifest.monitors
      .filter((m) => m.severity === "critical")
      .flatMap((m) => [...(m.service !== null ? [m.service] : []), ...m.channels.flatMap((c) => incidentServices.get(c) ?? [])]),
  );
  const policies = new Map(manifest.escalationPolicies.map((p) => [p.id, p]));
  const schedules = new Map(manifest.schedules.map((s) => [s.id, s]));
  const out = new Map<string, string>();
  for (const service of manifest.services) {
    if (!critical.has(service.id)) continue;
    for (const rule of policies.get(service.escalationPolicy)?.rules ?? []) {
      for (const target of rule.targets) {
        if (target.type === "user") {
          if (!out.has(target.id)) out.set(target.id, `"${service.id}" (escalation policy "${service.escalationPolicy}")`);
          continue;
        }
        for (const layer of schedules.get(target.id)?.layers ?? []) {
          for (const user of layer.users) if (!out.has(user)) out.set(user, `"${service.id}" (schedule "${target.id}")`);
        }
      }
    }
  }
  return out;
}
