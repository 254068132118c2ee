import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec } from "../../test/runtime/support/manifest.js";
import { alertKey } from "../alerts/alert-key.js";
import { newAlert, type Alert } from "../alerts/state.js";
import { evaluate } from "../alerts/transition.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { StoreAlertControl } from "../inbound/alert-control.js";
import { migrate, SCHEMA_VERSION } from "./sqlite/schema.js";
import { rollOut } from "../evaluate/rollout.js";
import type { ResultRow } from "../evaluate/evaluation-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import { encodeBins, binOf } from "./latency-histogram.js";

const rules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };
const row = (monitorId: string, at: number, ok = false): ResultRow => ({ monitorId, at, ok, firing: !ok, value: at, message: "m", labels: {}, durationMs: 1 });

function fire(monitorId: string, at: number, labels: Record<string, string> = {}): { alert: Alert; intents: NotificationIntent[] } {
  return evaluate(newAlert(monitorId, labels, alertKey(monitorId, labels), at), { kind: "failing", value: 1, summary: "down", details: {} }, at, rules);
}

describe("SqliteStore", () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-store-"));
    store = SqliteStore.open(dir);
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("uses WAL and records the schema version", () => {
    expect(store.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(store.db.prepare("SELECT version FROM schema_version").get()).toEqual({ version: SCHEMA_VERSION });
  });

  it("commits alert, result and intent together and survives reopening", () => {
    const t = fire("api", 1000);
    store.recordEvaluation({ monitorId: "api", alerts: [t.alert], readVersions: {}, results: [row("api", 1000)], intents: t.intents, at: 1000 });
    store.close();
    store = SqliteStore.open(dir);
    expect(store.alertsOf("api")[0]).toMatchObject({ state: "firing", firedAt: 1000, sequence: 1 });
    expect(store.recentResults("api")).toHaveLength(1);
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-api:1"]);
  });

  it("rolls back the whole evaluation when any part fails to write", () => {
    const first = fire("api", 1000);
    store.recordEvaluation({ monitorId: "api", alerts: [first.alert], readVersions: {}, results: [row("api", 1000)], intents: first.intents, at: 1000 });
    const next = evaluate(first.alert, { kind: "ok", value: 0, summary: "up", details: {} }, 2000, rules);
    // A BigInt cannot be serialised: the intent insert throws after the alert and result were written.
    const poisoned = next.intents.map((i) => ({ ...i, details: { bad: 1n } }));
    expect(() => store.recordEvaluation({ monitorId: "api", alerts: [next.alert], readVersions: {}, results: [row("api", 2000, true)], intents: poisoned, at: 2000 })).toThrow();
    expect(store.alertsOf("api")[0]!.state).toBe("firing");
    expect(store.recentResults("api").map((r) => r.at)).toEqual([1000]);
    expect(store.depth()).toBe(1);
  });

  it("keeps every result of the window (pruning is the pruner's) and lists the newest 50", () => {
    for (let i = 0; i < 60; i++) store.recordEvaluation({ monitorId: "a", alerts: [], readVersions: {}, results: [row("a", i)], intents: [], at: i });
    expect((store.db.prepare("SELECT COUNT(*) AS n FROM results WHERE monitor_id = 'a'").get() as { n: number }).n).toBe(60);
    store.recordEvaluation({ monitorId: "b", alerts: [], readVersions: {}, results: [row("b", 1)], intents: [], at: 1 });
    const recent = store.recentResults("a");
    expect(recent).toHaveLength(50);
    expect(recent[0]!.at).toBe(59);
    expect(recent.at(-1)!.at).toBe(10);
    expect(store.latestResults().get("b")!.at).toBe(1);
  });

  it("enqueues idempotently by intent id and drains in seq order", () => {
    const t = fire("api", 1);
    const seq = store.enqueue(t.intents[0]!);
    expect(store.enqueue(t.intents[0]!)).toBe(seq);
    store.enqueue({ ...t.intents[0]!, id: "wk-api:2", type: "resolve" });
    expect(store.depth()).toBe(2);
    store.markDispatched(seq, 5);
    expect(store.undispatched(10).map((s) => s.intent.type)).toEqual(["resolve"]);
    expect(store.depth()).toBe(1);
  });

  it("acknowledges and resolves from outside with intents", async () => {
    const t = fire("api", 1);
    store.recordEvaluation({ monitorId: "api", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, at: 1 });
    const control = new StoreAlertControl(store, manifestOf([monitorSpec({ id: "api" })]));
    expect(await control.acknowledge("wk-api", "Ada", 10, { openedAt: 2 })).toBe("applied");
    expect(await control.resolve("wk-api", 20, "resolved in PagerDuty", { openedAt: 2 })).toBe("applied");
    expect(await control.resolve("wk-api", 30, "again", { openedAt: 2 })).toBe("not-firing");
    expect(await control.acknowledge("wk-nope", "Ada", 10, { openedAt: 2 })).toBe("not-firing");
    expect(store.undispatched(10).map((s) => [s.intent.id, s.intent.type])).toEqual([
      ["wk-api:1", "trigger"], ["wk-api:2", "acknowledge"], ["wk-api:3", "resolve"],
    ]);
  });

  it("an emergency's incident, opened at the press, acts on the alert its manual monitor fired a tick later", async () => {
    const MINUTE = 60_000;
    const manual = monitorSpec({ id: "panic", check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Emergency" } });
    const control = new StoreAlertControl(store, manifestOf([manual]));
    // Pressed at 10 min; the monitor's minute tick reads the press and fires 55 s later.
    store.recordEmergency("panic", 10 * MINUTE, "site is down");
    const t = fire("panic", 10 * MINUTE + 55_000);
    store.recordEvaluation({ monitorId: "panic", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, at: 10 * MINUTE + 55_000 });
    expect(await control.acknowledge("wk-panic", "Ada", 11 * MINUTE, { openedAt: 10 * MINUTE + 300 })).toBe("applied");
    // An incident from before the press is an earlier episode's still.
    expect(await control.resolve("wk-panic", 12 * MINUTE, "late", { openedAt: 9 * MINUTE })).toBe("earlier-episode");
  });

  it("ends the emergency when an emergency alert is resolved from PagerDuty, so the manual check stops firing", async () => {
    const t = fire("panic", 1);
    store.recordEmergency("panic", 1, "site is down");
    store.recordEvaluation({ monitorId: "panic", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, at: 1 });
    const manual = monitorSpec({ id: "panic", check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Emergency" } });
    const control = new StoreAlertControl(store, manifestOf([manual]));
    expect(store.lastEmergencyResolved("panic")).toBeNull();
    expect(await control.resolve("wk-panic", 50, "resolved in PagerDuty", { openedAt: 2 })).toBe("applied");
    expect(store.lastEmergencyResolved("panic")).toBe(50);
  });

  it("resolves firing alerts of monitors removed from the manifest and keeps the others", async () => {
    const gone = fire("gone", 1);
    const kept = fire("kept", 1, { instance: "a" });
    store.recordEvaluation({ monitorId: "gone", alerts: [gone.alert], readVersions: {}, results: [], intents: gone.intents, at: 1 });
    store.recordEvaluation({ monitorId: "kept", alerts: [kept.alert], readVersions: {}, results: [], intents: kept.intents, at: 1 });
    const report = await rollOut(store, manifestOf([monitorSpec({ id: "kept" })]), 100);
    expect(report.resolved).toEqual(["wk-gone"]);
    expect(store.alertsOf("gone")[0]).toMatchObject({ state: "inactive", resolvedAt: 100 });
    expect(store.alertsOf("kept")[0]!.state).toBe("firing");
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-gone:1", kept.intents[0]!.id, "wk-gone:2"]);
    expect((await rollOut(store, manifestOf([monitorSpec({ id: "kept" })]), 200)).resolved).toEqual([]);
  });

  it("records heartbeats, uptime reports and emergencies", () => {
    store.recordHeartbeat("hb", 10);
    store.recordHeartbeat("hb", 5);
    expect(store.lastHeartbeat("hb")).toBe(10);
    expect(store.lastHeartbeat("none")).toBeNull();
    store.recordUptimeReport("up", { up: false, message: "down", at: 3 });
    expect(store.lastUptimeReport("up")).toEqual({ up: false, message: "down", at: 3 });
    store.recordEmergency("em", 7, "site down");
    expect(store.lastEmergency("em")).toEqual({ at: 7, message: "site down" });
    store.recordEmergencyResolved("em", 9);
    expect(store.lastEmergencyResolved("em")).toBe(9);
    expect(store.writable(1)).toBe(true);
  });
});

describe("upgrading a state folder to the history schema (migration 5)", () => {
  it("keeps the results an older build wrote, lists their monitors, and rolls up from then on", () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-migrate-"));
    try {
      const old = new BetterSqlite3(join(dir, "state.db"));
      migrate(old, 4);
      const insert = old.prepare("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, 1, 0, 1, 'ok', '{}', 5, NULL)");
      for (let i = 0; i < 3; i++) insert.run("api", 1000 + i);
      insert.run("db", 1500);
      old.close();
      const store = SqliteStore.open(dir, 0);
      try {
        expect(store.recentResults("api").map((r) => r.at)).toEqual([1002, 1001, 1000]);
        expect([...store.latestResults().entries()].map(([id, r]) => [id, r.at]).sort()).toEqual([["api", 1002], ["db", 1500]]);
        expect(store.rollups("api", "minute", 0, 10_000)).toEqual([]);
        store.recordEvaluation({ monitorId: "api", alerts: [], readVersions: {}, results: [row("api", 2000)], intents: [], at: 2000 });
        expect(store.rollups("api", "minute", 0, 10_000).map((b) => b.count)).toEqual([1]);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("upgrading keeps when a monitor erroring at the upgrade began, from the results kept", () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-migrate-"));
    try {
      const old = new BetterSqlite3(join(dir, "state.db"));
      migrate(old, 10);
      const insert = old.prepare("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error) VALUES (?, ?, ?, ?, 1, 'm', '{}', 5, ?)");
      insert.run("api", 1000, 1, 0, null);
      for (let i = 1; i <= 120; i++) insert.run("api", 1000 + i * 30_000, 0, null, "timeout");
      insert.run("db", 1000, 0, null, "refused");
      insert.run("db", 2000, 1, 0, null);
      insert.run("web", 1000, 0, null, "refused");
      old.prepare("INSERT INTO history_monitors (monitor_id) VALUES ('api'), ('db'), ('web')").run();
      old.close();
      const store = SqliteStore.open(dir, 0);
      try {
        expect(Object.fromEntries(store.erroringSince())).toEqual({ api: 31_000, web: 1000 });
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("upgrading fills day rollups from the hours kept and records the silences still stored", () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-migrate-"));
    try {
      const old = new BetterSqlite3(join(dir, "state.db"));
      migrate(old, 5);
      const hour = old.prepare("INSERT INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins) VALUES (?, 3600000, ?, ?, ?, ?, ?, ?)");
      const DAY = 86_400_000;
      hour.run("api", 0, 10, 1, 0, 40, encodeBins(new Map([[binOf(40), 10]])));
      hour.run("api", 23 * 3_600_000, 5, 0, 2, 90, encodeBins(new Map([[binOf(90), 5]])));
      hour.run("api", DAY, 7, 7, 0, 8, encodeBins(new Map([[binOf(8), 7]])));
      hour.run("db", DAY + 3_600_000, 1, 0, 0, 3, encodeBins(new Map([[binOf(3), 1]])));
      old.prepare("INSERT INTO delivery_silences (id, comment, created_by, created_at, starts_at, ends_at, matchers_json) VALUES ('api-1', 'deploy', 'ada', 1, 2, 3, '{\"monitors\":[\"api\"],\"services\":[],\"labels\":{}}')").run();
      old.close();
      const store = SqliteStore.open(dir, 0);
      try {
        expect(store.rollups("api", "day", 0, 2 * DAY).map((b) => [b.start, b.count, b.failures, b.errors, b.max])).toEqual([
          [0, 15, 1, 2, 90],
          [DAY, 7, 7, 0, 8],
        ]);
        expect(store.rollups("db", "day", 0, 2 * DAY).map((b) => b.count)).toEqual([1]);
        expect(store.silenceRecords(0, 10).map((r) => [r.id, r.createdBy, r.comment, r.expiredBy])).toEqual([["api-1", "ada", "deploy", null]]);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
