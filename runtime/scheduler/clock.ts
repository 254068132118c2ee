/** A timer handle as returned by a Clock. */
export interface TimerHandle {
  cancel(): void;
}

/** The only way the runtime reads time or waits; tests pass a fake one. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

/**
 * The longest wait Node's timers keep: a longer one fires after 1 ms, so a 30-day timeout would
 * end every check at once. The schema caps durations; the clock still never waits less than asked.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The real clock: Date.now and setTimeout. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    if (ms > MAX_TIMER_MS) {
      // Waits in steps; cancel() reaches whichever step is pending.
      let handle: TimerHandle = systemClock.setTimer(() => (handle = systemClock.setTimer(fn, ms - MAX_TIMER_MS)), MAX_TIMER_MS);
      return { cancel: () => handle.cancel() };
    }
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};
