import { copyFileSync, existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import { SqliteStore } from "./sqlite-store.js";

const T = 1_767_571_200_000; // a whole hour
const MIN = 60_000;
const row = (monitorId: string, at: number, durationMs = 5): ResultRow => ({ monitorId, at, ok: true, firing: false, value: 0, message: "ok", labels: {}, durationMs, error: null });

describe("SQLite rollups: the open minute is held in memory and written once", () => {
  let dir: string;
  let store: SqliteStore;
  const record = (monitorId: string, at: number) => store.recordEvaluation({ monitorId, alerts: [], readVersions: {}, results: [row(monitorId, at)], intents: [], at });
  const stored = (s: SqliteStore, width: number) =>
    s.db.prepare("SELECT monitor_id AS m, start, count FROM rollups WHERE width = ? ORDER BY monitor_id, start").all(width) as Array<{ m: string; start: number; count: number }>;
  /** What a kill -9 leaves on disk: the database files as they are, without close(). */
  const crashCopy = async () => {
    const copy = await mkdtemp(join(tmpdir(), "wk-rollups-crash-"));
    for (const f of ["state.db", "state.db-wal"]) if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(copy, f));
    return copy;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rollups-"));
    store = SqliteStore.open(dir, T);
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a minute when the monitor's next minute begins, with its hour; the views see the open one", async () => {
    for (let s = 0; s < 6; s++) record("api", T + s * 10_000);
    expect(stored(store, MIN)).toEqual([]);
    expect(store.rollups("api", "minute", T, T + MIN).map((b) => b.count)).toEqual([6]);
    expect(store.rollups("api", "hour", T, T + MIN).map((b) => b.count)).toEqual([6]);
    record("api", T + MIN);
    expect(stored(store, MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
    expect(stored(store, 60 * MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
    expect(store.rollups("api", "minute", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 6], [T + MIN, 1]]);
    expect(store.rollups("api", "hour", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 7]]);
  });

  it("a kill loses at most the open minute from the rollups, never the raw results", async () => {
    for (let s = 0; s < 12; s++) record("api", T + s * 10_000);
    const copy = await crashCopy();
    try {
      const after = SqliteStore.open(copy, T + 2 * MIN);
      try {
        expect(stored(after, MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
        expect(after.recentResults("api")).toHaveLength(12);
        // The restarted process goes on in the same minute and the same hour.
        after.recordEvaluation({ monitorId: "api", alerts: [], readVersions: {}, results: [row("api", T + MIN + 55_000)], intents: [], at: T + MIN + 55_000 });
        expect(after.rollups("api", "hour", T, T + HOUR).map((b) => b.count)).toEqual([7]);
      } finally {
        after.close();
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it("close writes the open minutes; the next process adds to the same minute instead of replacing it", () => {
    for (let s = 0; s < 3; s++) record("api", T + s * 10_000);
    store.close();
    store = SqliteStore.open(dir, T + 30_000);
    expect(stored(store, MIN)).toEqual([{ m: "api", start: T, count: 3 }]);
    for (let s = 3; s < 6; s++) record("api", T + s * 10_000);
    record("api", T + MIN);
    expect(stored(store, MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
    expect(stored(store, 60 * MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
  });

  it("a monitor that went quiet has its minute written a minute after it ended, by any commit", () => {
    record("rare", T + 5_000);
    record("busy", T + MIN + 59_000);
    expect(stored(store, MIN)).toEqual([]);
    record("busy", T + 2 * MIN + 10_000);
    expect(stored(store, MIN).filter((r) => r.m === "rare")).toEqual([{ m: "rare", start: T, count: 1 }]);
    // Its next result, minutes later, opens a new minute and adds to the same hour.
    record("rare", T + 5 * MIN);
    record("rare", T + 6 * MIN);
    expect(stored(store, 60 * MIN).filter((r) => r.m === "rare")).toEqual([{ m: "rare", start: T, count: 2 }]);
  });

  it("a batch rolled back for one bad evaluation counts the others' results once, and the bad one's not at all", () => {
    record("api", T + 5_000);
    record("web", T + 5_000);
    const plain = (monitorId: string, at: number) => ({ monitorId, alerts: [], readVersions: {}, results: [row(monitorId, at)], intents: [], at });
    // The bad one throws after its result was written and added: the batch's transaction rolls back.
    const bad = { ...plain("bad", T + 15_000), intents: [{ id: "x:1", type: "trigger" as const, monitorId: "bad", dedupKey: "x", labels: {}, severity: "critical" as const, summary: "s", value: null, details: { size: 1n }, at: T, firedAt: T }] };
    const outcomes = store.recordEvaluations([plain("api", T + 15_000), plain("web", T + MIN + 1_000), bad, plain("new", T + 15_000)]);
    expect(outcomes.map((o) => o.kind)).toEqual(["committed", "committed", "failed", "committed"]);
    const counts = (id: string, res: "minute" | "hour") => store.rollups(id, res, T, T + HOUR).map((b) => [b.start, b.count]);
    expect(counts("api", "minute")).toEqual([[T, 2]]);
    expect(counts("web", "minute")).toEqual([[T, 1], [T + MIN, 1]]);
    expect(counts("web", "hour")).toEqual([[T, 2]]);
    expect(stored(store, MIN).filter((r) => r.m === "web")).toEqual([{ m: "web", start: T, count: 1 }]);
    expect(counts("new", "minute")).toEqual([[T, 1]]);
    expect(counts("bad", "minute")).toEqual([]);
    expect(store.recentResults("bad")).toEqual([]);
  });

  it("a late result (its tick began in a minute already written) is added to that minute and hour", () => {
    record("api", T + 10_000);
    record("api", T + MIN + 10_000);
    record("api", T + 50_000);
    expect(store.rollups("api", "minute", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 2], [T + MIN, 1]]);
    expect(store.rollups("api", "hour", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 3]]);
  });
});

const HOUR = 60 * MIN;
