import type { Logger } from "pino";
import type { Destinations } from "./destinations.js";
import type { Stage, StageContext } from "./pipeline.js";
import type { DeliveryRow, DeliveryStore } from "./store/delivery-store.js";
import type { Notification } from "./types.js";

export interface WorkerOptions {
  /** Concurrent sends per destination; other destinations are never held up by a slow one. */
  maxPerDestination: number;
  /** Longest sleep while nothing is due. */
  idleMs: number;
}

/**
 * Sends due delivery rows through the send stages (dedup, retry, record), asynchronously and
 * per destination: only the oldest pending row of each (dedup key, destination) is eligible, so a
 * resolve never overtakes its trigger, and a slow destination occupies only its own slots.
 */
export class Worker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perDestination = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly store: DeliveryStore,
    private readonly destinations: Destinations,
    private readonly pipeline: Stage,
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly options: WorkerOptions,
  ) {}

  /** Looks for due rows now. */
  kick(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.scan(), 0);
  }

  /** Stops starting new sends; resolves when in-flight sends have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Sends currently under way. */
  busy(): number {
    return this.inFlight.size;
  }

  /** Starts every eligible due row; returns how many started. */
  scan(): number {
    this.timer = null;
    if (this.stopped) return 0;
    const now = this.clock();
    let started = 0;
    for (const row of this.store.dueHeads(now, 500)) {
      const lane = `${row.intent.dedupKey}\u0000${row.destination}`;
      if (this.inFlight.has(lane)) continue;
      const count = this.perDestination.get(row.destination) ?? 0;
      if (count >= this.options.maxPerDestination) continue;
      this.perDestination.set(row.destination, count + 1);
      const run = this.send(row).finally(() => {
        this.inFlight.delete(lane);
        this.perDestination.set(row.destination, (this.perDestination.get(row.destination) ?? 1) - 1);
        this.kick();
      });
      this.inFlight.set(lane, run);
      started++;
    }
    this.scheduleNext(now);
    return started;
  }

  private scheduleNext(now: number): void {
    if (this.stopped) return;
    const next = this.store.nextDueAt();
    // A row already due here is in flight or waiting for a slot; the send that frees it kicks the
    // worker, so there is no need to poll for it.
    const wait = next === null || next <= now ? this.options.idleMs : Math.min(this.options.idleMs, next - now);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.scan(), wait);
  }

  private async send(row: DeliveryRow): Promise<void> {
    const destination = this.destinations.get(row.destination);
    const now = this.clock();
    if (!destination) {
      this.store.markSkipped(row.id, row.attempts, `destination ${row.destination} is no longer in the manifest`, now);
      return;
    }
    const item: Notification = {
      intent: row.intent,
      destination,
      notBefore: row.nextAttemptAt,
      deliveryId: row.id,
      attempts: row.attempts,
      firstDueAt: row.firstDueAt,
      outcome: null,
    };
    const ctx: StageContext = {
      now,
      logger: this.logger,
      drop: (dropped, reason) => {
        this.store.markSkipped(row.id, row.attempts, reason, this.clock());
        this.logger.debug({ dedupKey: dropped.intent.dedupKey, destination: row.destination, reason }, "notification skipped");
      },
    };
    try {
      await this.pipeline(ctx, [item]);
    } catch (error) {
      // The row stays pending; pushing its due time back keeps a persistent fault from spinning.
      this.logger.error({ err: error, deliveryId: row.id }, "send pipeline failed");
      try {
        this.store.recordOutcome(row.id, row.attempts, { kind: "deferred", at: now + 5_000, reason: "internal error while sending" }, now);
      } catch {
        // the database itself is failing; the next scan will try again
      }
    }
  }
}
