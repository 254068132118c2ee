import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newAlert } from "../../runtime/alerts/state.js";
import type { ResultRow } from "../../runtime/evaluate/evaluation-store.js";
import { Silences } from "../../runtime/notify/silences.js";
import type { Store } from "../../runtime/store/port.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { monitorRows, type ViewDeps } from "../../runtime/views/view-model.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";
import { dropPrefix, redisAnswers, TEST_REDIS_URL, testPrefix } from "../scale-out/support.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.parse("2026-12-01T12:00:00Z");
const STREAK_START = NOW - 2 * HOUR;
const up = await redisAnswers();
const manifest = testManifest({ monitors: [testMonitor("checkout"), testMonitor("website")] });

function deps(store: Store): ViewDeps {
  return { manifest, store, silences: new Silences(store, manifest), clock: { now: () => NOW, setTimer: () => ({ cancel: () => undefined }) }, access: { token: () => "t", openReads: false, publicUrl: null } };
}

const result = (monitorId: string, at: number, error: string | null): ResultRow => ({ monitorId, at, ok: error === null, firing: error === null ? false : null, value: null, message: "", labels: {}, durationMs: 5, error });

/** An hour of passing checks, then two hours of timeouts every 30 s (241 results, far more than the 50 kept per monitor regardless of age). */
async function erroringForTwoHours(store: Store): Promise<void> {
  for (let at = STREAK_START - HOUR; at <= NOW; at += 30_000) {
    const r = result("checkout", at, at >= STREAK_START ? "timeout after 10s" : null);
    await store.recordEvaluation({ monitorId: "checkout", alerts: [], readVersions: {}, results: [r], intents: [], at });
    await store.recordEvaluation({ monitorId: "website", alerts: [], readVersions: {}, results: [result("website", at, null)], intents: [], at });
  }
}

async function erroringShown(store: Store): Promise<Array<[string, number | null]>> {
  const d = deps(store);
  // The overview reads every monitor in bulk; a monitor page reads just its own.
  const all = (await monitorRows(d, NOW)).find((r) => r.monitor.id === "checkout")!;
  const one = (await monitorRows(d, NOW, [manifest.monitors[0]!]))[0]!;
  return [all, one].map((r) => [r.display.state, r.display.since]);
}

/** The erroring streak ends 30 s after NOW; the monitor's last alert resolved an hour before it began. */
async function recoveredAfterTwoHours(store: Store): Promise<Array<[string, number | null]>> {
  await erroringForTwoHours(store);
  const alert = { ...newAlert("checkout", {}, "wk-checkout", STREAK_START - 2 * HOUR), state: "inactive" as const, firedAt: STREAK_START - 2 * HOUR, resolvedAt: STREAK_START - HOUR };
  await store.commitAlerts({ alerts: [alert], readVersions: {}, intents: [], at: STREAK_START - HOUR });
  for (let at = NOW + 30_000; at <= NOW + 5 * MINUTE; at += 30_000) {
    await store.recordEvaluation({ monitorId: "checkout", alerts: [], readVersions: {}, results: [result("checkout", at, null)], intents: [], at });
  }
  const d = deps(store);
  const all = (await monitorRows(d, NOW + 5 * MINUTE)).find((r) => r.monitor.id === "checkout")!;
  const one = (await monitorRows(d, NOW + 5 * MINUTE, [manifest.monitors[0]!]))[0]!;
  return [all, one].map((r) => [r.display.state, r.display.since]);
}

describe("OK since, after a check that could not run for hours", () => {
  it("embedded: reads the first result that ran after the streak, not the resolve before it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-since-"));
    let store = SqliteStore.open(dir, STREAK_START - HOUR);
    try {
      expect(await recoveredAfterTwoHours(store)).toEqual([["ok", NOW + 30_000], ["ok", NOW + 30_000]]);
      store.close();
      store = SqliteStore.open(dir, NOW + 5 * MINUTE);
      expect((await monitorRows(deps(store), NOW + 5 * MINUTE, [manifest.monitors[0]!]))[0]!.display).toMatchObject({ state: "ok", since: NOW + 30_000 });
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!up)("scale-out: reads the first result that ran after the streak, not the resolve before it", async () => {
    const prefix = testPrefix();
    const store = await RedisStore.connect(TEST_REDIS_URL, { prefix });
    try {
      expect(await recoveredAfterTwoHours(store)).toEqual([["ok", NOW + 30_000], ["ok", NOW + 30_000]]);
    } finally {
      await dropPrefix(TEST_REDIS_URL, prefix);
      await store.close();
    }
  });
});

describe("erroring since, over a streak longer than the results read for a page", () => {
  it("embedded: reads the streak's first erroring result, two hours ago, and again after a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-since-"));
    let store = SqliteStore.open(dir, STREAK_START - HOUR);
    try {
      await erroringForTwoHours(store);
      expect(await erroringShown(store)).toEqual([["erroring", STREAK_START], ["erroring", STREAK_START]]);
      store.close();
      store = SqliteStore.open(dir, NOW);
      expect(await erroringShown(store)).toEqual([["erroring", STREAK_START], ["erroring", STREAK_START]]);
      // Recovered, then erroring again: a new streak, from its own first result.
      await store.recordEvaluation({ monitorId: "checkout", alerts: [], readVersions: {}, results: [result("checkout", NOW + 30_000, null)], intents: [], at: NOW + 30_000 });
      await store.recordEvaluation({ monitorId: "checkout", alerts: [], readVersions: {}, results: [result("checkout", NOW + 60_000, "refused")], intents: [], at: NOW + 60_000 });
      expect((await monitorRows(deps(store), NOW + 90_000, [manifest.monitors[0]!]))[0]!.display.since).toBe(NOW + 60_000);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!up)("scale-out: reads the streak's first erroring result, two hours ago, on every replica", async () => {
    const prefix = testPrefix();
    const a = await RedisStore.connect(TEST_REDIS_URL, { prefix });
    const b = await RedisStore.connect(TEST_REDIS_URL, { prefix });
    try {
      await erroringForTwoHours(a);
      expect(await erroringShown(a)).toEqual([["erroring", STREAK_START], ["erroring", STREAK_START]]);
      expect(await erroringShown(b)).toEqual([["erroring", STREAK_START], ["erroring", STREAK_START]]);
      await b.recordEvaluation({ monitorId: "checkout", alerts: [], readVersions: {}, results: [result("checkout", NOW + 30_000, null)], intents: [], at: NOW + 30_000 });
      await b.recordEvaluation({ monitorId: "checkout", alerts: [], readVersions: {}, results: [result("checkout", NOW + 60_000, "refused")], intents: [], at: NOW + 60_000 });
      expect((await monitorRows(deps(a), NOW + 90_000, [manifest.monitors[0]!]))[0]!.display.since).toBe(NOW + 60_000);
    } finally {
      await dropPrefix(TEST_REDIS_URL, prefix);
      await a.close();
      await b.close();
    }
  });
});
