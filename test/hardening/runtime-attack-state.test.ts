import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { newAlert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import type { EvaluationCommit } from "../../runtime/evaluate/evaluation-store.js";
import { GroupCommit } from "../../runtime/evaluate/group-commit.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";

const rules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };
const T = 1_767_571_200_000;

function firing(monitorId: string, at = T): EvaluationCommit {
  const key = alertKey(monitorId, {});
  const t = evaluate(newAlert(monitorId, {}, key, at), { kind: "failing", value: 1, summary: "down", details: {} }, at, rules);
  const result = { monitorId, at, ok: false, firing: true, value: 1, message: "down", labels: {}, durationMs: 3, error: null };
  return { monitorId, alerts: [t.alert], readVersions: { [key]: 0 }, results: [result], intents: t.intents, events: t.events, at };
}

/** Another process (an operator's sqlite3, a backup script gone wrong) holding state.db's write lock until killed. */
async function holdWriteLock(path: string): Promise<ChildProcess> {
  const script = `const D = require("better-sqlite3"); const db = new D(${JSON.stringify(path)}); db.exec("BEGIN IMMEDIATE"); console.log("locked"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

/** The longest gap between 5 ms timers while `work` runs: how long the event loop was held. */
async function longestStall(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}

describe("state.db write-locked by another process", () => {
  let dir = "";
  let store: SqliteStore;
  let holder: ChildProcess | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-state-attack-"));
    store = SqliteStore.open(dir, T);
  });
  afterEach(async () => {
    holder?.kill("SIGKILL");
    holder = null;
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a batch fails at once as a whole, without holding the event loop for a busy wait per evaluation", async () => {
    holder = await holdWriteLock(join(dir, "state.db"));
    const commits = new GroupCommit(store, { maxBatch: 16 });
    let settled: PromiseSettledResult<unknown>[] = [];
    const stall = await longestStall(async () => {
      settled = await Promise.allSettled(["a", "b", "c", "d"].map((id) => commits.recordEvaluation(firing(id))));
    });
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/locked/);
    expect(stall).toBeLessThan(500);
  }, 60_000);

  it("a batch of healthy monitors' results (a write with no read before it) fails once, not once per evaluation", async () => {
    holder = await holdWriteLock(join(dir, "state.db"));
    const healthy = (monitorId: string): EvaluationCommit => ({
      monitorId,
      alerts: [],
      readVersions: {},
      results: [{ monitorId, at: T, ok: true, firing: false, value: 1, message: "fine", labels: {}, durationMs: 3, error: null }],
      intents: [],
      events: [],
      at: T,
    });
    const commits = new GroupCommit(store, { maxBatch: 64 });
    let settled: PromiseSettledResult<unknown>[] = [];
    const stall = await longestStall(async () => {
      settled = await Promise.allSettled(Array.from({ length: 32 }, (_, i) => commits.recordEvaluation(healthy(`m${i}`))));
    });
    expect(settled.every((s) => s.status === "rejected")).toBe(true);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/locked/);
    expect(stall).toBeLessThan(500);
  }, 120_000);

  it("while the lock is held, commits keep failing fast; once it goes, the alert is written once", async () => {
    holder = await holdWriteLock(join(dir, "state.db"));
    const commits = new GroupCommit(store);
    const stall = await longestStall(async () => {
      for (let i = 0; i < 10; i++) await expect(commits.recordEvaluation(firing("api"))).rejects.toThrow(/locked/);
    });
    expect(stall).toBeLessThan(500);
    holder.kill("SIGKILL");
    await new Promise((r) => holder!.once("exit", r));
    holder = null;
    // The tick after the lock went evaluates again from the stored state (nothing of the refused ones was kept).
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await commits.recordEvaluation(firing("api"))).toEqual({ kind: "committed" });
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-api:1"]);
  }, 60_000);

  it("single-statement writes (readyz's probe, a heartbeat, the pruner) give up quickly instead of freezing the event loop for 5 s each", async () => {
    holder = await holdWriteLock(join(dir, "state.db"));
    const timed = (work: () => unknown): number => {
      const started = performance.now();
      try {
        work();
      } catch (error) {
        expect(String(error)).toMatch(/locked/);
      }
      return performance.now() - started;
    };
    expect(timed(() => expect(store.writable(T)).toBe(false))).toBeLessThan(500);
    expect(timed(() => store.recordHeartbeat("api", T))).toBeLessThan(500);
    const retention = { results: 1, rollups: 1, notifications: 1, resolvedAlerts: 1, inbound: 1, deliveries: 1, silences: 1 } as unknown as Parameters<SqliteStore["prune"]>[1];
    expect(timed(() => store.prune(T, retention, 10))).toBeLessThan(500);
  }, 60_000);
});

describe("state.db on a disk that fills (SQLITE_FULL)", () => {
  let dir = "";
  let store: SqliteStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-state-full-"));
    store = SqliteStore.open(dir, T);
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A full disk, as SQLite sees one: no page past the ones the file has now. */
  function fillDisk(): () => void {
    const pages = store.db.pragma("page_count", { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    return () => void store.db.pragma("max_page_count = 1073741823");
  }

  /** An evaluation too large for the pages left: its result message alone needs new pages. */
  function bulky(monitorId: string, at = T): EvaluationCommit {
    const c = firing(monitorId, at);
    return { ...c, results: c.results.map((r) => ({ ...r, message: "x".repeat(200_000) })) };
  }

  it("on a nearly full disk, one evaluation too large for the space left does not take the small ones of its batch with it", async () => {
    const commits = new GroupCommit(store, { maxBatch: 16 });
    // Room for a few small rows, not for 200 KB.
    const pages = store.db.pragma("page_count", { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages + 8}`);
    const [big, small] = await Promise.allSettled([commits.recordEvaluation(bulky("big")), commits.recordEvaluation(firing("small"))]);
    expect(big.status).toBe("rejected");
    expect(small).toMatchObject({ status: "fulfilled", value: { kind: "committed" } });
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-small:1"]);
  }, 60_000);

  it("commits refused while the disk is full leave nothing behind; once space frees each alert pages exactly once", async () => {
    const commits = new GroupCommit(store, { maxBatch: 16 });
    const freeSpace = fillDisk();
    const refused = await Promise.allSettled(["a", "b", "c"].map((id) => commits.recordEvaluation(bulky(id))));
    expect(refused.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/full/i);
    expect(store.writable(T)).toBe(true); // a probe row needs no new page: readyz is a separate question
    expect(["a", "b", "c"].flatMap((id) => store.readAlerts(id))).toEqual([]);
    expect(store.undispatched(10)).toEqual([]);

    freeSpace();
    // The next ticks evaluate again from the stored state: nothing of the refused ones was kept.
    const outcomes = await Promise.all(["a", "b", "c"].map((id) => commits.recordEvaluation(bulky(id, T + 10_000))));
    expect(outcomes.map((o) => o.kind)).toEqual(["committed", "committed", "committed"]);
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-a:1", "wk-b:1", "wk-c:1"]);
    // And a tick after that sees the firing alerts: no second trigger.
    expect(await commits.recordEvaluation(firing("a", T + 20_000))).toMatchObject({ kind: "conflict" });
    expect(store.undispatched(10)).toHaveLength(3);
  }, 60_000);
});

describe("rollout of a manifest without a firing monitor", () => {
  it("the resolve's summary says why even when the alert's summary was already at the 1,024-character cap", async () => {
    const { rollOut } = await import("../../runtime/evaluate/rollout.js");
    const { manifestOf } = await import("../runtime/support/manifest.js");
    const { SUMMARY_MAX } = await import("../../runtime/evaluate/summary.js");
    const dir = await mkdtemp(join(tmpdir(), "wk-rollout-attack-"));
    const store = SqliteStore.open(dir, T);
    try {
      const key = alertKey("gone", {});
      const long = "x".repeat(SUMMARY_MAX);
      const t = evaluate(newAlert("gone", {}, key, T), { kind: "failing", value: 1, summary: long, details: {} }, T, rules);
      store.commitAlerts({ alerts: [t.alert], readVersions: { [key]: 0 }, intents: t.intents, events: t.events, at: T });
      const report = await rollOut(store, manifestOf([]), T + 1_000);
      expect(report.resolved).toEqual([key]);
      const resolve = store.undispatched(10).map((s) => s.intent).find((i) => i.type === "resolve")!;
      expect(resolve.summary.length).toBeLessThanOrEqual(SUMMARY_MAX);
      expect(resolve.summary).toMatch(/\(monitor removed from the manifest\)$/);
    } finally {
      store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
