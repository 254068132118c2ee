import type { ScheduleSpec } from "../../sdk/manifest/schema.js";
import { durationMs } from "../../sdk/duration.js";
import type { Clock, TimerHandle } from "./clock.js";
import type { TickClaim } from "./tick-claim.js";
import { CronSchedule } from "./cron.js";
import { DueHeap } from "./due-heap.js";
import { spreadOffset } from "./spread.js";
import { WorkQueue } from "./work-queue.js";

/**
 * Runs one monitor's check for the tick scheduled at `scheduledAt` (ms); must settle in bounded
 * time. `claim`, when the scheduler has one, says how long this process alone holds the tick.
 */
export type TickRunner = (monitorId: string, scheduledAt: number, claim?: TickClaim) => Promise<void>;

export interface SchedulerOptions {
  clock: Clock;
  run: TickRunner;
  /** Checks running at once, across all monitors. */
  concurrency: number;
  /** Largest per-monitor offset; never more than the monitor's own period. 0 disables spreading. */
  spreadMs: number;
  /** Called with actual start minus scheduled time, in ms, for every tick that starts. */
  onLag?: (lagMs: number) => void;
  /** Called when a tick is skipped because the previous one of that monitor has not finished. */
  onSkip?: (monitorId: string, scheduledAt: number) => void;
}

interface Entry {
  id: string;
  next: (t: number) => number | null;
  busy: boolean;
}

/** The longest single wait; a re-check bounds the damage of a wall-clock jump. */
const MAX_WAIT_MS = 30_000;

/**
 * A wall clock that steps back by more than this (NTP correcting a fast clock, a VM restored from
 * a snapshot) has every due time in a future the clock left: the monitors are rescheduled from the
 * new time. A smaller step only delays one tick by that much.
 */
const CLOCK_STEP_BACK_MS = 1_000;

/**
 * The embedded scheduler: a min-heap of due times behind a single timer, feeding a bounded work
 * queue. A tick never waits for another monitor's tick; a monitor whose previous tick still runs
 * skips (and reports) the overlapping one instead of piling up.
 */
export class Scheduler {
  private readonly heap = new DueHeap();
  private readonly entries = new Map<string, Entry>();
  private readonly queue: WorkQueue;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private running = false;
  /** The clock's reading at the last timer, to notice it stepping back. */
  private lastFiredAt = -Infinity;

  constructor(private readonly o: SchedulerOptions) {
    this.queue = new WorkQueue(o.concurrency);
  }

  /** Adds a monitor; its first tick is the first scheduled time after now. */
  add(monitorId: string, schedule: ScheduleSpec): void {
    const entry: Entry = { id: monitorId, next: nextFunction(monitorId, schedule, this.o.spreadMs), busy: false };
    this.entries.set(monitorId, entry);
    const at = entry.next(this.o.clock.now());
    if (at !== null) this.heap.push({ at, id: monitorId });
    if (this.running) this.arm();
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  /** Stops scheduling and drops ticks that have not started; running ticks go on. */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
    this.queue.clearWaiting();
  }

  /** Resolves when in-flight ticks have finished, or after `timeoutMs`, whichever is first. */
  async drain(timeoutMs: number): Promise<boolean> {
    let handle: TimerHandle | undefined;
    const timedOut = new Promise<false>((resolve) => {
      handle = this.o.clock.setTimer(() => resolve(false), timeoutMs);
    });
    const done = await Promise.race([this.queue.idle().then(() => true as const), timedOut]);
    handle?.cancel();
    return done;
  }

  /** When the next tick is due while the scheduler runs, or null. */
  nextDueAt(): number | null {
    return this.running ? (this.heap.peek()?.at ?? null) : null;
  }

  /** Ticks waiting for a concurrency slot. */
  get queued(): number {
    return this.queue.queued;
  }

  get active(): number {
    return this.queue.active;
  }

  private arm(): void {
    const top = this.heap.peek();
    if (!this.running || !top) return;
    const now = this.o.clock.now();
    const at = Math.min(top.at, now + MAX_WAIT_MS);
    if (this.timer && at >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.o.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.fire();
    }, at - now);
  }

  private fire(): void {
    const now = this.o.clock.now();
    if (now < this.lastFiredAt - CLOCK_STEP_BACK_MS) this.rescheduleFrom(now);
    this.lastFiredAt = now;
    for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
      this.heap.pop();
      const entry = this.entries.get(top.id);
      if (!entry) continue;
      this.dispatch(entry, top.at);
      // Missed ticks (a stalled process) are skipped, not replayed in a burst.
      const next = entry.next(Math.max(top.at, now));
      if (next === null) continue;
      // The popped entry goes back with its next time: no allocation per tick.
      top.at = next;
      this.heap.push(top);
    }
    this.arm();
  }

  /** Every monitor's next tick worked out again from `now` (after the clock stepped back). */
  private rescheduleFrom(now: number): void {
    this.heap.clear();
    for (const entry of this.entries.values()) {
      const at = entry.next(now);
      if (at !== null) this.heap.push({ at, id: entry.id });
    }
  }

  private dispatch(entry: Entry, scheduledAt: number): void {
    if (entry.busy) {
      this.o.onSkip?.(entry.id, scheduledAt);
      return;
    }
    entry.busy = true;
    this.queue.push(async () => {
      try {
        this.o.onLag?.(this.o.clock.now() - scheduledAt);
        await this.o.run(entry.id, scheduledAt);
      } finally {
        entry.busy = false;
      }
    });
  }
}

/** The "next run strictly after t" function of a schedule, with the monitor's spread offset applied. */
export function nextFunction(monitorId: string, schedule: ScheduleSpec, spreadMs: number): (t: number) => number | null {
  switch (schedule.kind) {
    case "every": {
      const period = Math.max(1, durationMs(schedule.every));
      const offset = spreadOffset(monitorId, Math.min(spreadMs, period));
      // Aligned to the epoch, so replicas and restarts agree on tick times.
      return (t) => (Math.floor((t - offset) / period) + 1) * period + offset;
    }
    case "cron": {
      const cron = new CronSchedule(schedule.expression, schedule.timezone);
      let offset = 0;
      if (spreadMs > 0) {
        const first = cron.nextAfter(0) ?? 0;
        const second = cron.nextAfter(first) ?? first;
        offset = spreadOffset(monitorId, Math.min(spreadMs, Math.max(0, second - first)));
      }
      return (t) => {
        const next = cron.nextAfter(t - offset);
        return next === null ? null : next + offset;
      };
    }
    default: {
      const never: never = schedule;
      throw new Error(`unknown schedule ${JSON.stringify(never)}`);
    }
  }
}
