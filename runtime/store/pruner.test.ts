import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { systemClock } from "../scheduler/clock.js";
import { Pruner } from "./pruner.js";
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
});
