import { createHash } from "node:crypto";

/** PagerDuty's limit for `dedup_key`; OpsGenie's alias allows 512, so this budget serves both. */
export const DEDUP_KEY_MAX = 255;

/**
 * The stable identity of an alert: one per (monitor, label set). It is the PagerDuty dedup_key and
 * the OpsGenie alias, so it must not change across restarts, replicas or releases: keys that fit
 * the budget are exactly what they always were (`wk-<id>`, `wk-<id>-<16 hex of the label set>`).
 * Only a key that would not fit (an id over the manifest's cap, from an older artifact or a
 * hand-written manifest) is shortened, to a cut id plus a 32-hex digest of id and label set.
 */
export function alertKey(monitorId: string, labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  const canonical = names.map((name) => `${name}=${labels[name]}`).join("\u0000");
  const key = names.length === 0 ? `wk-${monitorId}` : `wk-${monitorId}-${sha256Hex(canonical).slice(0, 16)}`;
  if (key.length <= DEDUP_KEY_MAX) return key;
  const digest = sha256Hex(`${monitorId}\u0001${canonical}`).slice(0, 32);
  // Ids are kebab-case ASCII, so a code-unit cut cannot split a character.
  return `wk-${monitorId.slice(0, DEDUP_KEY_MAX - 4 - digest.length)}-${digest}`;
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
