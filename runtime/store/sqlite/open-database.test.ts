import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../state-error.js";
import { checkInBackground, DATABASE_FILE, HISTORY_TABLES, SLICED_CHECK_SOURCE } from "./open-database.js";
import { SqliteStore } from "./sqlite-store.js";

const T = 1_767_571_200_000;
const PAGE = 4096;

/** A state folder with a few hundred results and alerts, closed. */
function writeState(dir: string): void {
  const store = SqliteStore.open(dir, T);
  for (let i = 0; i < 400; i++) {
    store.recordEvaluation({
      monitorId: `m-${i % 20}`,
      alerts: [],
      readVersions: {},
      results: [{ monitorId: `m-${i % 20}`, at: T + i * 1000, ok: true, firing: false, value: 1, message: "200 in 3ms ".repeat(8), labels: {}, durationMs: 3, error: null }],
      intents: [],
      at: T + i * 1000,
    });
  }
  for (let i = 0; i < 200; i++) {
    store.db.prepare("INSERT INTO alerts (dedup_key, monitor_id, state, data, updated_at) VALUES (?, ?, 'inactive', ?, ?)").run(`k-${i}`, `m-${i}`, "x".repeat(200), T);
  }
  store.close();
}

/** Overwrites a leaf page of the table (dbstat names each page's table) with noise. */
function corruptPageOf(dir: string, table: string): void {
  const path = join(dir, DATABASE_FILE);
  const db = new BetterSqlite3(path, { readonly: true });
  const page = db.prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno DESC LIMIT 1").pluck().get(table) as number | undefined;
  db.close();
  expect(page).toBeDefined();
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.alloc(PAGE, 0xa5), 0, PAGE, (page! - 1) * PAGE);
  closeSync(fd);
}

/** A state folder written afresh (writeState) for each test of the describe block it is called in. */
function stateFolderPerTest(): { readonly path: string } {
  const folder = { path: "" };
  beforeEach(async () => {
    folder.path = await mkdtemp(join(tmpdir(), "wk-open-db-"));
    writeState(folder.path);
  });
  afterEach(async () => {
    await rm(folder.path, { recursive: true, force: true });
  });
  return folder;
}

describe("SQLite start-up integrity check: whole while small, alert state first when large", () => {
  const folder = stateFolderPerTest();

  it("a small file is checked whole at start: a damaged results page refuses to open", () => {
    corruptPageOf(folder.path, "results");
    expect(() => SqliteStore.open(folder.path, T)).toThrow(StateError);
  });

  it("a large file with a damaged results page opens (alert state is sound) and the background check finds the page", async () => {
    corruptPageOf(folder.path, "results");
    const store = SqliteStore.open(folder.path, T, { fullCheckBelowBytes: 0 });
    try {
      const problems = await store.checkDeferred()!;
      expect(problems.length).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });

  it("a large file with a damaged alerts page refuses to open, naming the database", () => {
    corruptPageOf(folder.path, "alerts");
    expect(() => SqliteStore.open(folder.path, T, { fullCheckBelowBytes: 0 })).toThrow(/state database .*state\.db is corrupt \(/);
  });

  it("a sound large file passes the background check; a small one has none to run", async () => {
    const large = SqliteStore.open(folder.path, T, { fullCheckBelowBytes: 0 });
    try {
      expect(await large.checkDeferred()!).toEqual([]);
      expect(large.checkDeferred()).toBeNull();
    } finally {
      large.close();
    }
    const small = SqliteStore.open(folder.path, T);
    try {
      expect(small.checkDeferred()).toBeNull();
    } finally {
      small.close();
    }
  });
});

type SlicedCheck = (db: unknown, tables: readonly string[], sliceRows: number) => { problems: string[]; rows: Record<string, number> };
const checkInSlices = new Function(`return (${SLICED_CHECK_SOURCE})`)() as SlicedCheck;

describe("SQLite background check: the history tables read in slices, each its own read transaction", () => {
  const folder = stateFolderPerTest();

  it("reads every row of every table and index, slice by slice, each slice a seek rather than a scan", () => {
    const db = new BetterSqlite3(join(folder.path, DATABASE_FILE), { readonly: true });
    try {
      const sqls: string[] = [];
      const spy = { pragma: (s: string) => db.pragma(s), prepare: (sql: string) => (sqls.push(sql), db.prepare(sql)) };
      const { problems, rows } = checkInSlices(spy, HISTORY_TABLES, 7);
      expect(problems).toEqual([]);
      const count = (t: string) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
      expect(count("results")).toBe(400);
      expect(count("rollups")).toBeGreaterThan(7);
      expect(rows).toMatchObject({ results: 400, "results.results_at": 400, "results.results_monitor_at": 400, rollups: count("rollups"), "rollups.rollups_age": count("rollups") });
      // A slice that scanned from the start or sorted would make the check quadratic.
      const resumes = sqls.filter((s) => s.includes(" WHERE ("));
      expect(resumes.length).toBeGreaterThan(10);
      for (const sql of resumes) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...sql.split("?").slice(1).map(() => 0)) as Array<{ detail: string }>).map((r) => r.detail).join("; ");
        expect(plan, sql).toMatch(/^SEARCH /);
        expect(plan, sql).not.toMatch(/TEMP B-TREE/);
      }
    } finally {
      db.close();
    }
  });

  it("holds no snapshot between slices: the runtime's writes are checkpointed and the WAL emptied while it runs", () => {
    const writer = new BetterSqlite3(join(folder.path, DATABASE_FILE));
    writer.pragma("journal_mode = WAL");
    const db = new BetterSqlite3(join(folder.path, DATABASE_FILE), { readonly: true });
    try {
      const insert = writer.prepare("INSERT INTO results (monitor_id, at, ok, message, labels, duration_ms) VALUES ('m-x', ?, 1, 'ok', '{}', 1)");
      let slices = 0;
      const between = () => {
        insert.run(T + slices);
        const [r] = writer.pragma("wal_checkpoint(TRUNCATE)") as Array<{ busy: number; log: number; checkpointed: number }>;
        expect(r).toEqual({ busy: 0, log: 0, checkpointed: 0 });
        slices++;
      };
      const spy = {
        pragma: (s: string) => db.pragma(s),
        prepare: (sql: string) => {
          const st = db.prepare(sql);
          const wrapped = { raw: () => (st.raw(), wrapped), get: (...a: unknown[]) => (sql.includes(" FROM \"results\"") && between(), st.get(...a)) };
          return wrapped;
        },
      };
      expect(checkInSlices(spy, ["results"], 50).problems).toEqual([]);
      expect(slices).toBeGreaterThan(20);
    } finally {
      db.close();
      writer.close();
    }
  });

  it("a damaged index page is reported with its table, and the other tables are still read", () => {
    corruptPageOf(folder.path, "results_at");
    const db = new BetterSqlite3(join(folder.path, DATABASE_FILE), { readonly: true });
    try {
      const { problems, rows } = checkInSlices(db, HISTORY_TABLES, 7);
      expect(problems).toEqual([expect.stringMatching(/^results: .*malformed/)]);
      expect(rows.rollups).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it("a file that is not a database is a problem found, not a crash of the check", async () => {
    writeFileSync(join(folder.path, DATABASE_FILE), "not a database ".repeat(500));
    expect(await checkInBackground(folder.path).done).toEqual([expect.stringMatching(/not a database/)]);
  });
});
