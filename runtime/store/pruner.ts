import { uptime } from "node:os";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { systemClock, type Clock, type TimerHandle } from "../scheduler/clock.js";
import { PRUNE_BATCH, type Prunable, type RetentionMs } from "./retention.js";

/** How often the pruner runs; retention is days long, so minutes of slack cost nothing. */
export const PRUNE_EVERY_MS = 5 * 60_000;

export interface PrunerOptions {
  stores: Prunable[];
  retention: RetentionMs;
  clock: Clock;
  logger: Logger;
  everyMs?: number;
  /** The most rows a batch deletes per table; it starts there and shrinks when batches run long (BATCH_TARGET_MS). */
  batch?: number;
  /** Milliseconds that only move forward, to time a batch; performance.now() unless a test passes its own. */
  stopwatch?: () => number;
  /** Told after each batch: how long it held the event loop and the rows it deleted (metrics). */
  onBatch?: (ms: number, rows: number) => void;
  /**
   * Milliseconds from a clock that no one sets (the host's time since boot, which counts a
   * suspend too): what tells a wall clock that jumped ahead from time that passed. Defaults to
   * the host's uptime with the system clock; with another clock (tests) there is no such guard.
   */
  monotonic?: () => number;
}

/**
 * How far the wall clock may run ahead of the time the pruner has seen pass before pruning is
 * held. A clock stepped a year ahead (a VM restored with a bad RTC, NTP gone wrong) would
 * otherwise have every row deleted as a year old, irreversibly, within minutes.
 */
export const CLOCK_AHEAD_HOLD_MS = 60 * 60_000;

/**
 * At most this share of the event loop goes to pruning while a run has work: a batch that took
 * t ms is followed by a pause of t·(1 - share)/share ms. A week's backlog at 10,000 monitors is
 * 300,000 results every 5 minutes, tens of seconds of deletes on a large file; back to back
 * (a turn of the event loop between batches) they held ticks back by seconds (bench/results/history.md).
 */
const PRUNE_SHARE = 0.2;
/** Real milliseconds, whatever the clock: the pause is about the CPU the batch just took. */
const PAUSE_MAX_MS = 1_000;

/**
 * How long the pruner waits at most, a poll at a time, for a store whose writes are behind
 * (writesBehind) before it deletes again anyway.
 */
const BEHIND_WAIT_MAX_MS = 30_000;
const BEHIND_POLL_MS = 100;

/** A batch quicker than this is followed by a turn of the event loop only: no tick notices it. */
const PAUSE_FROM_MS = 2;

/**
 * How long one batch may hold the event loop. A batch is synchronous: every millisecond of it is a
 * millisecond some tick may start late. The rows it takes to fill this vary by the file (250
 * results took p50 4 ms and p99 34-50 ms on a week's state at 10,000 monitors, whose leaves are
 * spread over the disk; well under 1 ms on a small file), so the batch size follows what batches
 * took: it shrinks at once when one runs long and grows back at most twice as large per batch.
 * On the week's state, 4 ms left no batch over 50 ms in a run of 5 minutes' expiry, where 8 ms left
 * three (bench/results/history.md); a batch at 4 ms still deletes several times what expires.
 */
export const BATCH_TARGET_MS = 4;
/** The smallest batch: below it a batch's fixed costs (a statement per table) are most of its time. */
export const MIN_BATCH = 16;

/** The next batch size after one of `limit` rows took `spentMs`. */
export function nextBatchSize(limit: number, spentMs: number, max: number): number {
  const factor = Math.min(2, BATCH_TARGET_MS / Math.max(spentMs, 0.01));
  return Math.max(Math.min(MIN_BATCH, max), Math.min(max, Math.floor(limit * factor)));
}

function pause(spentMs: number): Promise<void> {
  if (spentMs < PAUSE_FROM_MS) return new Promise((resolve) => setImmediate(resolve));
  const ms = Math.min(PAUSE_MAX_MS, (spentMs * (1 - PRUNE_SHARE)) / PRUNE_SHARE);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Deletes expired rows from every store in the background (Alertmanager's GC): on a timer, in
 * small batches, pausing between batches so that pruning takes at most a fifth of the event loop
 * and checks and webhooks keep running on time.
 */
export class Pruner {
  private timer: TimerHandle | null = null;
  private running: Promise<number> = Promise.resolve(0);
  private stopped = true;
  /** Set by stop(): a run in progress ends after its current batch. */
  private halted = false;
  private readonly monotonic: (() => number) | null;
  /** The smallest `wall clock - monotonic` seen: the wall clock as it was before any jump ahead. */
  private trustedOffset: number | null = null;
  /** Each store's batch size as the last batches left it, kept from one run to the next. */
  private readonly limits = new Map<Prunable, number>();
  private readonly stopwatch: () => number;

  constructor(private readonly o: PrunerOptions) {
    this.monotonic = o.monotonic ?? (o.clock === systemClock ? () => uptime() * 1000 : null);
    this.stopwatch = o.stopwatch ?? (() => performance.now());
  }

  /** Runs once soon after start, then every `everyMs`. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halted = false;
    this.schedule(0);
  }

  /** Cancels the timer and waits for a run in progress to finish its batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  /** The run in progress (or the last one): resolves with the rows it deleted. */
  settled(): Promise<number> {
    return this.running;
  }

  /** Prunes every store until nothing expired is left; returns the rows deleted. */
  async runOnce(): Promise<number> {
    const max = this.o.batch ?? PRUNE_BATCH;
    let total = 0;
    for (const store of this.o.stores) {
      for (;;) {
        if (this.halted) break;
        // The clock read per batch: a paced run spans a minute or more, and what expires meanwhile goes too.
        const now = this.trustedNow();
        if (now === null) return total;
        const limit = Math.min(max, this.limits.get(store) ?? max);
        const started = this.stopwatch();
        const pending = store.prune(now, this.o.retention, limit);
        // Only a store that answers synchronously (SQLite) holds the event loop for the batch's
        // time; an asynchronous one's time is mostly its round trips (Redis), which hold no tick.
        const holdsLoop = !(pending instanceof Promise);
        const deleted = await pending;
        const spent = this.stopwatch() - started;
        if (holdsLoop) this.limits.set(store, nextBatchSize(limit, spent, max));
        this.o.onBatch?.(spent, deleted);
        total += deleted;
        if (deleted === 0) break;
        await pause(spent);
        // A delete dirties pages all over a large file: the next waits until they are on disk.
        for (let waited = 0; !this.halted && waited < BEHIND_WAIT_MAX_MS && store.writesBehind?.() === true; waited += BEHIND_POLL_MS) {
          await new Promise((resolve) => setTimeout(resolve, BEHIND_POLL_MS));
        }
      }
    }
    if (total > 0) this.o.logger.info({ deleted: total }, "pruned state past its retention");
    return total;
  }

  /**
   * The wall clock's time, or null (and a warning) while it is more than CLOCK_AHEAD_HOLD_MS ahead
   * of the time that has passed since the earliest reading: pruning then waits for the clock to
   * come back. A clock that steps back only makes a run delete less, and becomes the reference.
   * A jump that was a correction (a host that booted with its clock behind) is accepted by a
   * restart, which takes the clock as it finds it.
   */
  private trustedNow(): number | null {
    const now = this.o.clock.now();
    if (this.monotonic === null) return now;
    const offset = now - this.monotonic();
    if (this.trustedOffset === null || offset < this.trustedOffset) this.trustedOffset = offset;
    const ahead = offset - this.trustedOffset;
    if (ahead <= CLOCK_AHEAD_HOLD_MS) return now;
    this.o.logger.warn(
      { aheadMs: Math.round(ahead) },
      `the wall clock is ${formatAhead(ahead)} ahead of the time that has passed since the runtime first read it (a clock that jumped?): ` +
        "pruning is held so that history is not deleted as if it were that old; it resumes once the clock is back, or restart the runtime to accept the new time",
    );
    return null;
  }

  private schedule(ms: number): void {
    this.timer = this.o.clock.setTimer(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => {
          // A failed prune is retried on the next run; the runtime keeps working meanwhile.
          this.o.logger.error({ err: error }, "pruning expired state failed");
          return 0;
        })
        .finally(() => {
          if (!this.stopped) this.schedule(this.o.everyMs ?? PRUNE_EVERY_MS);
        });
    }, ms);
  }
}

function formatAhead(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.round(hours / 24)} days` : `${Math.round(hours)} hours`;
}
