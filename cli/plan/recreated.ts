import type { Manifest } from "../../sdk/manifest/schema.js";
import { logicalName } from "../../infra/program/names.js";
import type { PlanWarning, ResourceChange } from "./types.js";

interface Named {
  id: string;
  name: string;
  email?: string;
}

/** The kinds PagerDuty keeps one of per name (per email for users), with their resource names. */
const UNIQUE: readonly { kind: "users" | "services" | "escalationPolicies" | "teams"; noun: string; field: "name" | "email"; nameOf: (id: string) => string }[] = [
  { kind: "users", noun: "user", field: "email", nameOf: logicalName.user },
  { kind: "services", noun: "service", field: "name", nameOf: logicalName.service },
  { kind: "escalationPolicies", noun: "escalation policy", field: "name", nameOf: logicalName.escalationPolicy },
  { kind: "teams", noun: "team", field: "name", nameOf: logicalName.team },
];

/**
 * Definitions the plan deletes and creates again under a new id, the name (or a user's email)
 * unchanged: an id renamed without `previousIds`. Pulumi creates before it deletes, and PagerDuty
 * keeps one service, escalation policy and team per name and one user per email, so the create is
 * refused halfway through the up; and had it gone through, the object and its history (a service's
 * incidents) would have been replaced, not kept. `wk plan` shows these, and `wk deploy` refuses
 * them before the engine starts.
 */
export function recreatedUnderNewIds(base: Manifest | null, target: Manifest, resources: readonly ResourceChange[]): PlanWarning[] {
  if (base === null) return [];
  const actions = new Map(resources.map((r) => [r.name, r.action]));
  const out: PlanWarning[] = [];
  for (const { kind, noun, field, nameOf } of UNIQUE) {
    const keyOf = (entry: Named) => (field === "email" ? entry.email ?? "" : entry.name).trim().toLowerCase();
    const deleted = new Map<string, Named>();
    for (const entry of base[kind] as readonly Named[]) {
      if (actions.get(nameOf(entry.id)) === "delete") deleted.set(keyOf(entry), entry);
    }
    for (const entry of target[kind] as readonly Named[]) {
      if (actions.get(nameOf(entry.id)) !== "create") continue;
      const old = deleted.get(keyOf(entry));
      if (old === undefined) continue;
      const value = field === "email" ? entry.email : entry.name;
      out.push({
        code: "recreated-under-new-id",
        subject: entry.id,
        message:
          `${noun} ${entry.id} has the ${field} ${JSON.stringify(value)} of ${noun} ${old.id}, which this plan deletes: Pulumi creates before it deletes, and PagerDuty keeps ` +
          `one ${noun} per ${field}, so the deploy would fail halfway (and would replace the ${noun} rather than keep it); if it is the same ${noun} renamed, ` +
          `add previousIds: ["${old.id}"] to it`,
      });
    }
  }
  return out;
}
