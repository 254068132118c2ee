import type { Stage } from "../pipeline.js";
import type { DeliveryStore } from "../store/delivery-store.js";
import type { Notification } from "../types.js";
import { sentState } from "./dedup-stage.js";

/** Called after each recorded outcome (metrics, waking the worker). */
export type OutcomeListener = (item: Notification) => void;

/**
 * Writes each outcome to its delivery row (status, attempts, next attempt, the vendor's answer)
 * and, for a sent notification, the notification log that the dedup stage reads, in one
 * transaction: a crash can never leave a sent row without its log entry.
 */
export function recordStage(store: DeliveryStore, onOutcome: OutcomeListener = () => {}): Stage {
  const write = store.db.transaction((items: Notification[], now: number) => {
    for (const item of items) {
      if (item.deliveryId === null || item.outcome === null) continue;
      store.recordOutcome(item.deliveryId, item.attempts, item.outcome, now);
      if (item.outcome.kind === "sent") {
        store.logSent(item.intent.dedupKey, item.destination.id, sentState(item.intent.type), item.outcome.at, item.outcome.ref);
      }
    }
  });
  return async (ctx, items) => {
    write(items, ctx.now);
    for (const item of items) onOutcome(item);
    return items;
  };
}
