import * as pulumi from "@pulumi/pulumi";
import * as pagerduty from "@pulumi/pagerduty";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { logicalName } from "./names.js";
import { Refs } from "./refs.js";

/** Users (created, or looked up by email when they already exist), teams and team memberships. */
export function declarePeople(manifest: Manifest, refs: Refs, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
  const resources: pulumi.Resource[] = [];
  for (const user of manifest.users) {
    if (user.existing) {
      // Existing accounts are owned outside this project: read them, never manage them.
      const found = pagerduty.getUserOutput({ email: user.email }, { provider: opts.provider });
      refs.users.set(user.id, found.id);
      continue;
    }
    const created = new pagerduty.User(
      logicalName.user(user.id),
      {
        name: user.name,
        email: user.email,
        role: user.role,
        ...(user.timeZone !== null ? { timeZone: user.timeZone } : {}),
      },
      opts,
    );
    refs.users.set(user.id, created.id);
    resources.push(created);
  }
  for (const team of manifest.teams) {
    const created = new pagerduty.Team(
      logicalName.team(team.id),
      { name: team.name, ...(team.description !== null ? { description: team.description } : {}) },
      opts,
    );
    refs.teams.set(team.id, created.id);
    resources.push(created);
    for (const member of team.members) {
      resources.push(
        new pagerduty.TeamMembership(
          logicalName.teamMembership(team.id, member.user),
          { teamId: created.id, userId: Refs.get(refs.users, "user", member.user), role: member.role },
          opts,
        ),
      );
    }
  }
  return resources;
}
