import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_RUNTIME_SETTINGS } from "../../../sdk/manifest/schema.js";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import { retentionOf } from "../retention.js";
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
