import * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { declareContactMethods } from "./contact-methods.js";
import { lineageOptions, oldNames, oldPairNames } from "./lineage.js";
import { logicalName } from "./names.js";
import { Refs } from "./refs.js";
import { pagerdutyTimeZone } from "./time-zones.js";

/** Users (created, or looked up by email when they already exist), teams and team memberships. */
export function declarePeople(manifest: Manifest, refs: Refs, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const resources: pulumi.Resource[] = [];
  for (const user of manifest.users) {
    if (user.existing) {
      // Existing accounts are owned outside this project: read them, never manage them.
      const found = pagerduty.getUserOutput({ email: user.email }, { provider: opts.provider });
      refs.users.set(user.id, found.id);
      resources.push(...declareContactMethods(user, found.id, opts));
      continue;
    }
    const created = new pagerduty.User(
      logicalName.user(user.id),
      {
        name: user.name,
        email: user.email,
        role: user.role,
        ...(user.timeZone !== null ? { timeZone: pagerdutyTimeZone(user.timeZone) ?? user.timeZone } : {}),
      },
      lineageOptions(opts, oldNames(user.previousIds, logicalName.user)),
    );
    refs.users.set(user.id, created.id);
    resources.push(created, ...declareContactMethods(user, created.id, opts));
  }
  const users = new Map(manifest.users.map((u) => [u.id, u]));
  for (const team of manifest.teams) {
    const created = new pagerduty.Team(
      logicalName.team(team.id),
      { name: team.name, ...(team.description !== null ? { description: team.description } : {}) },
      lineageOptions(opts, oldNames(team.previousIds, logicalName.team), team.pagerdutyId),
    );
    refs.teams.set(team.id, created.id);
    resources.push(created);
    for (const member of team.members) {
      resources.push(
        new pagerduty.TeamMembership(
          logicalName.teamMembership(team.id, member.user),
          { teamId: created.id, userId: Refs.get(refs.users, "user", member.user), role: member.role },
          lineageOptions(opts, oldPairNames(team, users.get(member.user) ?? { id: member.user }, logicalName.teamMembership)),
        ),
      );
    }
  }
  return resources;
}
