import type { Manifest } from "../../../sdk/manifest/schema.js";
import type { IntentType } from "../../alerts/intent.js";
import type { Awaitable } from "../../awaitable.js";
import type { Stage } from "../pipeline.js";
import type { Notification } from "../types.js";
import { isAckOnlyDestination, isEmergency } from "./route-stage.js";
import { monitorsById } from "../../monitors-by-id.js";
import { triggerMayHaveReached, type AlertDeliveries } from "../trigger-tried.js";

/** The notification log: what was last sent per (dedup key, destination). */
export interface NotifyLog {
  lastSent(dedupKey: string, destination: string): Awaitable<{ state: string; ref: string | null } | null>;
}

/** The state a sent intent leaves at the vendor: a reminder re-sends the trigger. */
export function sentState(type: IntentType): "trigger" | "resolve" | "acknowledge" {
  switch (type) {
    case "trigger":
    case "remind":
      return "trigger";
    case "resolve":
      return "resolve";
    case "acknowledge":
      return "acknowledge";
  }
}

/**
 * Why this notification must not be sent given what was last sent, or null to send it. `triggerTried`:
 * a trigger's attempt since the last resolve may have reached the vendor unrecorded (trigger-tried.ts).
 */
export function dedupReason(type: IntentType, last: string | null, ackAudience: boolean, repeatable: boolean, triggerTried = false): string | null {
  switch (type) {
    case "trigger":
      if (repeatable) return null;
      return last === "trigger" || last === "acknowledge" ? "already triggered" : null;
    case "remind":
      return ackAudience ? "reminders go to responders only" : null;
    case "resolve":
      return last === "trigger" || last === "acknowledge" || triggerTried ? null : "no trigger was sent for this alert";
    case "acknowledge":
      if (last === "acknowledge") return "already acknowledged";
      return ackAudience || last === "trigger" ? null : "no trigger was sent for this alert";
  }
}

/**
 * Runs just before sending: never sends the same state twice per (dedup key, destination). A
 * trigger after a trigger is dropped unless it is a reminder or an emergency report; a resolve
 * goes only after a sent trigger, or one whose attempt was cut off and may have reached the vendor. Reads the durable log, so a restart cannot re-page. Of a monitor
 * that left the manifest (not renamed through `previousIds`), only resolves are sent.
 */
export function dedupStage(manifest: Manifest, log: NotifyLog & Partial<AlertDeliveries>): Stage {
  const monitors = monitorsById(manifest);
  const renamed = new Set(manifest.monitors.flatMap((m) => m.previousIds ?? []));
  return async (ctx, items) => {
    const out: Notification[] = [];
    for (const item of items) {
      const monitor = monitors.get(item.intent.monitorId);
      // A delivery queued before a rollout removed its monitor: the rollout resolved the alert,
      // so only its resolve may still go; a trigger sent now would open an incident nothing closes.
      if (!monitor && !renamed.has(item.intent.monitorId) && item.intent.type !== "resolve") {
        ctx.drop(item, `monitor ${item.intent.monitorId} left the manifest`);
        continue;
      }
      const last = await log.lastSent(item.intent.dedupKey, item.destination.id);
      const ackAudience = monitor ? isAckOnlyDestination(monitor, item.destination.id) : false;
      const unsent = item.intent.type === "resolve" && last?.state !== "trigger" && last?.state !== "acknowledge";
      const tried = unsent && log.deliveriesForAlert ? triggerMayHaveReached(await log.deliveriesForAlert(item.intent.dedupKey), item.destination.id) : false;
      const reason = dedupReason(item.intent.type, last?.state ?? null, ackAudience, isEmergency(item.intent), tried);
      if (reason) ctx.drop(item, reason);
      else out.push(item);
    }
    return out;
  };
}
