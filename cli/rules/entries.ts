import type { Manifest } from "../../sdk/manifest/schema.js";

/** The manifest's collections of defined things, with the word a diagnostic uses for each. */
export const COLLECTIONS = [
  ["monitors", "monitor"],
  ["services", "service"],
  ["escalationPolicies", "escalation policy"],
  ["schedules", "schedule"],
  ["teams", "team"],
  ["users", "user"],
  ["channels", "channel"],
  ["silences", "silence or maintenance window"],
] as const;

export type CollectionKey = (typeof COLLECTIONS)[number][0];

export interface Entry {
  collection: CollectionKey;
  noun: string;
  value: { id: string; source: string };
}

/** Every defined thing in the manifest, in manifest order. */
export function entries(manifest: Omit<Manifest, "hash">): Entry[] {
  const out: Entry[] = [];
  for (const [collection, noun] of COLLECTIONS) {
    for (const value of manifest[collection] as { id: string; source: string }[]) out.push({ collection, noun, value });
  }
  return out;
}
