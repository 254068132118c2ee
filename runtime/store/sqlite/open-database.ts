import BetterSqlite3, { type Database } from "better-sqlite3";
import { mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { migrate } from "./schema.js";
import { corruptState, StateError, stateErrorOf } from "../state-error.js";

export const DATABASE_FILE = "state.db";

/**
 * The tables that hold history (runtime/store/history.ts): nearly all of a large state file, and
 * nothing a tick needs to page correctly. At 10,000 monitors every 10 s they are about 25 GB.
 */
export const HISTORY_TABLES: readonly string[] = ["results", "rollups", "alert_events", "alert_diagnostics", "delivery_attempts"];

/**
 * Up to this size start-up checks the whole file (about 3.5 s cold); above it, the tables of alert
 * state, outbox, deliveries and silences at start and the whole file in the background.
 */
export const FULL_CHECK_BELOW_BYTES = 256 * 2 ** 20;

export interface OpenedDatabase {
  db: Database;
  /** The file was too large to check whole at start: run checkInBackground() once the runtime is up. */
  deferredCheck: boolean;
}

/**
 * Opens `state.db` for the runtime: WAL mode, integrity checked, schema migrated, a write proven.
 * Any problem of the environment (corrupt file, no permission, disk) comes out as a StateError
 * naming the path, before the runtime serves anything or reports ready.
 *
 * `PRAGMA quick_check` rather than `integrity_check`: it reads every page and checks the b-trees
 * but not that indexes match their tables, which keeps it linear. Measured on a 104 MB database:
 * 0.14 s with the file in the page cache, 1.4 s cold; integrity_check took 0.48 s warm. A file of
 * FULL_CHECK_BELOW_BYTES or more is checked a table at a time (SQLite's partial check,
 * `quick_check(TABLE)`: the table and its indexes) for every table but the history ones, and
 * `sqlite_schema`: a partial check skips the freelist and the every-page-used check, except that
 * checking the schema table (root page 1) still walks the freelist (sqlite3BtreeIntegrityCheck in
 * SQLite's btree.c). checkInBackground() then reads the whole file as before, off the event loop.
 */
export function openStateDatabase(stateDir: string, fullCheckBelowBytes: number = FULL_CHECK_BELOW_BYTES): OpenedDatabase {
  const path = join(stateDir, DATABASE_FILE);
  let db: Database | null = null;
  try {
    const large = sizeOf(path) >= fullCheckBelowBytes;
    db = new BetterSqlite3(path);
    db.pragma("busy_timeout = 5000");
    // better-sqlite3 builds SQLite with a 16 MiB page cache; the pages a commit touches are the
    // newest results and one index leaf per monitor, and the rest sit in the OS page cache
    // anyway. 2 MiB costs no measurable CPU per commit and keeps 14 MiB out of the runtime's RSS
    // (bench/results/runtime.md). Set before the check, which reads every page it checks through
    // the cache. No mmap either: mapped pages would count as our RSS.
    db.pragma("cache_size = -2048");
    const problems = large ? scopedCheck(db) : quickCheck(db, null);
    if (problems.length > 0) throw corruptState(path, `quick_check: ${summary(problems)}`);
    db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode stays consistent after a crash; a power cut may lose the last commits only.
    db.pragma("synchronous = NORMAL");
    migrate(db);
    // SQLite opens a file it may not write read-only without a word; only a write tells.
    db.prepare("INSERT OR REPLACE INTO probe (id, at) VALUES (1, 0)").run();
    return { db, deferredCheck: large };
  } catch (error) {
    if (db?.open) db.close();
    if (error instanceof StateError) throw error;
    throw stateErrorOf(error, path) ?? error;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** What quick_check reports, without its "ok": the whole file, or one table and its indexes. */
function quickCheck(db: Database, table: string | null): string[] {
  const sql = table === null ? "quick_check" : `quick_check(${JSON.stringify(table)})`;
  return (db.pragma(sql) as Array<{ quick_check: string }>).map((r) => r.quick_check).filter((p) => p !== "ok");
}

/** Every table but the history ones, and the schema table with the freelist. */
function scopedCheck(db: Database): string[] {
  const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]).filter((t) => !HISTORY_TABLES.includes(t));
  return ["sqlite_schema", ...tables].flatMap((t) => quickCheck(db, t));
}

function summary(problems: string[]): string {
  return `${problems.slice(0, 3).join("; ")}${problems.length > 3 ? `; and ${problems.length - 3} more` : ""}`;
}

/** A background check in progress: `done` resolves with the problems found (none: the file is sound). */
export interface BackgroundCheck {
  done: Promise<string[]>;
  stop(): Promise<void>;
}

// Runs in a child process: its own read-only connection (WAL lets it read beside the runtime's
// writes), the whole file's quick_check, the problems as JSON on stdout.
const CHECK_CHILD = `
const [modulePath, databasePath] = process.argv.slice(1);
const Database = require(modulePath);
const db = new Database(databasePath, { readonly: true, fileMustExist: true });
try {
  db.pragma("cache_size = -2048");
  let problems;
  try {
    problems = db.pragma("quick_check").map((r) => r.quick_check).filter((p) => p !== "ok");
  } catch (error) {
    // A page too damaged to walk ends the check with SQLITE_CORRUPT rather than a list.
    if (!/^SQLITE_(CORRUPT|NOTADB)/.test(String(error && error.code))) throw error;
    problems = [String(error.message)];
  }
  process.stdout.write(JSON.stringify(problems));
} finally {
  db.close();
}
`;

/** Niceness of the check: the runtime's ticks come first when both want the same core. */
const CHECK_NICENESS = 10;

/**
 * The whole file's quick_check, in a child process, for a database openStateDatabase checked only
 * in part. A process rather than a thread: its memory (node and SQLite's reads) is not the
 * runtime's and is returned when it ends, a fault in it cannot take the runtime down, and it runs
 * at a lower priority. It gets an empty environment (no secret reaches it) and two arguments: the
 * SQLite module and the file. It holds a read snapshot while it runs (minutes on tens of GB), so the WAL cannot be
 * checkpointed past it meanwhile and grows by what the runtime writes in that time. stop() kills
 * it; if the runtime dies first, the check finishes on its own and exits.
 */
export function checkInBackground(stateDir: string): BackgroundCheck {
  const child = spawn(process.execPath, ["-e", CHECK_CHILD, createRequire(import.meta.url).resolve("better-sqlite3"), join(stateDir, DATABASE_FILE)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {},
  });
  try {
    if (child.pid !== undefined) setPriority(child.pid, CHECK_NICENESS);
  } catch {
    // Not allowed here: it runs at the runtime's priority.
  }
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => void (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => void (err = (err + d).slice(-2_000)));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const done = new Promise<string[]>((resolve, reject) => {
    child.once("error", reject);
    void exited.then((code) => {
      if (code !== 0) return reject(new Error(`the background integrity check stopped (exit ${code}): ${err.trim().split("\n").pop() ?? ""}`));
      try {
        const problems = JSON.parse(out) as unknown;
        if (!Array.isArray(problems) || !problems.every((p) => typeof p === "string")) throw new Error("not a list of problems");
        resolve(problems);
      } catch (error) {
        reject(new Error(`the background integrity check answered something unreadable: ${(error as Error).message}`));
      }
    });
  });
  // Settled either way; the runtime reports what it found.
  done.catch(() => undefined);
  return {
    done,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Creates the state folder when it is missing; a StateError when that is not allowed. */
export function ensureStateFolder(stateDir: string): void {
  try {
    mkdirSync(stateDir, { recursive: true });
  } catch (error) {
    throw stateErrorOf(error, stateDir) ?? error;
  }
}
