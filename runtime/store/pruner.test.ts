import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { systemClock } from "../scheduler/clock.js";
import { BATCH_TARGET_MS, MIN_BATCH, nextBatchSize, Pruner } from "./pruner.js";
import { retentionOf, type Prunable } from "./retention.js";

describe("pruner pacing", () => {
  it("waits before its next batch while the store's writes are behind (a WAL not yet checkpointed), then goes on", async () => {
    const calls: number[] = [];
    let behindUntil = 0;
    const store: Prunable = {
      prune: () => {
        calls.push(Date.now());
        // Each batch leaves the helper 300 ms of copying to do.
        behindUntil = Date.now() + 300;
        return calls.length <= 3 ? 250 : 0;
      },
      writesBehind: () => Date.now() < behindUntil,
    };
    const pruner = new Pruner({ stores: [store], retention: retentionOf(DEFAULT_RUNTIME_SETTINGS), clock: systemClock, logger: pino({ level: "silent" }) });
    expect(await pruner.runOnce()).toBe(750);
    expect(calls).toHaveLength(4);
    for (let i = 1; i < calls.length; i++) expect(calls[i]! - calls[i - 1]!).toBeGreaterThanOrEqual(290);
  });

  it("a store that never says it is behind is pruned without waiting", async () => {
    let n = 0;
    const store: Prunable = { prune: () => (++n <= 20 ? 1 : 0) };
    const pruner = new Pruner({ stores: [store], retention: retentionOf(DEFAULT_RUNTIME_SETTINGS), clock: systemClock, logger: pino({ level: "silent" }) });
    const t0 = Date.now();
    expect(await pruner.runOnce()).toBe(20);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it("batches shrink until one holds the event loop no longer than the target, and grow back when they are quick", async () => {
    // A large file: 0.5 ms a call and 0.1 ms a row, timed on a stopwatch the store moves.
    let clock = 0;
    let cost = (rows: number) => 0.5 + 0.1 * rows;
    const limits: number[] = [];
    const times: number[] = [];
    let left = 1_000;
    const store: Prunable = {
      prune: (_now, _retention, limit) => {
        limits.push(limit);
        const rows = Math.min(left, limit);
        left -= rows;
        clock += cost(limit);
        times.push(cost(limit));
        return rows;
      },
    };
    const pruner = new Pruner({
      stores: [store], retention: retentionOf(DEFAULT_RUNTIME_SETTINGS), clock: systemClock, logger: pino({ level: "silent" }), stopwatch: () => clock,
    });
    expect(await pruner.runOnce()).toBe(1_000);
    expect(limits[0]).toBe(250);
    // One long batch (25.5 ms), one near the target (its call's fixed cost), then every one within it.
    expect(times[0]).toBeGreaterThan(25);
    expect(times[1]).toBeLessThan(BATCH_TARGET_MS + 1);
    for (const t of times.slice(2)) expect(t).toBeLessThanOrEqual(BATCH_TARGET_MS);
    // The next run starts where this one left off, not at the full size again.
    limits.length = 0;
    times.length = 0;
    left = 100;
    await pruner.runOnce();
    expect(limits[0]).toBeLessThan(250);
    // The file got small (0.01 ms a row): batches grow back to the full size, at most doubling each time.
    cost = (rows) => 0.01 * rows;
    limits.length = 0;
    left = 5_000;
    await pruner.runOnce();
    for (let i = 1; i < limits.length; i++) expect(limits[i]!).toBeLessThanOrEqual(limits[i - 1]! * 2);
    expect(limits.at(-1)).toBe(250);
  });

  it("a batch size never goes below the smallest batch nor above the most a batch may delete", () => {
    expect(nextBatchSize(250, 10_000, 250)).toBe(MIN_BATCH);
    expect(nextBatchSize(250, 0, 250)).toBe(250);
    expect(nextBatchSize(16, 0, 250)).toBe(32);
    expect(nextBatchSize(4, 1_000, 4)).toBe(4);
    expect(nextBatchSize(100, BATCH_TARGET_MS * 2, 250)).toBe(50);
  });

  it("a store that answers asynchronously (Redis: its time is round trips, not the event loop) keeps the full batch", async () => {
    let clock = 0;
    const limits: number[] = [];
    const store: Prunable = {
      prune: async (_now, _retention, limit) => {
        limits.push(limit);
        clock += 20;
        return limits.length <= 3 ? limit : 0;
      },
    };
    const pruner = new Pruner({
      stores: [store], retention: retentionOf(DEFAULT_RUNTIME_SETTINGS), clock: systemClock, logger: pino({ level: "silent" }), stopwatch: () => clock,
    });
    expect(await pruner.runOnce()).toBe(750);
    expect(limits).toEqual([250, 250, 250, 250]);
  });
});
