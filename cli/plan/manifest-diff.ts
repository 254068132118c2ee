import type { Manifest } from "../../sdk/manifest/schema.js";
import { diffValues } from "./property-diff.js";
import type { ConfigChange, EntryAction, MonitorChange, PropertyChange } from "./types.js";

/**
 * Where a definition lives is not part of what it does: `source` is left out of every comparison,
 * so moving a module to another file is not a change.
 */
function withoutSource<T extends { source?: string }>(value: T): Omit<T, "source"> {
  const { source: _moved, ...rest } = value;
  return rest;
}

interface Keyed {
  id: string;
  source?: string;
}

/** Added, removed and changed entries of two id-keyed lists, property by property. */
export function diffById<T extends Keyed>(
  base: readonly T[],
  target: readonly T[],
): { id: string; action: EntryAction; changes: PropertyChange[] }[] {
  const before = new Map(base.map((e) => [e.id, withoutSource(e)]));
  const after = new Map(target.map((e) => [e.id, withoutSource(e)]));
  const out: { id: string; action: EntryAction; changes: PropertyChange[] }[] = [];
  for (const [id, entry] of after) {
    const old = before.get(id);
    if (old === undefined) out.push({ id, action: "add", changes: diffValues({}, entry) });
    else {
      const changes = diffValues(old, entry);
      if (changes.length > 0) out.push({ id, action: "change", changes });
    }
  }
  for (const [id, entry] of before) if (!after.has(id)) out.push({ id, action: "remove", changes: diffValues(entry, {}) });
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Monitors added, removed and changed (schedule, check, threshold, routing, code hash...). A monitor
 * that names a base monitor in `previousIds` moves (its alerts go with it) instead of one monitor
 * being removed and another added; what else changed is listed under the move.
 */
export function diffMonitors(base: Manifest | null, target: Manifest): MonitorChange[] {
  const moves = renames(base?.monitors ?? [], target.monitors);
  // Renaming the base side first makes a move an ordinary comparison under the new id.
  const renamedBase = (base?.monitors ?? []).map((m) => (moves.has(m.id) ? { ...m, id: moves.get(m.id)! } : m));
  const from = new Map([...moves].map(([old, now]) => [now, old]));
  const strip = <T extends { previousIds?: string[] }>(list: readonly T[]) => list.map(({ previousIds: _history, ...rest }) => rest);
  const changes: MonitorChange[] = diffById(strip(renamedBase), strip(target.monitors)).map((c) => {
    const old = from.get(c.id);
    return old === undefined ? c : { ...c, action: "move" as const, from: old };
  });
  for (const [now, old] of from) if (!changes.some((c) => c.id === now)) changes.push({ id: now, action: "move", from: old, changes: [] });
  return changes.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Old id -> new id for every target entry that lists a base id in `previousIds`, where the new id
 * is not in the base and the old one is gone from the target (otherwise there is nothing to move).
 * The previous-ids rule makes each old id claimed at most once; the first claim wins regardless.
 */
export function renames(base: readonly { id: string }[], target: readonly { id: string; previousIds?: string[] }[]): Map<string, string> {
  const before = new Set(base.map((e) => e.id));
  const after = new Set(target.map((e) => e.id));
  const out = new Map<string, string>();
  for (const entry of target) {
    if (before.has(entry.id)) continue;
    const old = (entry.previousIds ?? []).find((id) => before.has(id) && !after.has(id) && !out.has(id));
    if (old !== undefined) out.set(old, entry.id);
  }
  return out;
}

/** Runtime-only configuration the PagerDuty diff does not cover: channels, silences, secrets, settings. */
export function diffConfig(base: Manifest | null, target: Manifest): ConfigChange[] {
  const secretsAsEntries = (m: Manifest | null) => (m?.secrets ?? []).map((name) => ({ id: name }));
  const settings = (m: Manifest | null) => (m ? [{ id: "settings", ...m.settings, project: m.project }] : []);
  return [
    ...diffById(base?.channels ?? [], target.channels).map((c) => ({ kind: "channel" as const, ...c })),
    ...diffById(base?.silences ?? [], target.silences).map((c) => ({ kind: "silence" as const, ...c })),
    ...diffById(base?.statusPages ?? [], target.statusPages ?? []).map((c) => ({ kind: "statusPage" as const, ...c })),
    ...diffById(secretsAsEntries(base), secretsAsEntries(target)).map((c) => ({ kind: "secret" as const, ...c })),
    ...diffById(settings(base), settings(target)).map((c) => ({ kind: "settings" as const, ...c })),
  ];
}
