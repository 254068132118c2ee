import type { Clock, TimerHandle } from "../../../runtime/scheduler/clock.js";

/** A clock that only moves when the test says so; timers fire in time order during advance(). */
export class FakeClock implements Clock {
  private timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  private seq = 0;

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(timer);
    return { cancel: () => void (this.timers = this.timers.filter((x) => x !== timer)) };
  }

  /**
   * Steps the clock to `t` at once, as NTP or a restored VM steps a wall clock (backwards too);
   * pending timers keep their remaining waits.
   */
  step(t: number): void {
    const by = t - this.t;
    for (const timer of this.timers) timer.at += by;
    this.t = t;
  }

  /** Moves time forward by `ms`, firing due timers and letting promise callbacks run after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
      await flush();
    }
    this.t = target;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
