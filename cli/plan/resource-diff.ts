import type { RegisteredResource } from "./mock-run.js";
import { diffValues, topProperty } from "./property-diff.js";
import { replaceReasons } from "./replace-rules.js";
import type { ResourceChange } from "./types.js";

/**
 * Compares the resources two mock runs registered. Identity is (type, logical name), exactly as
 * Pulumi matches resources against its state; a resource under a new name is a delete plus a create
 * unless it names the old one as an alias (a move), and a new resource with an import id adopts
 * an existing object instead of creating one.
 */
export function diffResources(base: readonly RegisteredResource[], target: readonly RegisteredResource[]): ResourceChange[] {
  const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
  const after = new Map(target.map((r) => [key(r), r]));
  const moved = movedFrom(base, after);
  // Mock ids are logical names, so the base's references to a moved resource use its old name:
  // read under the new names they compare equal, as the PagerDuty ids behind them are.
  const newName = new Map([...moved].map(([now, old]) => [old.name, now.split("::").pop()!]));
  const before = new Map(base.map((r) => [key(r), { ...r, inputs: renameRefs(r.inputs, newName) as Record<string, unknown> }]));
  const changes: ResourceChange[] = [];
  for (const [k, r] of after) {
    const from = moved.get(k);
    const old = from ? before.get(key(from)) : before.get(k);
    if (!old) {
      const adopt = r.importId !== undefined ? { action: "import" as const, importId: r.importId } : { action: "create" as const };
      changes.push({ name: r.name, type: r.type, ...adopt, changes: diffValues({}, r.inputs), replaceBecause: [] });
      continue;
    }
    const diff = diffValues(old.inputs, r.inputs);
    if (diff.length === 0 && !from) continue;
    const because = replaceReasons(r.type, diff.map((c) => topProperty(c.path)));
    const action = because.length > 0 ? "replace" : from ? "move" : "update";
    changes.push({ name: r.name, type: r.type, action, changes: diff, replaceBecause: because, ...(from ? { from: from.name } : {}) });
  }
  const movedAway = new Set([...moved.values()].map(key));
  for (const [k, r] of before) {
    if (!after.has(k) && !movedAway.has(k)) {
      changes.push({ name: r.name, type: r.type, action: "delete", changes: diffValues(r.inputs, {}), replaceBecause: [] });
    }
  }
  return changes.sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
}

/** Target key -> base resource, for target resources that are new under their name but alias a base one that left. */
function movedFrom(base: readonly RegisteredResource[], after: ReadonlyMap<string, RegisteredResource>): Map<string, RegisteredResource> {
  const byKey = new Map(base.map((r) => [`${r.type}::${r.name}`, r]));
  const taken = new Set<string>();
  const out = new Map<string, RegisteredResource>();
  for (const [k, r] of after) {
    if (byKey.has(k)) continue;
    for (const alias of r.aliases ?? []) {
      const oldKey = `${r.type}::${alias}`;
      const old = byKey.get(oldKey);
      if (!old || after.has(oldKey) || taken.has(oldKey)) continue;
      taken.add(oldKey);
      out.set(k, old);
      break;
    }
  }
  return out;
}

function renameRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (names.size === 0) return value;
  if (typeof value === "string") return names.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, names));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameRefs(v, names)]));
  }
  return value;
}
