import { resourceType } from "../../infra/program/names.js";

/**
 * Inputs whose change makes the PagerDuty provider delete and re-create the resource (ForceNew in
 * the upstream Terraform provider that @pulumi/pagerduty bridges). Everything else updates in place:
 * PagerDuty's REST API edits users, teams, schedules (layers included: the provider ends changed
 * layers and starts new ones inside the same schedule), escalation policies, services, maintenance
 * windows and webhook subscriptions in place.
 */
export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
  // An integration belongs to one service and has one type; its key changes with it.
  [resourceType.serviceIntegration]: ["service", "type", "vendor"],
  // A membership is the pair (team, user); only the role can change in place.
  [resourceType.teamMembership]: ["teamId", "userId"],
  // The subscription type and filter target cannot be edited through the API.
  [resourceType.webhookSubscription]: ["type"],
};

/** The changed top-level properties that force a replacement of a resource of this type. */
export function replaceReasons(type: string, changedProperties: readonly string[]): string[] {
  const forcing = REPLACE_ON_CHANGE[type] ?? [];
  return [...new Set(changedProperties.filter((p) => forcing.includes(p)))].sort();
}
