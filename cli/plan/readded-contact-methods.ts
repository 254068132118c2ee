import type { ContactMethodSpec, Manifest } from "../../sdk/manifest/schema.js";
import { logicalName } from "../../infra/program/names.js";
import type { PlanWarning, ResourceChange } from "./types.js";

/**
 * Contact methods a plan re-adds under a new id. PagerDuty keeps one method per user, type and
 * address, and the provider takes a method it is asked to create for the one that already has
 * that address; Pulumi creates before it deletes, so the deploy would adopt the user's method
 * under the new name and then delete it under the old one, in PagerDuty too, with the notification
 * rules on it: the user is no longer called. `wk plan` shows these, and `wk deploy` refuses them
 * before the engine starts.
 */
export function readdedContactMethods(base: Manifest | null, target: Manifest, resources: readonly ResourceChange[]): PlanWarning[] {
  if (base === null) return [];
  const actions = new Map(resources.map((r) => [r.name, r.action]));
  const deployed = new Map(base.users.map((u) => [u.id, u]));
  const out: PlanWarning[] = [];
  for (const user of target.users) {
    // A renamed user's methods were deployed under its earlier id.
    const before = [user.id, ...(user.previousIds ?? [])].map((id) => deployed.get(id)).find((u) => u !== undefined);
    if (before === undefined) continue;
    for (const method of user.contactMethods ?? []) {
      if (actions.get(logicalName.contactMethod(user.id, method.id)) !== "create") continue;
      const old = (before.contactMethods ?? []).find(
        (m) => m.id !== method.id && sameAddress(m, method) && actions.get(logicalName.contactMethod(before.id, m.id)) === "delete",
      );
      if (old === undefined) continue;
      out.push({
        code: "contact-method-readded",
        subject: user.id,
        message:
          `contact method "${method.id}" of user ${user.id} has the ${addressWord(method)} of "${old.id}", which this plan deletes: PagerDuty keeps one method per address, ` +
          `so the deploy would take "${method.id}" for that method and then delete it, with its notification rules; keep the id "${old.id}", ` +
          `or remove the method in one deploy and add it as "${method.id}" in the next`,
      });
    }
  }
  return out;
}

function sameAddress(a: ContactMethodSpec, b: ContactMethodSpec): boolean {
  if (a.type !== b.type || a.countryCode !== b.countryCode) return false;
  return a.type === "email" ? a.address.trim().toLowerCase() === b.address.trim().toLowerCase() : a.address === b.address;
}

function addressWord(method: ContactMethodSpec): string {
  if (method.type === "email") return "email address";
  return method.type === "push" ? "device address" : "phone number";
}
