import type { EscalationPolicySpec, Manifest } from "../../sdk/manifest/schema.js";
import type { OncallDirectory } from "./directory.js";

/**
 * Everyone an escalation policy can ever page: the users it names, and every user on any layer of
 * the schedules it names. Time does not matter here; who is on call when is `escalate`'s job.
 */
export function peopleReachable(policy: EscalationPolicySpec, directory: OncallDirectory): Set<string> {
  const people = new Set<string>();
  for (const rule of policy.rules) {
    for (const target of rule.targets) {
      if (target.type === "user") people.add(target.id);
      else for (const layer of directory.schedules.get(target.id)?.layers ?? []) for (const user of layer.users) people.add(user);
    }
  }
  return people;
}

type Routing = Pick<Manifest, "monitors" | "channels">;

/**
 * Services a critical monitor pages, with the first such monitor: through `service` (Events API
 * v2) or through a PagerDuty incident channel that opens the incident on a service of the project.
 */
export function criticalServices(manifest: Routing): Map<string, string> {
  const incidentChannels = new Map(manifest.channels.flatMap((c) => (c.kind === "pagerdutyIncident" ? [[c.id, c.service] as const] : [])));
  const out = new Map<string, string>();
  for (const monitor of manifest.monitors) {
    if (monitor.severity !== "critical") continue;
    const services = [monitor.service, ...monitor.channels.map((c) => incidentChannels.get(c) ?? null)];
    for (const service of services) if (service !== null && !out.has(service)) out.set(service, monitor.id);
  }
  return out;
}
