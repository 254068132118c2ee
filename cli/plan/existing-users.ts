import type { Manifest } from "../../sdk/manifest/schema.js";
import { logicalName } from "../../infra/program/names.js";
import type { PlanWarning, ResourceChange } from "./types.js";

/**
 * Users the plan turns from one kind into the other, which PagerDuty or the stack cannot follow.
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

/**
 * Users this stack created that the plan marks `existing: true`. The program no longer declares
 * the account, so the deploy deletes it in PagerDuty, after it has looked it up by email for the
 * teams and schedules that name it; those lose the person, and every later deploy fails to find
 * them. `wk plan` shows these, and `wk deploy` refuses them before the engine starts, whatever
 * `--allow-destroy` says: the project asked to keep the account, not to delete it.
 */
export function createdUsersReleased(base: Manifest | null, target: Manifest, resources: readonly ResourceChange[]): PlanWarning[] {
  if (base === null) return [];
  const deleted = new Set(resources.filter((r) => r.action === "delete").map((r) => r.name));
  const deployed = new Map(base.users.map((u) => [u.id, u]));
  const out: PlanWarning[] = [];
  for (const user of target.users) {
    if (!user.existing) continue;
    const before = [user.id, ...(user.previousIds ?? [])].map((id) => deployed.get(id)).find((u) => u !== undefined);
    if (before === undefined || before.existing || !deleted.has(logicalName.user(before.id))) continue;
    out.push({
      code: "existing-user-deleted",
      subject: user.id,
      message:
        `user ${user.id} is now existing: true, but this stack created the account: the deploy deletes it in PagerDuty, with the person's contact methods and ` +
        `their place on teams and schedules, and later deploys cannot look it up; keep existing: false, or first take the account out of the stack ` +
        `(\`pulumi state delete\` with the URN of user:${before.id}) so that Pulumi forgets it without deleting it`,
    });
  }
  return out;
}
