import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertKey } from "../alerts/alert-key.js";
import { newAlert } from "../alerts/state.js";
import { evaluate } from "../alerts/transition.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import type { EvaluationCommit, EvaluationOutcome } from "./evaluation-store.js";
import { GroupCommit, nextCommitBatch } from "./group-commit.js";

const rules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };
const T = 1_767_571_200_000;

function firing(monitorId: string, at = T): EvaluationCommit {
  const key = alertKey(monitorId, {});
  const t = evaluate(newAlert(monitorId, {}, key, at), { kind: "failing", value: 1, summary: "down", details: {} }, at, rules);
  const result = { monitorId, at, ok: false, firing: true, value: 1, message: "down", labels: {}, durationMs: 3, error: null };
  return { monitorId, alerts: [t.alert], readVersions: { [key]: 0 }, results: [result], intents: t.intents, events: t.events, at };
}

describe("GroupCommit", () => {
  let dir: string;
  let store: SqliteStore;
  let batches: number[];
  let commits: GroupCommit;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-group-commit-"));
    store = SqliteStore.open(dir, T);
    batches = [];
    // The real store, with the size of every batch it is handed noted.
    const counted = {
      readAlerts: (id: string) => store.readAlerts(id),
      recordEvaluation: (c: EvaluationCommit) => store.recordEvaluation(c),
      recordEvaluations: (cs: readonly EvaluationCommit[]): EvaluationOutcome[] => {
        batches.push(cs.length);
        return store.recordEvaluations(cs);
      },
    };
    commits = new GroupCommit(counted, { maxBatch: 4 });
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes evaluations queued in the same turn as one batch, and each settles only once it is committed", async () => {
    const settled: string[] = [];
    const pending = ["a", "b", "c"].map((id) => commits.recordEvaluation(firing(id)).then((o) => {
      // The continuation sees its own commit in the store.
      expect(store.readAlerts(id).map((r) => r.alert.state)).toEqual(["firing"]);
      settled.push(id);
      return o.kind;
    }));
    // Nothing is written before the next macrotask.
    expect(store.depth()).toBe(0);
    expect(await Promise.all(pending)).toEqual(["committed", "committed", "committed"]);
    expect(batches).toEqual([3]);
    expect(settled).toEqual(["a", "b", "c"]);
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-a:1", "wk-b:1", "wk-c:1"]);
  });

  it("starts a batch as soon as it is full; the rest form the next", async () => {
    const outcomes = await Promise.all(["a", "b", "c", "d", "e", "f"].map((id) => commits.recordEvaluation(firing(id))));
    expect(outcomes.every((o) => o.kind === "committed")).toBe(true);
    expect(batches).toEqual([4, 2]);
    expect(store.depth()).toBe(6);
  });

  it("rejects only the evaluation the store refuses; the rest of its batch commits", async () => {
    const bad = firing("bad");
    bad.intents = bad.intents.map((i) => ({ ...i, details: { size: 1n } }));
    const [a, refused, c] = await Promise.allSettled([commits.recordEvaluation(firing("a")), commits.recordEvaluation(bad), commits.recordEvaluation(firing("c"))]);
    expect(a).toMatchObject({ status: "fulfilled", value: { kind: "committed" } });
    expect(refused.status).toBe("rejected");
    expect(c).toMatchObject({ status: "fulfilled", value: { kind: "committed" } });
    expect(store.readAlerts("bad")).toEqual([]);
    expect(store.undispatched(10).map((s) => s.intent.id)).toEqual(["wk-a:1", "wk-c:1"]);
  });

  it("resolves a conflict as a conflict: the tick re-reads and evaluates again", async () => {
    await commits.recordEvaluation(firing("api"));
    expect(await commits.recordEvaluation(firing("api", T + 1))).toMatchObject({ kind: "conflict", dedupKeys: ["wk-api"] });
    expect(store.depth()).toBe(1);
  });

  it("drain writes what is queued before the store closes", async () => {
    const queued = commits.recordEvaluation(firing("a"));
    await commits.drain();
    expect(store.depth()).toBe(1);
    expect(await queued).toEqual({ kind: "committed" });
  });

  it("rejects the whole batch when the store cannot be written at all, and writes nothing", async () => {
    store.db.close();
    await expect(commits.recordEvaluation(firing("a"))).rejects.toThrow(/closed/);
  });

  it("waits while the store holds commits, and writes what queued meanwhile together once it lets go", async () => {
    let release: () => void = () => undefined;
    let hold: Promise<void> | null = new Promise<void>((r) => (release = r));
    const held = new GroupCommit(
      {
        readAlerts: (id: string) => store.readAlerts(id),
        recordEvaluation: (c: EvaluationCommit) => store.recordEvaluation(c),
        recordEvaluations: (cs: readonly EvaluationCommit[]) => {
          batches.push(cs.length);
          return store.recordEvaluations(cs);
        },
        commitsHeld: () => hold,
      },
      { maxBatch: 4 },
    );
    const first = held.recordEvaluation(firing("a"));
    await new Promise((r) => setTimeout(r, 20));
    const later = [held.recordEvaluation(firing("b")), held.recordEvaluation(firing("c"))];
    await new Promise((r) => setTimeout(r, 20));
    expect(store.depth()).toBe(0);
    hold = null;
    release();
    expect((await Promise.all([first, ...later])).map((o) => o.kind)).toEqual(["committed", "committed", "committed"]);
    expect(batches).toEqual([1, 2]);
  });

  describe("with a window for ticks still running", () => {
    const counting = (running: { n: number }) =>
      new GroupCommit(
        {
          readAlerts: (id: string) => store.readAlerts(id),
          recordEvaluation: (c: EvaluationCommit) => store.recordEvaluation(c),
          recordEvaluations: (cs: readonly EvaluationCommit[]) => {
            batches.push(cs.length);
            return store.recordEvaluations(cs);
          },
        },
        { maxBatch: 4, windowMs: 40, othersComing: (queued) => running.n > queued },
      );
    const turn = () => new Promise((r) => setImmediate(r));

    it("waits for a tick still running and writes both in one batch", async () => {
      const running = { n: 2 };
      const grouped = counting(running);
      const first = grouped.recordEvaluation(firing("a"));
      await turn();
      await turn();
      expect(store.depth()).toBe(0);
      const second = grouped.recordEvaluation(firing("b"));
      expect(await Promise.all([first, second])).toEqual([{ kind: "committed" }, { kind: "committed" }]);
      expect(batches).toEqual([2]);
    });

    it("writes at the end of the window when the other tick has not finished by then", async () => {
      const running = { n: 2 };
      const grouped = counting(running);
      const started = performance.now();
      expect(await grouped.recordEvaluation(firing("a"))).toEqual({ kind: "committed" });
      expect(performance.now() - started).toBeGreaterThanOrEqual(35);
      expect(batches).toEqual([1]);
    });

    it("writes a lone tick at once: no tick is left to wait for", async () => {
      const running = { n: 1 };
      const grouped = counting(running);
      const queued = grouped.recordEvaluation(firing("a"));
      await turn();
      await turn();
      expect(store.depth()).toBe(1);
      expect(await queued).toEqual({ kind: "committed" });
    });
  });

  describe("batches sized by how long a write holds the event loop", () => {
    // The real store, on a stopwatch its writes move: each evaluation costs `cost.msPerRow`.
    // `busyMs` also holds the thread that long per batch, as a real write does: a timer set before
    // the batches is then due after the first, whatever the machine's speed.
    const timed = (cost: { msPerRow: number }, o: { async?: boolean; hold?: () => Promise<void> | null; busyMs?: number } = {}) => {
      const clock = { ms: 0 };
      const grouped = new GroupCommit(
        {
          readAlerts: (id: string) => store.readAlerts(id),
          recordEvaluation: (c: EvaluationCommit) => store.recordEvaluation(c),
          recordEvaluations: (cs: readonly EvaluationCommit[]) => {
            batches.push(cs.length);
            clock.ms += cs.length * cost.msPerRow;
            for (const end = performance.now() + (o.busyMs ?? 0); performance.now() < end; );
            const outcomes = store.recordEvaluations(cs);
            return o.async ? Promise.resolve(outcomes) : outcomes;
          },
          ...(o.hold ? { commitsHeld: o.hold } : {}),
        },
        { maxBatch: 256, targetMs: 10, stopwatch: () => clock.ms },
      );
      return grouped;
    };
    const many = (grouped: GroupCommit, prefix: string, n: number) => Array.from({ length: n }, (_, i) => grouped.recordEvaluation(firing(`${prefix}${i}`)));

    it("splits what queued behind a slow write into batches that fit the target, and the event loop turns between them", async () => {
      const grouped = timed({ msPerRow: 1 }, { busyMs: 3 });
      await Promise.all(many(grouped, "a", 40));
      expect(batches).toEqual([40]);
      expect(grouped.batchLimit).toBe(16);
      const order: string[] = [];
      const queued = many(grouped, "b", 40).map((p) => p.then(() => order.push("committed")));
      setTimeout(() => order.push("timer"), 0);
      await Promise.all(queued);
      expect(batches).toEqual([40, 16, 16, 8]);
      // A tick due meanwhile (a timer) ran before the last evaluations were written.
      expect(order.indexOf("timer")).toBeGreaterThan(-1);
      expect(order.indexOf("timer")).toBeLessThan(order.length - 1);
      expect(store.depth()).toBe(80);
    });

    it("writes the evaluations queued during a commit hold in batches that fit, once it lets go", async () => {
      let release: () => void = () => undefined;
      let hold: Promise<void> | null = null;
      const grouped = timed({ msPerRow: 0.5 }, { hold: () => hold });
      await Promise.all(many(grouped, "warm", 30));
      expect(grouped.batchLimit).toBe(20);
      hold = new Promise<void>((r) => (release = r));
      const first = grouped.recordEvaluation(firing("first"));
      await new Promise((r) => setTimeout(r, 10));
      const later = many(grouped, "held", 60);
      await new Promise((r) => setTimeout(r, 10));
      hold = null;
      release();
      await Promise.all([first, ...later]);
      expect(batches).toEqual([30, 1, 20, 20, 20]);
    });

    it("lets batches grow back, at most doubling, once writes are quick again", async () => {
      const slow = { msPerRow: 2 };
      const grouped = timed(slow);
      await Promise.all(many(grouped, "a", 20));
      expect(grouped.batchLimit).toBe(16);
      slow.msPerRow = 0.01;
      await Promise.all(many(grouped, "b", 200));
      expect(batches).toEqual([20, 16, 32, 64, 88]);
      expect(grouped.batchLimit).toBe(256);
    });

    it("keeps the full batch on an asynchronous store (Redis), which holds no tick while it writes", async () => {
      const grouped = timed({ msPerRow: 5 }, { async: true });
      await Promise.all(many(grouped, "a", 100));
      expect(batches).toEqual([100]);
      expect(grouped.batchLimit).toBe(256);
    });

    it("sizes the next batch: shrinks to what fits after a slow write, grows at most twice, never shrinks after a quick one", () => {
      expect(nextCommitBatch(256, 100, 50, 10, 256)).toBe(20);
      expect(nextCommitBatch(256, 100, 500, 10, 256)).toBe(16);
      expect(nextCommitBatch(4, 4, 500, 10, 4)).toBe(4);
      expect(nextCommitBatch(16, 10, 1, 10, 256)).toBe(32);
      expect(nextCommitBatch(200, 5, 2, 10, 256)).toBe(200);
      expect(nextCommitBatch(200, 200, 0, 10, 256)).toBe(256);
    });
  });
});
