import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import { entries, type Entry } from "./entries.js";
import type { RuleContext } from "./types.js";

/**
 * Ids must be unique within a kind: dedup keys, heartbeat URLs and Pulumi resource names derive
 * from them. Silences and maintenance windows share one list, so they share one id space. The
 * same id on different kinds (a monitor and a service called `payments`) is fine.
 */
export function uniqueIds(ctx: RuleContext): Diagnostic[] {
  const byKey = new Map<string, Entry[]>();
  for (const entry of entries(ctx.manifest)) {
    const key = `${entry.collection}\u0000${entry.value.id}`;
    byKey.set(key, [...(byKey.get(key) ?? []), entry]);
  }
  const out: Diagnostic[] = [];
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    const where = group.map((e) => e.value.source || "an unknown place");
    group.forEach((entry, i) => {
      if (i === 0) return;
      out.push(
        diagnostic(
          "error",
          "unique-ids",
          `duplicate ${entry.noun} id "${entry.value.id}": defined at ${where.join(" and ")}`,
          "give each definition its own id; to reuse one definition, export it once and import it where needed",
          ctx.locate(entry.value),
        ),
      );
    });
  }
  // PagerDuty keeps one membership per team and user (one Pulumi resource named by both): of a user
  // listed twice, one entry silently wins, and the role the author reads first may not be it.
  for (const team of ctx.manifest.teams) {
    const seen = new Set<string>();
    for (const member of team.members) {
      if (!seen.has(member.user)) {
        seen.add(member.user);
        continue;
      }
      out.push(
        diagnostic(
          "error",
          "unique-ids",
          `team "${team.id}" lists user "${member.user}" more than once; PagerDuty keeps one membership per user, so only one of the roles would apply`,
          `list each member once; for a manager, only as { user: ..., role: "manager" }`,
          ctx.locate(team),
        ),
      );
    }
  }
  return out;
}
