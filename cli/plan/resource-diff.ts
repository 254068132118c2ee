import type { RegisteredResource } from "./mock-run.js";
import { diffValues, topProperty } from "./property-diff.js";
import { replaceReasons } from "./replace-rules.js";
import type { ResourceChange } from "./types.js";

/**
 * Compares the resources two mock runs registered. Identity is (type, logical name), exactly as
 * Pulumi matches resources against its state; a resource under a new name is a delete plus a create.
 */
export function diffResources(base: readonly RegisteredResource[], target: readonly RegisteredResource[]): ResourceChange[] {
  const key = (r: RegisteredResource) => `${r.type}::${r.name}`;
  const before = new Map(base.map((r) => [key(r), r]));
  const after = new Map(target.map((r) => [key(r), r]));
  const changes: ResourceChange[] = [];
  for (const [k, r] of after) {
    const old = before.get(k);
    if (!old) {
      changes.push({ name: r.name, type: r.type, action: "create", changes: diffValues({}, r.inputs), replaceBecause: [] });
      continue;
    }
    const diff = diffValues(old.inputs, r.inputs);
    if (diff.length === 0) continue;
    const because = replaceReasons(r.type, diff.map((c) => topProperty(c.path)));
    changes.push({ name: r.name, type: r.type, action: because.length > 0 ? "replace" : "update", changes: diff, replaceBecause: because });
  }
  for (const [k, r] of before) {
    if (!after.has(k)) {
      changes.push({ name: r.name, type: r.type, action: "delete", changes: diffValues(r.inputs, {}), replaceBecause: [] });
    }
  }
  return changes.sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
}
