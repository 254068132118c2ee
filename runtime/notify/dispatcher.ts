import type { Logger } from "pino";
import type { OutboxReader } from "../alerts/intent.js";
import type { DeliveryQueue, NewDelivery } from "./delivery-queue.js";
import type { ForeignWork } from "./foreign-work.js";
import type { Stage, StageContext } from "./pipeline.js";
import type { Notification } from "./types.js";

/**
 * How long an intent whose dispatch stages keep failing is tried again before it is recorded as
 * not deliverable. The stages read the store (where the alert was paged, the silences, what is
 * firing): a read that failed once (a Redis command that timed out while the write after it went
 * through) must not drop a page, and a stage that fails for good must not hold its alert's later
 * notifications for ever.
 */
export const DISPATCH_RETRY_MS = 5 * 60_000;
/** The wait between two tries of an intent whose dispatch failed. */
export const DISPATCH_RETRY_EVERY_MS = 1_000;

/**
 * Moves intents from the outbox into per-destination delivery rows. Each intent goes through the
 * dispatch stages (route, silence, inhibit, group); its deliveries, the firing set and the
 * outbox's dispatched mark are written in one store operation, so a crash either keeps the intent
 * in the outbox or has it fully recorded, and of two replicas dispatching the same intent only one
 * records it. Intents are taken one at a time in outbox order, so a firing alert inhibits the next
 * intent straight away. An intent whose stages fail stays in the outbox and is tried again (each
 * second, for up to DISPATCH_RETRY_MS) with its alert's later intents waiting behind it, so a
 * resolve never overtakes its trigger; other alerts' intents go on meanwhile.
 */
export class Dispatcher {
  /** Intents whose stages failed, by id: since when, and when they are tried next. */
  private readonly failing = new Map<string, { since: number; nextAt: number }>();

  constructor(
    private readonly outbox: OutboxReader,
    private readonly queue: Pick<DeliveryQueue, "dispatchIntent">,
    private readonly pipeline: Stage,
    private readonly logger: Logger,
    private readonly clock: () => number,
    /** Scale-out: intents of monitors this manifest lacks are left a while to replicas that know them. */
    private readonly foreign?: ForeignWork,
  ) {}

  /**
   * Dispatches up to `limit` intents; returns how many were looked at (dispatched or left to
   * another replica), so that a caller reading on while a whole batch was taken does not spin on
   * intents that wait to be tried again.
   */
  async dispatchOnce(limit = 100): Promise<number> {
    const batch = await this.outbox.undispatched(limit);
    if (batch.length < limit) for (const id of this.failing.keys()) if (!batch.some((s) => s.intent.id === id)) this.failing.delete(id);
    /** Alerts with an intent waiting to be tried again: their later intents wait behind it. */
    const waiting = new Set<string>();
    let looked = 0;
    for (const stored of batch) {
      const now = this.clock();
      const { intent } = stored;
      const failed = this.failing.get(intent.id);
      if (waiting.has(intent.dedupKey) || (failed !== undefined && now < failed.nextAt)) {
        waiting.add(intent.dedupKey);
        continue;
      }
      looked++;
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
        const since = failed?.since ?? now;
        if (now - since < DISPATCH_RETRY_MS) {
          // Left in the outbox: tried again in a second, its alert's later intents behind it.
          if (failed === undefined) this.logger.warn({ err: error, intentId: intent.id }, "dispatch failed; the intent stays in the outbox and is tried again");
          this.failing.set(intent.id, { since, nextAt: now + DISPATCH_RETRY_EVERY_MS });
          waiting.add(intent.dedupKey);
          continue;
        }
        // A stage that fails for good must not hold the alert's later notifications for ever.
        this.logger.error({ err: error, intentId: intent.id }, "dispatch kept failing; intent recorded as not deliverable");
        routed = [];
        dropped.push({ item: initial, reason: `dispatch error: ${error instanceof Error ? error.message : String(error)}` });
      }
      this.failing.delete(intent.id);
      for (const { item, reason } of dropped) {
        this.logger.info({ intentId: item.intent.id, destination: item.destination.id, reason }, "notification suppressed");
      }
      const deliveries: NewDelivery[] = [
        ...routed.map((item) => ({ destination: item.destination.id, status: "pending" as const, due: item.notBefore, reason: null })),
        ...dropped.map(({ item, reason }) => ({ destination: item.destination.id, status: "suppressed" as const, due: now, reason })),
      ];
      await this.queue.dispatchIntent(stored, deliveries, now);
    }
    return looked;
  }
}
