import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateError } from "../state-error.js";
import { DATABASE_FILE } from "./open-database.js";
import { SqliteStore } from "./sqlite-store.js";
import { HOLDER_FILE, LOCK_FILE } from "./state-lock.js";

const T = 1_767_571_200_000;

/** What opening the state folder throws (the test fails if it opens). */
function refusal(dir: string): StateError {
  let store: SqliteStore | null = null;
  try {
    store = SqliteStore.open(dir, T);
  } catch (error) {
    expect(error).toBeInstanceOf(StateError);
    return error as StateError;
  } finally {
    store?.close();
  }
  throw new Error("the state folder opened");
}

describe("a state folder holding files the runtime did not make", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-state-files-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("another program's SQLite database named state.db is refused untouched, not migrated into until it fails half-way", () => {
    const path = join(dir, DATABASE_FILE);
    const other = new BetterSqlite3(path);
    other.exec("CREATE TABLE alerts (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO alerts (title) VALUES ('theirs')");
    other.close();
    const before = readFileSync(path);
    const error = refusal(dir);
    expect(error.problem).toBe("unusable");
    expect(error.message).toBe(`${path} is a SQLite database but not a watchkeeper state: it has tables (alerts) and no schema version`);
    expect(error.hint).toContain("--state");
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("a state whose version row was deleted by hand is refused with the same reason, and a sound state still opens", () => {
    SqliteStore.open(dir, T).close();
    const db = new BetterSqlite3(join(dir, DATABASE_FILE));
    db.exec("DELETE FROM schema_version");
    db.close();
    expect(refusal(dir).message).toContain("is a SQLite database but not a watchkeeper state");
    const fresh = join(dir, "fresh");
    SqliteStore.open(fresh, T).close();
    SqliteStore.open(fresh, T).close();
  });

  it("state.db as a folder or a FIFO is named as such, not as a permission or disk problem", async () => {
    await mkdir(join(dir, DATABASE_FILE));
    const folder = refusal(dir);
    expect(folder.message).toBe(`${join(dir, DATABASE_FILE)} is a folder, not a file`);
    expect(folder.hint).toContain(`move ${join(dir, DATABASE_FILE)} away`);
    await rm(join(dir, DATABASE_FILE), { recursive: true });
    execFileSync("mkfifo", [join(dir, `${DATABASE_FILE}-wal`)]);
    expect(refusal(dir).message).toBe(`${join(dir, DATABASE_FILE)}-wal is a FIFO, not a file`);
  });

  it("a lock file that is not SQLite is said to hold no state, not called a corrupt state database to be moved aside", () => {
    writeFileSync(join(dir, LOCK_FILE), "pid 1234\n");
    const error = refusal(dir);
    expect(error.problem).toBe("unusable");
    expect(error.message).toContain(`${join(dir, LOCK_FILE)} is not a lock file a watchkeeper runtime made`);
    expect(error.hint).toBe(`it holds no alert state: remove ${join(dir, LOCK_FILE)} and start again; the runtime makes a new one`);
    expect(error.hint).not.toContain("alerts firing now page again");
  });

  it("a FIFO in place of the lock holder's file does not hold a refused start: it is refused at once, as locked", async () => {
    const first = SqliteStore.open(dir, T);
    const fifo = join(dir, HOLDER_FILE);
    await rm(fifo);
    execFileSync("mkfifo", [fifo]);
    // Something writes to it a second later: a blocking read would wait for it.
    const writer = spawn("sh", ["-c", `sleep 1; echo '{}' > "${fifo}"`], { stdio: "ignore" });
    try {
      const started = performance.now();
      const error = refusal(dir);
      expect(performance.now() - started).toBeLessThan(500);
      expect(error.problem).toBe("locked");
      expect(error.message).toContain("a process that is still starting");
    } finally {
      writer.kill("SIGKILL");
      first.close();
    }
  });
});
