import type { Logger } from "pino";
import { CLOCK_STEP_BACK_MS } from "../alerts/transition.js";
import type { DeliveryQueue, DeliveryRow } from "./delivery-queue.js";
import type { Destinations } from "./destinations.js";
import type { Stage } from "./pipeline.js";
import { sendDelivery } from "./send-delivery.js";

export interface WorkerOptions {
  /** Concurrent sends per destination; other destinations are never held up by a slow one. */
  maxPerDestination: number;
  /** Longest sleep while nothing is due. */
  idleMs: number;
  /** How long a claimed delivery stays this worker's; after a crash another worker takes it then. */
  leaseMs?: number;
}

/** Longer than any one attempt (SMTP waits up to 2 minutes), short enough to take over a dead replica's sends. */
const DEFAULT_LEASE_MS = 5 * 60_000;

/**
 * Sends due delivery rows through the send stages (dedup, retry, record), asynchronously and
 * per destination: only the oldest pending row of each (dedup key, destination) is eligible, so a
 * resolve never overtakes its trigger, and a slow destination occupies only its own slots. A row
 * is claimed in the store before it is sent, so two workers (replicas) never send the same one.
 */
export class Worker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perDestination = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The clock's reading at the last scan (null before the first), to notice it stepping back. */
  private lastScanAt: number | null = null;

  constructor(
    private readonly store: DeliveryQueue,
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
    this.timer = setTimeout(() => void this.scanLogged(), 0);
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

  /** Starts every eligible due row it can claim; returns how many started. */
  async scan(): Promise<number> {
    this.timer = null;
    if (this.stopped) return 0;
    const now = this.clock();
    // Rows written on a clock that has since stepped back (NTP, a restored VM; or before a restart
    // on such a clock) would wait for the time it left: a retrying page an hour late.
    if (this.store.afterClockStepBack && (this.lastScanAt === null || now < this.lastScanAt - CLOCK_STEP_BACK_MS)) {
      const moved = await this.store.afterClockStepBack(now);
      if (moved > 0) this.logger.warn({ deliveries: moved }, "the clock stepped back: waiting deliveries are due on the new time");
    }
    this.lastScanAt = now;
    const chosen: DeliveryRow[] = [];
    const taking = new Map<string, number>();
    const lanes = new Set<string>();
    for (const row of await this.store.dueHeads(now, 500, this.options.maxPerDestination)) {
      const lane = laneOf(row);
      if (this.inFlight.has(lane) || lanes.has(lane)) continue;
      const count = (this.perDestination.get(row.destination) ?? 0) + (taking.get(row.destination) ?? 0);
      if (count >= this.options.maxPerDestination) continue;
      taking.set(row.destination, (taking.get(row.destination) ?? 0) + 1);
      lanes.add(lane);
      chosen.push(row);
    }
    const won = chosen.length === 0 ? new Set<number>() : new Set(await this.store.claim(chosen.map((r) => r.id), now, this.options.leaseMs ?? DEFAULT_LEASE_MS));
    let started = 0;
    for (const row of chosen) {
      if (this.stopped || !won.has(row.id)) continue;
      const lane = laneOf(row);
      if (this.inFlight.has(lane)) continue;
      this.perDestination.set(row.destination, (this.perDestination.get(row.destination) ?? 0) + 1);
      const run = this.send(row).finally(() => {
        this.inFlight.delete(lane);
        this.perDestination.set(row.destination, (this.perDestination.get(row.destination) ?? 1) - 1);
        this.kick();
      });
      this.inFlight.set(lane, run);
      started++;
    }
    await this.scheduleNext(now);
    return started;
  }

  private async scanLogged(): Promise<void> {
    try {
      await this.scan();
    } catch (error) {
      // The store is failing; look again after the idle wait.
      this.logger.error({ err: error }, "looking for due deliveries failed");
      if (!this.stopped) this.timer = setTimeout(() => void this.scanLogged(), this.options.idleMs);
    }
  }

  private async scheduleNext(now: number): Promise<void> {
    if (this.stopped) return;
    const next = await this.store.nextDueAt();
    if (this.stopped) return;
    // A row already due here is in flight or waiting for a slot; the send that frees it kicks the
    // worker, so there is no need to poll for it.
    const wait = next === null || next <= now ? this.options.idleMs : Math.min(this.options.idleMs, next - now);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.scanLogged(), wait);
  }

  private async send(row: DeliveryRow): Promise<void> {
    await sendDelivery(row, { store: this.store, destinations: this.destinations, pipeline: this.pipeline, logger: this.logger, clock: this.clock });
  }
}

function laneOf(row: DeliveryRow): string {
  return `${row.intent.dedupKey}\u0000${row.destination}`;
}
