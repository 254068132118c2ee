import { createHash } from "node:crypto";

/**
 * The stable identity of an alert: one per (monitor, label set). It is the PagerDuty dedup_key and
 * the OpsGenie alias, so it must not change across restarts, replicas or releases.
 */
export function alertKey(monitorId: string, labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return `wk-${monitorId}`;
  const canonical = names.map((name) => `${name}=${labels[name]}`).join("\u0000");
  const digest = createHash("sha256").update(canonical).digest("hex").slice(0, 16);
  return `wk-${monitorId}-${digest}`;
}
