import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResultRow } from "../../runtime/evaluate/evaluation-store.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { monitorHistory, monitorHistoryFromHours } from "../../runtime/views/history-view.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Uptime over the last `ms` as the raw results say it: unknown results left out, failures down. */
async function byHand(store: SqliteStore, monitorId: string, now: number, ms: number): Promise<number> {
  const raw = store.resultsBetween(monitorId, now - ms, now + 1, 1_000_000).filter((r) => r.firing !== null);
  return raw.filter((r) => r.firing === false).length / raw.length;
}

describe("the overview's history from day rollups", () => {
  it.each(["2026-12-01T15:37:00Z", "2026-12-01T00:20:00Z", "2026-12-01T23:59:59Z"])("shows the same bars and sparkline as summing 90 days of hours, and the raw results' uptime over each window (at %s)", async (time) => {
    const dir = await mkdtemp(join(tmpdir(), "wk-history-days-"));
    const store = SqliteStore.open(dir);
    try {
      const now = Date.parse(time);
      // A result every 37 minutes for 95 days, failing or erroring on a pattern that crosses day edges.
      let n = 0;
      for (let at = now - 95 * DAY; at < now; at += 37 * 60_000, n++) {
        const failing = n % 11 < 3;
        const error = n % 17 === 0 ? "timeout" : null;
        const row: ResultRow = { monitorId: "api", at, ok: !failing && !error, firing: error ? null : failing, value: 1, message: "", labels: {}, durationMs: 10 + (n % 50), error };
        store.recordEvaluation({ monitorId: "api", alerts: [], readVersions: {}, results: [row], intents: [], at });
      }
      {
        const at = now;
        const fast = await monitorHistory(store, "api", at);
        const slow = await monitorHistoryFromHours(store, "api", at);
        expect(fast.days).toEqual(slow.days);
        expect(fast.uptime.d90).toBeCloseTo(slow.uptime.d90!, 12);
        expect(fast.uptime.d30).toBeCloseTo(await byHand(store, "api", at, 30 * DAY), 12);
        expect(fast.uptime.d7).toBeCloseTo(await byHand(store, "api", at, 7 * DAY), 12);
        expect(fast.uptime.d1).toBeCloseTo(await byHand(store, "api", at, DAY), 12);
        expect(fast.latency).toEqual(slow.latency);
        expect(fast.days.filter((d) => d.uptime !== null && d.uptime < 1).length).toBeGreaterThan(80);
      }
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fills the days before day rollups began (a Redis store's upgrade) from the hours", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-history-days-"));
    const store = SqliteStore.open(dir);
    try {
      const now = Date.parse("2026-12-01T15:37:00Z");
      let n = 0;
      for (let at = now - 95 * DAY; at < now; at += 37 * 60_000, n++) {
        const failing = n % 13 < 2;
        const row: ResultRow = { monitorId: "api", at, ok: !failing, firing: failing, value: 1, message: "", labels: {}, durationMs: 10, error: null };
        store.recordEvaluation({ monitorId: "api", alerts: [], readVersions: {}, results: [row], intents: [], at });
      }
      // Day buckets as a store that began keeping them 20 days ago, mid-day, would have them: none before, the first one partial.
      const upgradeDay = Math.floor(now / DAY) * DAY - 20 * DAY;
      store.db.prepare("DELETE FROM rollups WHERE width = ? AND start < ?").run(DAY, upgradeDay);
      store.db.prepare("UPDATE rollups SET count = count - 10 WHERE width = ? AND start = ?").run(DAY, upgradeDay);
      const fast = await monitorHistory(store, "api", now);
      const slow = await monitorHistoryFromHours(store, "api", now);
      expect(fast.days).toEqual(slow.days);
      expect(fast.uptime.d90).toBeCloseTo(slow.uptime.d90!, 12);
      expect(fast.uptime.d30).toBeCloseTo(await byHand(store, "api", now, 30 * DAY), 12);
      // A monitor with no day buckets at all reads its hours.
      store.db.prepare("DELETE FROM rollups WHERE width = ?").run(DAY);
      expect((await monitorHistory(store, "api", now)).days).toEqual(slow.days);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("uptime of a target the check cannot reach", () => {
  it("counts a check error that onError: \"fail\" makes failing as downtime once: the numbers are the raw results' by hand", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-history-days-"));
    const store = SqliteStore.open(dir);
    try {
      const now = Date.parse("2026-12-01T12:00:00Z");
      const today = Math.floor(now / DAY) * DAY;
      // Every minute of yesterday: the server refused connections for 23 hours (the default
      // onError: "fail", so the monitor failed and paged), then answered for the last hour.
      const yesterday = today - DAY;
      for (let at = yesterday; at < today; at += 60_000) {
        const down = at < yesterday + 23 * HOUR;
        const row: ResultRow = { monitorId: "api", at, ok: !down, firing: down, value: null, message: "", labels: {}, durationMs: 5, error: down ? "connect ECONNREFUSED" : null };
        store.recordEvaluation({ monitorId: "api", alerts: [], readVersions: {}, results: [row], intents: [], at });
      }
      const h = await monitorHistory(store, "api", now);
      const bar = h.days.find((d) => d.start === yesterday)!;
      // 1,440 results, 1,380 of them down: 60 / 1,440 up.
      expect([bar.count, bar.failures]).toEqual([1440, 1380]);
      expect(bar.uptime).toBeCloseTo(60 / 1440, 12);
      expect(h.uptime.d7).toBeCloseTo(60 / 1440, 12);
      expect(h.uptime.d90).toBeCloseTo(60 / 1440, 12);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("uptime windows of a monitor that runs rarely", () => {
  it("reads a once-a-day check's run 23 h 55 min ago into the 24 h uptime, and each window from its first minute", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-history-days-"));
    const store = SqliteStore.open(dir);
    try {
      // A cron at 12:15 UTC every day for 40 days; the run 23 h 55 min ago failed, as did the one 6 days 23 h 55 min ago.
      const now = Date.parse("2026-12-01T12:10:00Z");
      const raw: Array<{ at: number; failing: boolean }> = [];
      for (let day = 40; day >= 1; day--) {
        const at = Date.parse("2026-12-01T12:15:00Z") - day * DAY;
        const failing = day === 1 || day === 7;
        raw.push({ at, failing });
        const row: ResultRow = { monitorId: "backup", at, ok: !failing, firing: failing, value: 1, message: "", labels: {}, durationMs: 900, error: null };
        store.recordEvaluation({ monitorId: "backup", alerts: [], readVersions: {}, results: [row], intents: [], at });
      }
      const byHand = (window: number) => {
        const kept = raw.filter((r) => r.at >= now - window);
        return kept.filter((r) => !r.failing).length / kept.length;
      };
      const h = await monitorHistory(store, "backup", now);
      expect(byHand(DAY)).toBe(0);
      expect(h.uptime.d1).toBe(byHand(DAY));
      expect(h.uptime.d7).toBeCloseTo(byHand(7 * DAY), 12);
      expect(h.uptime.d30).toBeCloseTo(byHand(30 * DAY), 12);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
