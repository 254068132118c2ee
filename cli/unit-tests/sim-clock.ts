import type { Clock, TimerHandle } from "../../runtime/scheduler/clock.js";

/**
 * The simulation's clock: time moves only when the runner sets it. Timers (a check's deadline)
 * are accepted and never fire, since a simulated check answers at once; a step's latency is
 * simulated time on the stopwatch instead.
 */
export class SimulatedClock implements Clock {
  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  set(t: number): void {
    if (t < this.t) throw new Error(`simulated time cannot go back (${t} < ${this.t})`);
    this.t = t;
  }

  setTimer(): TimerHandle {
    return { cancel: () => undefined };
  }
}
