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

/** Monitors added, removed and changed (schedule, check, threshold, routing, code hash...). */
export function diffMonitors(base: Manifest | null, target: Manifest): MonitorChange[] {
  return diffById(base?.monitors ?? [], target.monitors);
}

/** Runtime-only configuration the PagerDuty diff does not cover: channels, silences, secrets, settings. */
export function diffConfig(base: Manifest | null, target: Manifest): ConfigChange[] {
  const secretsAsEntries = (m: Manifest | null) => (m?.secrets ?? []).map((name) => ({ id: name }));
  const settings = (m: Manifest | null) => (m ? [{ id: "settings", ...m.settings, project: m.project }] : []);
  return [
    ...diffById(base?.channels ?? [], target.channels).map((c) => ({ kind: "channel" as const, ...c })),
    ...diffById(base?.silences ?? [], target.silences).map((c) => ({ kind: "silence" as const, ...c })),
    ...diffById(secretsAsEntries(base), secretsAsEntries(target)).map((c) => ({ kind: "secret" as const, ...c })),
    ...diffById(settings(base), settings(target)).map((c) => ({ kind: "settings" as const, ...c })),
  ];
}
