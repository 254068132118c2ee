import type { Logger } from "pino";
import type { OutboxReader } from "../alerts/intent.js";
import type { DeliveryQueue, NewDelivery } from "./delivery-queue.js";
import type { ForeignWork } from "./foreign-work.js";
import type { Stage, StageContext } from "./pipeline.js";
import type { Notification } from "./types.js";

/**
 * Moves intents from the outbox into per-destination delivery rows. Each intent goes through the
 * dispatch stages (route, silence, inhibit, group); its deliveries, the firing set and the
 * outbox's dispatched mark are written in one store operation, so a crash either keeps the intent
 * in the outbox or has it fully recorded, and of two replicas dispatching the same intent only one
 * records it. Intents are taken one at a time in outbox order, so a firing alert inhibits the next
 * intent straight away.
 */
export class Dispatcher {
  constructor(
    private readonly outbox: OutboxReader,
    private readonly queue: Pick<DeliveryQueue, "dispatchIntent">,
    private readonly pipeline: Stage,
    private readonly logger: Logger,
    private readonly clock: () => number,
    /** Scale-out: intents of monitors this manifest lacks are left a while to replicas that know them. */
    private readonly foreign?: ForeignWork,
  ) {}

  /** Dispatches up to `limit` intents; returns how many were taken from the outbox. */
  async dispatchOnce(limit = 100): Promise<number> {
    const batch = await this.outbox.undispatched(limit);
    for (const stored of batch) {
      const now = this.clock();
      const why = this.foreign?.whyForeign(stored.intent) ?? null;
      if (why !== null && this.foreign!.stillLeft(stored.createdAt, now)) {
        // A newer manifest's monitor (a rollout in progress): its replicas route it as it says.
        this.logger.debug({ intentId: stored.intent.id, reason: why }, "intent left to a replica whose manifest knows its monitor");
        continue;
      }
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
      const deliveries: NewDelivery[] = [
        ...routed.map((item) => ({ destination: item.destination.id, status: "pending" as const, due: item.notBefore, reason: null })),
        ...dropped.map(({ item, reason }) => ({ destination: item.destination.id, status: "suppressed" as const, due: now, reason })),
      ];
      await this.queue.dispatchIntent(stored, deliveries, now);
    }
    return batch.length;
  }
}
