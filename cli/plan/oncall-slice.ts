import { canonicalJson, type Manifest } from "../../sdk/manifest/index.js";

/**
 * The on-call definitions the Pulumi program reads (keep in step with infra/program), by kind.
 * Every resource the program registers belongs to one definition (its logical name carries the
 * definition's id), except the webhook subscription, which reads only the project's settings.
 */
const KINDS = ["users", "teams", "schedules", "escalationPolicies", "services", "silences"] as const;
type Kind = (typeof KINDS)[number];
type Entry = { id: string; previousIds?: readonly string[] | undefined };

/**
 * What each definition refers to, as `kind:id` keys: the definitions whose registered ids (or, for
 * users, whose content: an existing user is looked up by email) its resources carry, and its own
 * earlier ids (a renamed definition's resources alias the old ones).
 */
function refsOf(kind: Kind, entry: Manifest[Kind][number]): string[] {
  const own = ((entry as Entry).previousIds ?? []).map((id) => `${kind}:${id}`);
  switch (kind) {
    case "users":
      return own;
    case "teams": {
      const team = entry as Manifest["teams"][number];
      return [...own, ...team.members.map((m) => `users:${m.user}`)];
    }
    case "schedules": {
      const schedule = entry as Manifest["schedules"][number];
      return [...own, ...schedule.teams.map((id) => `teams:${id}`), ...schedule.layers.flatMap((l) => l.users.map((id) => `users:${id}`))];
    }
    case "escalationPolicies": {
      const policy = entry as Manifest["escalationPolicies"][number];
      const targets = policy.rules.flatMap((r) => r.targets.map((t) => (t.type === "user" ? `users:${t.id}` : `schedules:${t.id}`)));
      return [...own, ...policy.teams.map((id) => `teams:${id}`), ...targets];
    }
    case "services": {
      const service = entry as Manifest["services"][number];
      return [...own, `escalationPolicies:${service.escalationPolicy}`, ...(service.team !== null ? [`teams:${service.team}`] : [])];
    }
    case "silences": {
      const silence = entry as Manifest["silences"][number];
      return silence.matchers.services.map((id) => `services:${id}`);
    }
  }
}

interface Side {
  /** `kind:id` -> the definition's content without its source file, which the program does not read. */
  content: Map<string, string>;
  refs: Map<string, string[]>;
}

function sideOf(manifest: Manifest): Side {
  const content = new Map<string, string>();
  const refs = new Map<string, string[]>();
  for (const kind of KINDS) {
    for (const entry of manifest[kind] as readonly (Entry & { source: string })[]) {
      const { source: _moved, ...rest } = entry;
      const key = `${kind}:${entry.id}`;
      content.set(key, canonicalJson(rest, 0));
      refs.set(key, refsOf(kind, entry as Manifest[Kind][number]));
    }
  }
  return { content, refs };
}

/** Everything reachable from `start` along `edges` (start included). */
function closure(start: Iterable<string>, edges: (key: string) => readonly string[]): Set<string> {
  const seen = new Set(start);
  const queue = [...seen];
  while (queue.length > 0) {
    for (const next of edges(queue.pop()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/**
 * The two manifests cut down to what can register different resources, for the plan's mock runs;
 * `unchanged` when nothing the program reads differs (both runs can be skipped).
 *
 * A definition's resources are made from its own content and from the definitions it refers to
 * (refsOf). So the resources of a definition that did not change, and that refers, directly or
 * through others, to nothing that changed, are the same on both sides and drop out of the diff.
 * What stays: the changed definitions (added, removed or edited, `source` aside), everything that
 * refers to them, transitively, on either side, and, on both sides, what those refer to on either
 * side, so that every reference resolves. The project's settings stay whole. A mock run costs
 * about half a millisecond per resource, and a pull request usually touches a few definitions of
 * hundreds.
 * `test/plan/oncall-slice.test.ts` checks by property that the diff of the slices equals the diff
 * of the whole manifests.
 */
export function onCallSlices(base: Manifest, target: Manifest): { base: Manifest; target: Manifest; unchanged: boolean; kept: number; of: number } {
  const [before, after] = [sideOf(base), sideOf(target)];
  const changed = new Set<string>();
  for (const [key, text] of before.content) if (after.content.get(key) !== text) changed.add(key);
  for (const key of after.content.keys()) if (!before.content.has(key)) changed.add(key);
  // The settings the program reads (the webhook subscription's).
  const sameSettings = base.project.name === target.project.name && base.settings.publicUrl === target.settings.publicUrl;
  // Who refers to whom, on either side.
  const referrers = new Map<string, string[]>();
  for (const side of [before, after]) {
    for (const [key, refs] of side.refs) {
      for (const ref of refs) {
        const list = referrers.get(ref);
        if (list) list.push(key);
        else referrers.set(ref, [key]);
      }
    }
  }
  const affected = closure(changed, (key) => referrers.get(key) ?? []);
  // And what they refer to on either side, kept on both. Those not affected themselves did not
  // change and refer to nothing that did, so they register the same on both sides: they are there
  // so that references resolve.
  const keep = closure(affected, (key) => [...(before.refs.get(key) ?? []), ...(after.refs.get(key) ?? [])]);
  const cut = (manifest: Manifest): Manifest => {
    const pick = <K extends Kind>(kind: K) => (manifest[kind] as readonly Entry[]).filter((e) => keep.has(`${kind}:${e.id}`)) as Manifest[K];
    return { ...manifest, users: pick("users"), teams: pick("teams"), schedules: pick("schedules"), escalationPolicies: pick("escalationPolicies"), services: pick("services"), silences: pick("silences") };
  };
  const [baseCut, targetCut] = [cut(base), cut(target)];
  const count = (m: Manifest) => KINDS.reduce((n, kind) => n + m[kind].length, 0);
  return { base: baseCut, target: targetCut, unchanged: changed.size === 0 && sameSettings, kept: count(baseCut) + count(targetCut), of: count(base) + count(target) };
}

const NAMES: Record<Kind, string> = {
  users: "user",
  teams: "team",
  schedules: "schedule",
  escalationPolicies: "escalation policy",
  services: "service",
  silences: "silence",
};

/**
 * The first reference in a manifest to an on-call definition it does not hold (the Pulumi program
 * cannot declare it), or a notification rule naming a contact method its user does not declare;
 * null when there is none. A compiled manifest never has one: the SDK resolves references to the
 * objects themselves. A base read from a file or a stack might.
 */
export function danglingReference(manifest: Manifest): string | null {
  const defined = new Set(KINDS.flatMap((kind) => (manifest[kind] as readonly Entry[]).map((e) => `${kind}:${e.id}`)));
  for (const kind of KINDS) {
    for (const entry of manifest[kind] as readonly Entry[]) {
      // Earlier ids name what no longer exists, by design.
      const earlier = entry.previousIds?.length ?? 0;
      const missing = refsOf(kind, entry as Manifest[Kind][number]).slice(earlier).find((ref) => !defined.has(ref));
      if (missing !== undefined) {
        const [refKind, refId] = split(missing);
        return `${NAMES[kind]} ${JSON.stringify(entry.id)} refers to ${NAMES[refKind]} ${JSON.stringify(refId)}, which the manifest does not define`;
      }
    }
  }
  for (const user of manifest.users) {
    const methods = new Set((user.contactMethods ?? []).map((m) => m.id));
    const rule = (user.notificationRules ?? []).find((r) => !methods.has(r.contactMethod));
    if (rule) return `user ${JSON.stringify(user.id)} has a notification rule for contact method ${JSON.stringify(rule.contactMethod)}, which the user does not declare`;
  }
  return null;
}

function split(key: string): [Kind, string] {
  const at = key.indexOf(":");
  return [key.slice(0, at) as Kind, key.slice(at + 1)];
}
