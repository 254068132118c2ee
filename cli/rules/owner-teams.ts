import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { nearIds } from "../near-ids.js";
import type { RuleContext } from "./types.js";

/**
 * A monitor's owner and a service's team are who people go to when it breaks. A team with no
 * members owns it in name only (nobody reads what is addressed to it), and a string owner one
 * letter off a team's id ("paymnets") was meant to be that team. A free-form owner that is near no
 * team ("payments@example.com") is the author's choice and is left alone.
 */
export function ownerTeams(ctx: RuleContext): Diagnostic[] {
  const teams = new Map(ctx.manifest.teams.map((t) => [t.id, t]));
  const out: Diagnostic[] = [];
  const empty = (what: string, teamId: string, at: { source: string }) =>
    diagnostic(
      "warning",
      "owner-teams",
      `${what} is owned by team "${teamId}", which has no members, so nobody answers for it`,
      `add members to team "${teamId}" (members: [alice, { user: bob, role: "manager" }]), or name a team that has them`,
      ctx.locate(at),
    );
  for (const m of ctx.manifest.monitors) {
    if (m.owner === null) continue;
    const team = teams.get(m.owner);
    if (team) {
      if (team.members.length === 0) out.push(empty(`monitor "${m.id}"`, team.id, m));
      continue;
    }
    const near = nearIds(m.owner, [...teams.keys()]).filter((id) => id !== m.owner);
    if (near.length === 0 || m.owner.includes("@") || m.owner.includes(" ")) continue;
    out.push(
      diagnostic(
        "warning",
        "owner-teams",
        `monitor "${m.id}": owner "${m.owner}" is not a team of this project`,
        `did you mean ${near.map((id) => `"${id}"`).join(" or ")}? Pass the team construct itself (owner: theTeam, imported from its module) so the editor checks the reference`,
        ctx.locate(m),
      ),
    );
  }
  for (const s of ctx.manifest.services) {
    if (s.team === null) continue;
    const team = teams.get(s.team);
    if (team && team.members.length === 0) out.push(empty(`service "${s.id}"`, team.id, s));
  }
  return out;
}
