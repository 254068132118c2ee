import type { Manifest } from "../../sdk/manifest/schema.js";
import { nearIds } from "../near-ids.js";
import { diagnostic, parseSource } from "./diagnostic.js";
import type { SchemaFinding } from "./schema-check.js";

const PASS_IT = "pass the definition itself, imported from the module that exports it: a reference built by hand names nothing that wk deploy or the runtime can find";

/** What an entry of each list is called, and the list its references point into. */
type Kind = "monitor" | "service" | "escalation policy" | "schedule" | "team" | "user" | "channel";

interface Reference {
  /** The entry that holds the reference. */
  entry: { id: string; source: string };
  noun: string;
  field: PropertyKey[];
  kind: Kind;
  id: unknown;
}

/**
 * References to definitions the project does not have. The SDK's types make every reference the
 * definition itself, and the compiler follows it into the manifest; a reference built by hand
 * (`{ kind: "user", id: "bob" } as any`, one read from JSON) names an id nothing defines. The plan
 * would show it, and `wk deploy` would stop at it halfway through the update, so it is refused
 * here, with the schema's findings (no rule level turns it off), at the property that holds it.
 */
export function danglingReferences(manifest: Manifest): SchemaFinding[] {
  const ids: Record<Kind, string[]> = {
    monitor: ids_(manifest.monitors),
    service: ids_(manifest.services),
    "escalation policy": ids_(manifest.escalationPolicies),
    schedule: ids_(manifest.schedules),
    team: ids_(manifest.teams),
    user: ids_(manifest.users),
    channel: ids_(manifest.channels),
  };
  const refs: Reference[] = [];
  const add = (entry: Reference["entry"], noun: string, field: PropertyKey[], kind: Kind, id: unknown) => refs.push({ entry, noun, field, kind, id });
  const list = <T>(value: T[] | undefined | null): T[] => (Array.isArray(value) ? value : []);
  for (const m of list(manifest.monitors)) {
    if (m.service !== null) add(m, "monitor", ["service"], "service", m.service);
    list(m.channels).forEach((id, i) => add(m, "monitor", ["channels", i], "channel", id));
    list(m.ackChannels).forEach((id, i) => add(m, "monitor", ["ackChannels", i], "channel", id));
    list(m.inhibits).forEach((id, i) => add(m, "monitor", ["inhibits", i], "monitor", id));
  }
  for (const s of list(manifest.services)) {
    add(s, "service", ["escalationPolicy"], "escalation policy", s.escalationPolicy);
    if (s.team !== null) add(s, "service", ["team"], "team", s.team);
  }
  for (const p of list(manifest.escalationPolicies)) {
    list(p.rules).forEach((rule, r) =>
      list(rule?.targets).forEach((target, t) => add(p, "escalation policy", ["rules", r, "targets", t], target?.type === "schedule" ? "schedule" : "user", target?.id)),
    );
    list(p.teams).forEach((id, i) => add(p, "escalation policy", ["teams", i], "team", id));
  }
  for (const s of list(manifest.schedules)) {
    list(s.layers).forEach((layer, l) => list(layer?.users).forEach((id, u) => add(s, "schedule", ["layers", l, "users", u], "user", id)));
    list(s.teams).forEach((id, i) => add(s, "schedule", ["teams", i], "team", id));
  }
  for (const t of list(manifest.teams)) list(t.members).forEach((member, i) => add(t, "team", ["members", i, "user"], "user", member?.user));
  for (const s of list(manifest.silences)) {
    const noun = s.kind === "maintenance" ? "maintenance window" : "silence";
    list(s.matchers?.monitors).forEach((id, i) => add(s, noun, ["matchers", "monitors", i], "monitor", id));
    list(s.matchers?.services).forEach((id, i) => add(s, noun, ["matchers", "services", i], "service", id));
  }
  const known = Object.fromEntries(Object.entries(ids).map(([kind, list]) => [kind, new Set(list)])) as Record<Kind, Set<string>>;
  // A malformed id (not a string) is the schema's finding already.
  return refs
    .filter((ref) => typeof ref.id === "string" && !known[ref.kind].has(ref.id))
    .map(({ entry, noun, field, kind, id }) => {
      const near = nearIds(id as string, ids[kind]);
      const hint = near.length > 0 ? `did you mean "${near[0]}"? ${PASS_IT.charAt(0).toUpperCase()}${PASS_IT.slice(1)}` : PASS_IT;
      const found = diagnostic("error", "WK3002", `${noun} "${entry.id}" ${field.join(".")}: ${kind} "${id as string}" is not defined in the project`, hint, parseSource(entry.source));
      return { diagnostic: found, entry, field };
    });
}

function ids_(entries: readonly { id: string }[] | undefined): string[] {
  return Array.isArray(entries) ? entries.map((e) => e?.id).filter((id): id is string => typeof id === "string") : [];
}
