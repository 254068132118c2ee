import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import type { Clock } from "../../runtime/scheduler/clock.js";
import { Pruner } from "../../runtime/store/pruner.js";
import { retentionOf, type Prunable } from "../../runtime/store/retention.js";

const T = 1_767_571_200_000;
const YEAR = 365 * 86_400_000;

/** A wall clock that can be stepped, beside a clock that cannot (the host's time since boot). */
function steppedClock() {
  const state = { wall: T, sinceBoot: 1_000_000 };
  const clock: Clock = { now: () => state.wall, setTimer: () => ({ cancel() {} }) };
  const advance = (ms: number): void => {
    state.wall += ms;
    state.sinceBoot += ms;
  };
  return { state, clock, advance, monotonic: () => state.sinceBoot };
}

/** A store that would delete everything older than `now - retention`; it notes each `now` it was given. */
function recordingStore() {
  const seen: number[] = [];
  let left = 3;
  const store: Prunable = {
    prune: (now) => {
      seen.push(now);
      return left > 0 ? left-- : 0;
    },
  };
  return { store, seen };
}

describe("pruner against a wall clock that jumps", () => {
  it("a clock a year ahead holds pruning (history is not deleted as a year old) and says so; it resumes when the clock comes back", async () => {
    const { state, clock, advance, monotonic } = steppedClock();
    const { store, seen } = recordingStore();
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const pruner = new Pruner({ stores: [store], retention: retentionOf(DEFAULT_RUNTIME_SETTINGS), clock, logger, monotonic });
    await pruner.runOnce();
    expect(seen.every((now) => now === T)).toBe(true);
    seen.length = 0;

    advance(5 * 60_000);
    state.wall += YEAR; // NTP gone wrong, a VM restored with a bad RTC
    expect(await pruner.runOnce()).toBe(0);
    expect(seen).toEqual([]);
    expect(lines.some((l) => l.level === 40 && /ahead/.test(l.msg) && /pruning/.test(l.msg))).toBe(true);

    advance(5 * 60_000);
    state.wall -= YEAR; // corrected
    await pruner.runOnce();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((now) => now < T + YEAR)).toBe(true);
  });

  it("a clock that steps back, then forward again to where it was, prunes as usual", async () => {
    const { state, clock, advance, monotonic } = steppedClock();
    const { store, seen } = recordingStore();
    const pruner = new Pruner({ stores: [store], retention: retentionOf(DEFAULT_RUNTIME_SETTINGS), clock, logger: pino({ level: "silent" }), monotonic });
    state.wall += 10 * 60_000; // a fast clock at start...
    await pruner.runOnce();
    state.wall -= 10 * 60_000; // ...corrected back
    advance(5 * 60_000);
    seen.length = 0;
    await pruner.runOnce();
    expect(seen.length).toBeGreaterThan(0);
  });
});
