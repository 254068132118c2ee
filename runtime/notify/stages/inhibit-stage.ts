import type { Manifest } from "../../../sdk/manifest/schema.js";
import type { Awaitable } from "../../awaitable.js";
import type { Stage } from "../pipeline.js";
import type { Notification } from "../types.js";

/** Which monitors have a firing alert right now (tracked from the outbox stream). */
export interface FiringSource {
  isMonitorFiring(monitorId: string): Awaitable<boolean>;
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
      let source: string | undefined;
      if ((type === "trigger" || type === "remind") && sources) {
        for (const id of sources) {
          if (await firing.isMonitorFiring(id)) {
            source = id;
            break;
          }
        }
      }
      if (source) ctx.drop(item, `inhibited while ${source} fires`);
      else out.push(item);
    }
    return out;
  };
}
