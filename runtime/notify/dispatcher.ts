import type { Logger } from "pino";
import type { OutboxReader, StoredIntent } from "../alerts/intent.js";
import type { Stage, StageContext } from "./pipeline.js";
import type { DeliveryStore } from "./store/delivery-store.js";
import type { Notification } from "./types.js";

/**
 * Moves intents from the outbox into per-destination delivery rows. Each intent goes through the
 * dispatch stages (route, silence, inhibit, group); its rows, the firing set and the outbox's
 * dispatched mark are written in one transaction, so a crash either keeps the intent in the
 * outbox or has it fully recorded. Intents are taken one at a time in outbox order, so a firing
 * alert inhibits the next intent straight away.
 */
export class Dispatcher {
  private readonly commit: (stored: StoredIntent, routed: Notification[], dropped: { item: Notification; reason: string }[], now: number) => void;

  constructor(
    private readonly outbox: OutboxReader,
    private readonly store: DeliveryStore,
    private readonly pipeline: Stage,
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {
    this.commit = store.db.transaction((stored: StoredIntent, routed: Notification[], dropped: { item: Notification; reason: string }[], now: number) => {
      for (const item of routed) {
        this.store.add({ intent: item.intent, seq: stored.seq, destination: item.destination.id, status: "pending", due: item.notBefore, now, reason: null });
      }
      for (const { item, reason } of dropped) {
        this.store.add({ intent: item.intent, seq: stored.seq, destination: item.destination.id, status: "suppressed", due: now, now, reason });
      }
      this.store.observeAlert(stored.intent);
      this.outbox.markDispatched(stored.seq, now);
    });
  }

  /** Dispatches up to `limit` intents; returns how many were taken from the outbox. */
  async dispatchOnce(limit = 100): Promise<number> {
    const batch = this.outbox.undispatched(limit);
    for (const stored of batch) {
      const now = this.clock();
      const dropped: { item: Notification; reason: string }[] = [];
      const ctx: StageContext = { now, logger: this.logger, drop: (item, reason) => dropped.push({ item, reason }) };
      const initial: Notification = {
        intent: stored.intent,
        destination: { id: "unrouted", kind: "unrouted" },
        notBefore: now,
        deliveryId: null,
        attempts: 0,
        firstDueAt: now,
        outcome: null,
      };
      let routed: Notification[];
      try {
        routed = await this.pipeline(ctx, [initial]);
      } catch (error) {
        // A bug in a stage must not hold every later notification behind this one.
        this.logger.error({ err: error, intentId: stored.intent.id }, "dispatch failed; intent recorded as not deliverable");
        routed = [];
        dropped.push({ item: initial, reason: `dispatch error: ${error instanceof Error ? error.message : String(error)}` });
      }
      for (const { item, reason } of dropped) {
        this.logger.info({ intentId: item.intent.id, destination: item.destination.id, reason }, "notification suppressed");
      }
      this.commit(stored, routed, dropped, now);
    }
    return batch.length;
  }
}
