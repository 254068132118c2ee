import type { Manifest } from "../../sdk/manifest/schema.js";
import { logicalName } from "../../infra/program/names.js";
import type { PlanWarning, ResourceChange } from "./types.js";

/**
 * Users the deployed project looked up by email (`existing: true`) that the plan now creates.
 * PagerDuty already has a user with that email and refuses a second ("Email has already been
 * taken"), halfway through the up; and there is no adopting a user. `wk plan` shows these, and
 * `wk deploy` refuses them before the engine starts.
 */
export function existingUsersCreated(base: Manifest | null, target: Manifest, resources: readonly ResourceChange[]): PlanWarning[] {
  if (base === null) return [];
  const created = new Set(resources.filter((r) => r.action === "create").map((r) => r.name));
  const deployed = new Map(base.users.map((u) => [u.id, u]));
  const out: PlanWarning[] = [];
  for (const user of target.users) {
    if (user.existing || !created.has(logicalName.user(user.id))) continue;
    const before = [user.id, ...(user.previousIds ?? [])].map((id) => deployed.get(id)).find((u) => u !== undefined);
    if (before === undefined || !before.existing) continue;
    out.push({
      code: "user-already-in-pagerduty",
      subject: user.id,
      message:
        `user ${user.id} was looked up in PagerDuty by email (existing: true) and this plan creates it: PagerDuty already has a user with ${before.email} ` +
        `and refuses a second, halfway through the deploy; keep existing: true (its contact methods and notification rules can still be managed here)`,
    });
  }
  return out;
}
