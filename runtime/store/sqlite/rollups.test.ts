import { copyFileSync, existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResultRow } from "../../evaluate/evaluation-store.js";
import { SqliteStore } from "./sqlite-store.js";

const T = 1_767_571_200_000; // a whole hour
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const row = (monitorId: string, at: number, durationMs = 5): ResultRow => ({ monitorId, at, ok: true, firing: false, value: 0, message: "ok", labels: {}, durationMs, error: null });
const commitOf = (monitorId: string, at: number, durationMs = 5) => ({ monitorId, alerts: [], readVersions: {}, results: [row(monitorId, at, durationMs)], intents: [], at });
/** One turn of the event loop: the store writes closed minutes after the commits that closed them. */
const turn = () => new Promise((resolve) => setImmediate(resolve));
const stored = (s: SqliteStore, width: number) =>
  s.db.prepare("SELECT monitor_id AS m, start, count FROM rollups WHERE width = ? ORDER BY monitor_id, start").all(width) as Array<{ m: string; start: number; count: number }>;
/** What a kill -9 leaves on disk: the database files as they are, without close(). */
async function crashCopy(dir: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), "wk-rollups-crash-"));
  for (const f of ["state.db", "state.db-wal"]) if (existsSync(join(dir, f))) copyFileSync(join(dir, f), join(copy, f));
  return copy;
}

describe("SQLite rollups: a commit writes the raw result only; minutes are written after it and rebuilt after a kill", () => {
  let dir: string;
  let store: SqliteStore;
  const record = (monitorId: string, at: number) => store.recordEvaluation(commitOf(monitorId, at));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-rollups-"));
    store = SqliteStore.open(dir, T);
  });
  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes a closed minute with its hour and day after the commit that closed it; the views see every held minute", async () => {
    for (let s = 0; s < 6; s++) record("api", T + s * 10_000);
    expect(stored(store, MIN)).toEqual([]);
    expect(store.rollups("api", "minute", T, T + MIN).map((b) => b.count)).toEqual([6]);
    expect(store.rollups("api", "hour", T, T + MIN).map((b) => b.count)).toEqual([6]);
    record("api", T + MIN);
    // The commit that closed the minute wrote its result only.
    expect(stored(store, MIN)).toEqual([]);
    expect(store.rollups("api", "minute", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 6], [T + MIN, 1]]);
    await turn();
    expect(stored(store, MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
    expect(stored(store, HOUR)).toEqual([{ m: "api", start: T, count: 6 }]);
    expect(stored(store, DAY)).toEqual([{ m: "api", start: T - (T % DAY), count: 6 }]);
    expect(store.rollups("api", "minute", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 6], [T + MIN, 1]]);
    expect(store.rollups("api", "hour", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 7]]);
  });

  it("a kill loses nothing: the next process counts the minutes it had held again from the raw results", async () => {
    for (let s = 0; s < 6; s++) record("api", T + s * 10_000);
    record("api", T + MIN);
    await turn(); // minute T written
    for (let s = 1; s < 6; s++) record("api", T + MIN + s * 10_000);
    record("web", T + 5_000);
    record("api", T + 2 * MIN); // minute T+1 closed, not yet written
    const copy = await crashCopy(dir);
    try {
      const after = SqliteStore.open(copy, T + 2 * MIN + 30_000);
      try {
        expect(stored(after, MIN)).toEqual([
          { m: "api", start: T, count: 6 },
          { m: "api", start: T + MIN, count: 6 },
          { m: "api", start: T + 2 * MIN, count: 1 },
          { m: "web", start: T, count: 1 },
        ]);
        expect(stored(after, HOUR)).toEqual([{ m: "api", start: T, count: 13 }, { m: "web", start: T, count: 1 }]);
        // The restarted process goes on in the same minute: added to the rebuilt row, not replacing it.
        after.recordEvaluation(commitOf("api", T + 2 * MIN + 40_000));
        expect(after.rollups("api", "hour", T, T + HOUR).map((b) => b.count)).toEqual([14]);
        after.recordEvaluation(commitOf("api", T + 3 * MIN));
        after.writeRollups(T + 3 * MIN);
        expect(stored(after, MIN).filter((r) => r.m === "api").map((r) => r.count)).toEqual([6, 6, 2]);
        expect(stored(after, HOUR).filter((r) => r.m === "api")).toEqual([{ m: "api", start: T, count: 14 }]);
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
    store.writeRollups(T + MIN);
    expect(stored(store, MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
    expect(stored(store, 60 * MIN)).toEqual([{ m: "api", start: T, count: 6 }]);
  });

  it("a monitor that went quiet has its minute written a minute after it ended, after any commit", async () => {
    record("rare", T + 5_000);
    record("busy", T + MIN + 59_000);
    await turn();
    expect(stored(store, MIN)).toEqual([]);
    record("busy", T + 2 * MIN + 10_000);
    await turn();
    expect(stored(store, MIN).filter((r) => r.m === "rare")).toEqual([{ m: "rare", start: T, count: 1 }]);
    // Its next result, minutes later, opens a new minute and adds to the same hour.
    record("rare", T + 5 * MIN);
    record("rare", T + 6 * MIN);
    await turn();
    expect(stored(store, 60 * MIN).filter((r) => r.m === "rare")).toEqual([{ m: "rare", start: T, count: 2 }]);
  });

  it("a batch rolled back for one bad evaluation counts the others' results once, and the bad one's not at all", async () => {
    record("api", T + 5_000);
    record("web", T + 5_000);
    // The bad one throws after its result was written and added: the batch's transaction rolls back.
    const bad = { ...commitOf("bad", T + 15_000), intents: [{ id: "x:1", type: "trigger" as const, monitorId: "bad", dedupKey: "x", labels: {}, severity: "critical" as const, summary: "s", value: null, details: { size: 1n }, at: T, firedAt: T }] };
    const outcomes = store.recordEvaluations([commitOf("api", T + 15_000), commitOf("web", T + MIN + 1_000), bad, commitOf("new", T + 15_000)]);
    expect(outcomes.map((o) => o.kind)).toEqual(["committed", "committed", "failed", "committed"]);
    const counts = (id: string, res: "minute" | "hour") => store.rollups(id, res, T, T + HOUR).map((b) => [b.start, b.count]);
    expect(counts("api", "minute")).toEqual([[T, 2]]);
    expect(counts("web", "minute")).toEqual([[T, 1], [T + MIN, 1]]);
    expect(counts("web", "hour")).toEqual([[T, 2]]);
    await turn();
    expect(stored(store, MIN).filter((r) => r.m === "web")).toEqual([{ m: "web", start: T, count: 1 }]);
    expect(counts("web", "hour")).toEqual([[T, 2]]);
    expect(counts("new", "minute")).toEqual([[T, 1]]);
    expect(counts("bad", "minute")).toEqual([]);
    expect(store.recentResults("bad")).toEqual([]);
  });

  it("a late result (its tick began in a minute already closed) is added to that minute and hour", async () => {
    record("api", T + 10_000);
    record("api", T + MIN + 10_000);
    record("api", T + 50_000);
    expect(store.rollups("api", "minute", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 2], [T + MIN, 1]]);
    expect(store.rollups("api", "hour", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 3]]);
    await turn();
    expect(stored(store, MIN)).toEqual([{ m: "api", start: T, count: 2 }]);
    expect(store.rollups("api", "hour", T, T + 2 * MIN).map((b) => [b.start, b.count])).toEqual([[T, 3]]);
  });

  it("a rebuild mark that is not a time, or far in the future, is set afresh and rebuilds go on working", async () => {
    record("api", T + 5_000);
    store.close();
    for (const bad of ["'abc'", "9e300", "x'00'"]) {
      store = SqliteStore.open(dir, T + 10_000);
      store.db.exec(`UPDATE rollup_progress SET through = ${bad}`);
      store.close();
      store = SqliteStore.open(dir, T + 20_000);
      const through = (store.db.prepare("SELECT through FROM rollup_progress").get() as { through: unknown }).through;
      expect(typeof through === "number" && through <= T + 20_000).toBe(true);
      store.close();
    }
    store = SqliteStore.open(dir, T + 30_000);
    record("api", T + 40_000);
    // A kill now: the next process counts the held minute again from the raw results.
    const copy = await crashCopy(dir);
    try {
      const after = SqliteStore.open(copy, T + 50_000);
      try {
        expect(stored(after, MIN)).toEqual([{ m: "api", start: T, count: 2 }]);
      } finally {
        after.close();
      }
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it("a failed write keeps the closed minutes held and says so; the next write succeeds", async () => {
    store.close();
    const errors: unknown[] = [];
    store = SqliteStore.open(dir, T, { onBackgroundError: (e) => errors.push(e) });
    store.db.exec("CREATE TRIGGER no_rollups BEFORE INSERT ON rollups BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    for (let s = 0; s < 3; s++) record("api", T + s * 10_000);
    record("api", T + MIN);
    await turn();
    expect(errors).toHaveLength(1);
    expect(store.rollups("api", "minute", T, T + 2 * MIN).map((b) => b.count)).toEqual([3, 1]);
    store.db.exec("DROP TRIGGER no_rollups");
    record("api", T + MIN + 10_000);
    await turn();
    expect(stored(store, MIN)).toEqual([{ m: "api", start: T, count: 3 }]);
  });
});

describe("SQLite rollups equal the raw results, whatever the order of commits, rollbacks, writes, kills and restarts", () => {
  type Step =
    | { kind: "record"; monitor: number; advance: number; late: boolean; ms: number }
    | { kind: "bad" }
    | { kind: "turn" }
    | { kind: "kill" }
    | { kind: "restart" };
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 12, arbitrary: fc.record({ kind: fc.constant("record" as const), monitor: fc.nat(2), advance: fc.integer({ min: 0, max: 50_000 }), late: fc.boolean(), ms: fc.integer({ min: 1, max: 3_000 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: "bad" as const }) },
    { weight: 3, arbitrary: fc.constant({ kind: "turn" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "kill" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "restart" as const }) },
  );

  it("minute, hour and day rows count every committed result exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 60 }), async (steps) => {
        const dirs: string[] = [await mkdtemp(join(tmpdir(), "wk-rollups-prop-"))];
        let now = T + 30 * MIN - 7_000;
        let store = SqliteStore.open(dirs[0]!, now);
        try {
          for (const s of steps) {
            if (s.kind === "record") {
              now += s.advance;
              // A late result began its tick up to 70 s before it commits.
              const at = s.late ? now - 70_000 : now;
              store.recordEvaluation({ ...commitOf(`m${s.monitor}`, at, s.ms), at: now });
            } else if (s.kind === "bad") {
              const bad = { ...commitOf("m0", now), intents: [{ id: "x:1", type: "trigger" as const, monitorId: "m0", dedupKey: "x", labels: {}, severity: "critical" as const, summary: "s", value: null, details: { size: 1n }, at: now, firedAt: now }] };
              store.recordEvaluations([commitOf("m1", now), bad]);
            } else if (s.kind === "turn") {
              await turn();
            } else if (s.kind === "kill") {
              const copy = await crashCopy(dirs[dirs.length - 1]!);
              store.close();
              dirs.push(copy);
              store = SqliteStore.open(copy, now);
            } else {
              store.close();
              store = SqliteStore.open(dirs[dirs.length - 1]!, now);
            }
          }
          store.close();
          store = SqliteStore.open(dirs[dirs.length - 1]!, now);
          const results = store.db.prepare("SELECT monitor_id AS m, at, duration_ms AS ms FROM results").all() as Array<{ m: string; at: number; ms: number }>;
          for (const width of [MIN, HOUR, DAY]) {
            const want = new Map<string, number>();
            for (const r of results) {
              const k = `${r.m}@${r.at - (r.at % width)}`;
              want.set(k, (want.get(k) ?? 0) + 1);
            }
            const got = new Map(stored(store, width).map((r) => [`${r.m}@${r.start}`, r.count]));
            expect(got).toEqual(want);
          }
        } finally {
          store.close();
          for (const d of dirs) await rm(d, { recursive: true, force: true });
        }
      }),
      { numRuns: Number(process.env["WK_PROPERTY_RUNS"] ?? 60) },
    );
  }, 600_000);
});
