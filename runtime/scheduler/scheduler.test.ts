import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/runtime/support/fake-clock.js";
import { CronSchedule, normaliseCron } from "./cron.js";
import { systemClock } from "./clock.js";
import { Scheduler, nextFunction } from "./scheduler.js";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0); // a Monday

describe("cron schedules", () => {
  it("accepts 5-field, 6-field with seconds and Quartz `?` forms", () => {
    expect(new CronSchedule("*/5 * * * *", "UTC").nextAfter(T0)).toBe(T0 + 5 * 60_000);
    expect(new CronSchedule("*/15 * * * * *", "UTC").nextAfter(T0)).toBe(T0 + 15_000);
    expect(normaliseCron("0 * * ? * *")).toBe("0 * * * * *");
    expect(new CronSchedule("0 * * ? * *", "UTC").nextAfter(T0)).toBe(T0 + 60_000);
    expect(new CronSchedule("0 0 9 ? * MON-FRI", "UTC").nextAfter(T0)).toBe(Date.UTC(2026, 0, 6, 9, 0, 0));
  });

  it("honours the IANA time zone, including daylight saving", () => {
    expect(new CronSchedule("0 9 * * *", "America/New_York").nextAfter(T0)).toBe(Date.UTC(2026, 0, 5, 14, 0, 0));
    expect(new CronSchedule("0 9 * * *", "America/New_York").nextAfter(Date.UTC(2026, 6, 1))).toBe(Date.UTC(2026, 6, 1, 13, 0, 0));
  });

  it("rejects expressions with the wrong number of fields", () => {
    expect(() => normaliseCron("* * *")).toThrow(/5 fields/);
    expect(normaliseCron("@hourly")).toBe("@hourly");
    expect(new CronSchedule("@hourly", "UTC").nextAfter(Date.UTC(2026, 0, 1, 10, 30))).toBe(Date.UTC(2026, 0, 1, 11, 0));
  });
});

describe("spread", () => {
  it("spreads 10,000 monitors on one interval evenly and deterministically", () => {
    const perSecond = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const at = nextFunction(`m-${i}`, { kind: "every", every: "10s" }, 10_000)(T0)!;
      expect(at).toBeGreaterThan(T0);
      expect(at).toBeLessThanOrEqual(T0 + 10_000);
      perSecond[Math.floor(((at - T0 - 1) % 10_000) / 1000)]!++;
    }
    for (const n of perSecond) expect(n).toBeGreaterThan(800);
    const a = nextFunction("m-1", { kind: "every", every: "10s" }, 10_000)(T0);
    expect(nextFunction("m-1", { kind: "every", every: "10s" }, 10_000)(T0)).toBe(a);
  });

  it("offsets cron ticks by at most the spread window", () => {
    const next = nextFunction("x", { kind: "cron", expression: "0 * * * *", timezone: "UTC" }, 30_000);
    const at = next(T0)!;
    // The 12:00 tick, moved by the monitor's offset, is still ahead of 12:00:00.
    expect(at).toBeGreaterThan(T0);
    expect(at).toBeLessThan(T0 + 30_000);
    expect(next(at)).toBe(at + 3_600_000);
  });
});

describe("Scheduler", () => {
  it("runs every monitor at its times and measures the lag", async () => {
    const clock = new FakeClock(T0);
    const runs: Array<[string, number]> = [];
    const lags: number[] = [];
    const s = new Scheduler({ clock, concurrency: 4, spreadMs: 0, onLag: (l) => lags.push(l), run: async (id, at) => void runs.push([id, at]) });
    s.add("a", { kind: "every", every: "10s" });
    s.add("b", { kind: "every", every: "30s" });
    s.start();
    await clock.advance(30_000);
    expect(runs.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]))).toEqual([
      ["a", T0 + 10_000], ["a", T0 + 20_000], ["a", T0 + 30_000], ["b", T0 + 30_000],
    ]);
    expect(lags).toEqual([0, 0, 0, 0]);
    s.stop();
    await clock.advance(60_000);
    expect(runs).toHaveLength(4);
  });

  it("never runs more than the concurrency limit at once, and queued ticks report their wait as lag", async () => {
    const clock = new FakeClock(T0);
    let running = 0;
    let peak = 0;
    const lags: number[] = [];
    const s = new Scheduler({
      clock, concurrency: 2, spreadMs: 0, onLag: (l) => lags.push(l),
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => clock.setTimer(resolve, 1000));
        running--;
      },
    });
    for (let i = 0; i < 6; i++) s.add(`m${i}`, { kind: "every", every: "1m" });
    s.start();
    await clock.advance(60_000 + 5_000);
    expect(peak).toBe(2);
    expect(lags.sort((x, y) => x - y)).toEqual([0, 0, 1000, 1000, 2000, 2000]);
  });

  it("keeps ticking other monitors while one check hangs, and skips the hung monitor's overlapping ticks", async () => {
    const clock = new FakeClock(T0);
    const runs: string[] = [];
    const skipped: string[] = [];
    const s = new Scheduler({
      clock, concurrency: 8, spreadMs: 0, onSkip: (id) => skipped.push(id),
      run: async (id) => {
        runs.push(id);
        if (id === "hung") await new Promise<void>(() => undefined);
      },
    });
    s.add("hung", { kind: "every", every: "10s" });
    s.add("fine", { kind: "every", every: "10s" });
    s.start();
    await clock.advance(50_000);
    expect(runs.filter((r) => r === "fine")).toHaveLength(5);
    expect(runs.filter((r) => r === "hung")).toHaveLength(1);
    expect(skipped).toEqual(["hung", "hung", "hung", "hung"]);
    s.stop();
    const drained = s.drain(1000);
    await clock.advance(1000);
    expect(await drained).toBe(false);
  });
  it("keeps ticking when the wall clock steps back an hour (NTP, a restored VM), from the new time", async () => {
    const clock = new FakeClock(T0);
    const runs: number[] = [];
    const s = new Scheduler({ clock, concurrency: 4, spreadMs: 0, run: async (_id, at) => void runs.push(at) });
    s.add("a", { kind: "every", every: "10s" });
    s.start();
    await clock.advance(20_000);
    expect(runs).toEqual([T0 + 10_000, T0 + 20_000]);
    clock.step(T0 - 3_600_000);
    await clock.advance(60_000);
    // Within one re-check (30 s) the monitor runs again, at times of the new clock.
    const after = runs.slice(2);
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after[0]).toBeLessThanOrEqual(T0 - 3_600_000 + 40_000);
    for (let i = 1; i < after.length; i++) expect(after[i]! - after[i - 1]!).toBe(10_000);
    s.stop();
  });

  it("does not repeat or skip ticks when the clock steps back less than a second", async () => {
    const clock = new FakeClock(T0);
    const runs: number[] = [];
    const s = new Scheduler({ clock, concurrency: 4, spreadMs: 0, run: async (_id, at) => void runs.push(at) });
    s.add("a", { kind: "every", every: "10s" });
    s.start();
    await clock.advance(15_000);
    clock.step(clock.now() - 500);
    await clock.advance(20_000);
    expect(runs).toEqual([T0 + 10_000, T0 + 20_000, T0 + 30_000]);
    s.stop();
  });
});

describe("systemClock", () => {
  it("waits past Node's longest timer instead of firing at once", async () => {
    let fired = false;
    const handle = systemClock.setTimer(() => (fired = true), 30 * 24 * 3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fired).toBe(false);
    handle.cancel();
  });
});
