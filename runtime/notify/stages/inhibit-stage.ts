import type { Manifest } from "../../../sdk/manifest/schema.js";
import type { Stage } from "../pipeline.js";
import type { Notification } from "../types.js";

/** Which monitors have a firing alert right now (tracked from the outbox stream). */
export interface FiringSource {
  isMonitorFiring(monitorId: string): boolean;
}

/**
 * Mutes triggers and reminders of monitors listed in another monitor's `inhibits` while that
 * monitor fires (a site-down mutes its endpoint checks). Resolves and acknowledgements pass so
 * that anything already sent is closed.
 */
export function inhibitStage(manifest: Manifest, firing: FiringSource): Stage {
  const inhibitedBy = new Map<string, string[]>();
  for (const monitor of manifest.monitors) {
    for (const target of monitor.inhibits) {
      if (target === monitor.id) continue;
      inhibitedBy.set(target, [...(inhibitedBy.get(target) ?? []), monitor.id]);
    }
  }
  return async (ctx, items) => {
    const out: Notification[] = [];
    for (const item of items) {
      const type = item.intent.type;
      const sources = inhibitedBy.get(item.intent.monitorId);
      const source = type === "trigger" || type === "remind" ? sources?.find((id) => firing.isMonitorFiring(id)) : undefined;
      if (source) ctx.drop(item, `inhibited while ${source} fires`);
      else out.push(item);
    }
    return out;
  };
}
