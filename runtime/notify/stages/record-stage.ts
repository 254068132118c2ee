import type { DeliveryQueue } from "../delivery-queue.js";
import type { Stage } from "../pipeline.js";
import type { Notification } from "../types.js";
import { sentState } from "./dedup-stage.js";

/** Called after each recorded outcome (metrics, waking the worker). */
export type OutcomeListener = (item: Notification) => void;

/**
 * Writes each outcome to its delivery (status, attempts, next attempt, the vendor's answer) and,
 * for a sent notification, the notification log that the dedup stage reads, in one store
 * operation: a crash can never leave a sent delivery without its log entry.
 */
export function recordStage(store: Pick<DeliveryQueue, "recordOutcome">, onOutcome: OutcomeListener = () => {}): Stage {
  return async (ctx, items) => {
    for (const item of items) {
      if (item.deliveryId === null || item.outcome === null) continue;
      await store.recordOutcome({
        id: item.deliveryId,
        attemptsBefore: item.attempts,
        outcome: item.outcome,
        now: ctx.now,
        logged: item.outcome.kind === "sent" ? { dedupKey: item.intent.dedupKey, destination: item.destination.id, state: sentState(item.intent.type) } : undefined,
      });
    }
    for (const item of items) onOutcome(item);
    return items;
  };
}
