import BetterSqlite3 from "better-sqlite3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS } from "../../../sdk/manifest/schema.js";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import { retentionOf } from "../retention.js";
import { migrate } from "./schema.js";
import { SqliteStore } from "./sqlite-store.js";

const T = 1_767_571_200_000;
const HOUR = 3_600_000;
const row = (monitorId: string, at: number): ResultRow => ({ monitorId, at, ok: true, firing: false, value: 1, message: "ok", labels: {}, durationMs: 3, error: null });

describe("SQLite pruning: monitors that stopped writing are looked for a page at a time", () => {
  let dir: string;
  let store: SqliteStore;
  const retention = retentionOf(DEFAULT_RUNTIME_SETTINGS);
  const write = (monitorId: string, at: number, n = 1) => {
    for (let i = 0; i < n; i++) store.recordEvaluation({ monitorId, alerts: [], readVersions: {}, results: [row(monitorId, at + i)], intents: [], at: at + i });
  };
  /** One pruner run: batches until one deletes nothing. */
  const run = (now: number, limit: number) => {
    let total = 0;
    for (;;) {
      const n = store.prune(now, retention, limit) as number;
      total += n;
      if (n === 0) return total;
    }
  };
  const monitors = () => store.db.prepare("SELECT COUNT(*) FROM history_monitors").pluck().get() as number;
  const results = (monitorId: string) => store.db.prepare("SELECT COUNT(*) FROM results WHERE monitor_id = ?").pluck().get(monitorId) as number;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-prune-"));
    store = SqliteStore.open(dir, T);
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("1,200 monitors that stopped 49 h ago lose every result within three runs; monitors still writing keep theirs", () => {
    for (let i = 0; i < 1200; i++) write(`gone-${String(i).padStart(4, "0")}`, T, 2);
    const now = T + 49 * HOUR;
    write("alive-a", now - 1000, 3);
    write("zz-alive", now - 1000, 3);
    expect(monitors()).toBe(1202);
    let runs = 0;
    while (monitors() > 2 && runs < 10) {
      run(now, 500);
      runs++;
    }
    expect(runs).toBeLessThanOrEqual(3);
    expect(monitors()).toBe(2);
    expect(store.db.prepare("SELECT COUNT(*) FROM results WHERE monitor_id LIKE 'gone-%'").pluck().get()).toBe(0);
    expect(results("alive-a")).toBe(3);
    expect(results("zz-alive")).toBe(3);
  });

  it("a stopped monitor with more results than a batch's budget is emptied over several batches, not skipped", () => {
    write("alive", T + 49 * HOUR - 1000, 1);
    write("big-gone", T, 30);
    write("other-gone", T, 5);
    run(T + 49 * HOUR, 7);
    expect(results("big-gone")).toBe(0);
    expect(results("other-gone")).toBe(0);
    expect(monitors()).toBe(1);
    expect(results("alive")).toBe(1);
  });
});

describe("SQLite pruning: a monitor's newest 50 results stay, by floors read in a sweep", () => {
  let dir: string;
  const retention = { ...retentionOf(DEFAULT_RUNTIME_SETTINGS), results: 24 * HOUR };
  const MIN = 60_000;
  const newest = (store: SqliteStore, monitorId: string) =>
    store.db.prepare("SELECT at FROM results WHERE monitor_id = ? ORDER BY at DESC").pluck().all(monitorId) as number[];
  const write = (store: SqliteStore, monitorId: string, from: number, every: number, n: number) => {
    for (let i = 0; i < n; i++) store.recordEvaluation({ monitorId, alerts: [], readVersions: {}, results: [row(monitorId, from + i * every)], intents: [], at: from + i * every });
  };
  const run = (store: SqliteStore, now: number, kept = retention) => {
    while ((store.prune(now, kept, 25) as number) > 0);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-floors-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("never prunes a monitor's newest 50 with floors from an earlier sweep, waits for a sweep to prune a monitor new since, and prunes to 50 once swept again", () => {
    const first = SqliteStore.open(dir, T);
    try {
      write(first, "slowing", T - 119 * 10 * MIN, 10 * MIN, 120);
      write(first, "late", T - 30 * HOUR, 10 * MIN, 60);
    } finally {
      first.close();
    }
    const now = T + 48 * HOUR;
    const store = SqliteStore.open(dir, now - MIN);
    try {
      // A prune a minute earlier (with a window long enough that no monitor is stale yet) sweeps the
      // floors, stored in the database, that the next one uses.
      run(store, now - MIN, { ...retention, results: 72 * HOUR });
      // Written after the sweep: floors only rise, so the swept ones are now too low.
      write(store, "slowing", T + 36 * HOUR, 11 * HOUR, 2);
      write(store, "late", T + 47 * HOUR, HOUR, 1);
      write(store, "fresh", T + 2 * HOUR, 10 * MIN, 60);
      write(store, "fresh", T + 47 * HOUR, HOUR, 1);
      run(store, now);
      // Everything but the last rows is past the 24 h window; stale floors keep more, never less.
      expect([newest(store, "slowing").length, newest(store, "late").length, newest(store, "fresh").length]).toEqual([52, 51, 61]);
      // Past the sweep interval: floors read again, and each monitor keeps exactly its newest 50.
      const later = now + 10 * MIN;
      const before = { slowing: newest(store, "slowing"), late: newest(store, "late"), fresh: newest(store, "fresh") };
      run(store, later);
      for (const [id, rows] of Object.entries(before)) expect({ id, kept: newest(store, id) }).toEqual({ id, kept: rows.slice(0, 50) });
    } finally {
      store.close();
    }
  });

  it("a floor that is not a number (a hand-edited or damaged file) keeps every row of its monitor until the next sweep, then the newest 50", () => {
    const now = T + 48 * HOUR;
    const store = SqliteStore.open(dir, now - MIN);
    try {
      write(store, "api", T, MIN, 80);
      write(store, "api", now - 2 * MIN, MIN, 1);
      run(store, now - MIN, { ...retention, results: 72 * HOUR });
      // In SQLite any text compares above every number.
      store.db.prepare("UPDATE history_monitors SET kept_floor = 'not a number' WHERE monitor_id = 'api'").run();
      run(store, now);
      expect(newest(store, "api")).toHaveLength(81);
      run(store, now + 10 * MIN);
      expect(newest(store, "api")).toEqual([now - 2 * MIN, ...Array.from({ length: 49 }, (_, i) => T + (79 - i) * MIN)]);
    } finally {
      store.close();
    }
  });

  it("a state folder from before floors were stored (schema 7) upgrades with none (nothing of a monitor goes by age), and its first prune sweeps them and keeps the newest 50", () => {
    const old = new BetterSqlite3(join(dir, "state.db"));
    migrate(old, 7);
    const insert = old.prepare("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, 1, 0, 1, 'ok', '{}', 5, NULL)");
    for (let i = 0; i < 80; i++) insert.run("api", T + i * MIN);
    old.prepare("INSERT INTO history_monitors (monitor_id) VALUES ('api')").run();
    old.close();
    const now = T + 48 * HOUR;
    const store = SqliteStore.open(dir, now);
    try {
      expect(store.db.prepare("SELECT kept_floor FROM history_monitors").pluck().all()).toEqual([null]);
      write(store, "api", now - MIN, MIN, 1);
      run(store, now);
      expect(newest(store, "api")).toEqual([now - MIN, ...Array.from({ length: 49 }, (_, i) => T + (79 - i) * MIN)]);
    } finally {
      store.close();
    }
  });
});
