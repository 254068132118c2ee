import BetterSqlite3, { type Database } from "better-sqlite3";
import { statSync, type Stats } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { migrate } from "./schema.js";
import { corruptState, StateError, stateErrorOf } from "../state-error.js";
import { makeFolders } from "../../../sdk/make-folders.js";

export const DATABASE_FILE = "state.db";

/**
 * The tables that hold history (runtime/store/history.ts): nearly all of a large state file, and
 * nothing a tick needs to page correctly. At 10,000 monitors every 10 s they are about 25 GB.
 */
export const HISTORY_TABLES: readonly string[] = ["results", "rollups", "alert_events", "alert_diagnostics", "delivery_attempts"];

/**
 * Up to this size start-up checks the whole file (about 3.5 s cold); above it, the tables of alert
 * state, outbox, deliveries and silences at start and the history tables in the background.
 */
export const FULL_CHECK_BELOW_BYTES = 256 * 2 ** 20;

/** What the WAL file is cut back to once a checkpoint has copied it all (see open). */
export const WAL_SIZE_LIMIT_BYTES = 64 * 2 ** 20;

/**
 * How long one write waits for another process's write lock on state.db (an operator's `sqlite3`,
 * a script) before it fails with "database is locked". SQLite waits by sleeping the thread, and
 * better-sqlite3 runs on the event loop: at 5 s, each of readyz's probe, a heartbeat, a delivery
 * claim or a prune froze the whole runtime for 5 s while the lock was held. The runtime is the
 * only writer it expects (the folder's lock), so a lock is not waited out: the write fails, the
 * tick is left out and logged, readyz says the store is not writable, and the next tick evaluates
 * again from the stored state. (Transactions that read first fail at once anyway: SQLite does not
 * wait to upgrade a read to a write.)
 */
export const BUSY_TIMEOUT_MS = 100;

/** SQLite's page cache for the runtime's connection, in KiB (why this size: where it is set). */
export const PAGE_CACHE_KIB = 512;

export interface OpenedDatabase {
  db: Database;
  /** The file was too large to check whole at start: run checkInBackground() once the runtime is up (the history tables). */
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
 * SQLite's btree.c). checkInBackground() then reads every page of the history tables, off the
 * event loop, in slices that never hold the WAL back for long.
 */
export function openStateDatabase(stateDir: string, fullCheckBelowBytes: number = FULL_CHECK_BELOW_BYTES): OpenedDatabase {
  const path = join(stateDir, DATABASE_FILE);
  let db: Database | null = null;
  try {
    for (const file of [path, `${path}-wal`, `${path}-shm`]) requireRegularFile(file);
    const large = sizeOf(path) >= fullCheckBelowBytes;
    db = new BetterSqlite3(path);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // better-sqlite3 builds SQLite with a 16 MiB page cache; the pages a commit touches are the
    // newest results and one index leaf per monitor, and the rest sit in the OS page cache
    // anyway. 512 KiB holds the inner pages every commit walks (a few dozen, even on a week's
    // 25 GB file, whose leaves would not fit in 16 MiB either); a larger cache only fills with
    // leaves a commit will not touch again for a tick. On a week's state, 2 MiB of cache was
    // about 3 MB of the runtime's RSS that an empty folder did not have yet; CPU per tick was the
    // same at 256 KiB, 512 KiB and 2 MiB (bench/results/history.md). Set before the check, which
    // reads every page it checks through the cache. No mmap either: mapped pages would count as
    // our RSS.
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    const problems = large ? scopedCheck(db) : quickCheck(db, null);
    if (problems.length > 0) throw corruptState(path, `quick_check: ${summary(problems)}`);
    // Before WAL mode is set, which would change the file's header.
    refuseForeignDatabase(db, path);
    db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode stays consistent after a crash; a power cut may lose the last commits only.
    db.pragma("synchronous = NORMAL");
    // A WAL that grew while a reader held it back (a long view query, a backup) is cut back to
    // 64 MiB at the next checkpoint that resets it, instead of keeping its largest size on disk.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
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

/**
 * A state file that is there must be a regular file (a link to one will do). SQLite reports a
 * folder as a permission problem and a FIFO as a disk error, and those hints send the operator the
 * wrong way.
 */
export function requireRegularFile(path: string): void {
  let s: Stats;
  try {
    s = statSync(path);
  } catch {
    return; // Missing (SQLite creates it) or unreadable (SQLite says so, with the path).
  }
  if (s.isFile()) return;
  const kind = s.isDirectory() ? "a folder" : s.isFIFO() ? "a FIFO" : s.isSocket() ? "a socket" : "a device";
  throw new StateError("unusable", `${path} is ${kind}, not a file`, `the state folder holds only the runtime's own files: move ${path} away, or give the runtime another --state folder`);
}

/**
 * A SQLite file with tables but no schema version was not written by a runtime (another program's
 * database named state.db, or a state whose version row was deleted): migrating it would fail
 * half-way on a table that already exists, so it is refused, untouched.
 */
function refuseForeignDatabase(db: Database, path: string): void {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().all() as string[];
  // migrate() makes schema_version before the transaction of the first migration: alone, it is a new state.
  if (tables.every((t) => t === "schema_version")) return;
  if (tables.includes("schema_version") && db.prepare("SELECT count(*) FROM schema_version").pluck().get() !== 0) return;
  throw new StateError(
    "unusable",
    `${path} is a SQLite database but not a watchkeeper state: it has tables (${summary(tables.filter((t) => t !== "schema_version"))}) and no schema version`,
    "point --state at a folder of its own for the runtime (an empty one starts a new state); if this was the runtime's state and its schema_version row was removed, restore the folder from a backup",
  );
}

/** A file's size in bytes; 0 when it does not exist or cannot be read. */
export function sizeOf(path: string): number {
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

/**
 * Rows read per statement by the background check. Each statement is its own read transaction, so
 * the WAL can be checkpointed between them: a slice of 10,000 rows takes milliseconds, where one
 * whole-file quick_check held its snapshot for minutes on a large file and the WAL (and its mapped
 * index, counted in the runtime's RSS) grew by everything written meanwhile.
 */
export const CHECK_SLICE_ROWS = 10_000;

/**
 * After each slice the check sleeps this many times as long as the slice took: it takes at most a
 * tenth of a core and of the disk's time, so a week's 25 GB take about 50 minutes. Unpaced it read
 * about 100 MB/s and held a week's runtime back: p99 scheduling lag 114 ms against 23 on an empty
 * folder; paced 3x, 37 ms; 9x, 26 ms (bench/results/history.md).
 */
export const CHECK_PAUSE_FACTOR = 9;

/**
 * The background check, as source for the child process (and for tests, through
 * `new Function`): every b-tree of the given tables (the table and each index) read in key order
 * in slices of `sliceRows` rows, each slice its own statement and read transaction, resuming after
 * the last key read. Reading every row through the b-tree loads every page, interior, leaf and
 * overflow, so a page SQLite cannot read (what the views and the pruner would meet) ends that
 * b-tree's scan with SQLITE_CORRUPT, which becomes a problem naming the table and index. What it
 * does not do that quick_check does: check the key order within pages and that no page is used
 * twice (the start-up check covers the freelist). A table whose keys cannot be sliced (an
 * expression or partial index, a NULL key) gets SQLite's `quick_check(TABLE)` instead, in one
 * statement. `paced` is told how long each slice took (the child sleeps after it). Returns the
 * problems and the rows read per b-tree.
 */
export const SLICED_CHECK_SOURCE = String.raw`function checkInSlices(db, tables, sliceRows, paced = () => {}) {
  const q = (name) => '"' + String(name).replace(/"/g, '""') + '"';
  const problems = [];
  const rows = {};
  const damaged = (error) => /^SQLITE_(CORRUPT|NOTADB)/.test(String(error && error.code));
  const whole = (table) => {
    try {
      for (const r of db.pragma("quick_check(" + q(table) + ")")) if (r.quick_check !== "ok") problems.push(table + ": " + r.quick_check);
    } catch (error) {
      if (!damaged(error)) throw error;
      problems.push(table + ": " + error.message);
    }
  };
  // A slice is two statements, both run in SQLite's C with nothing per row in JS: the key of its
  // last row (OFFSET steps over the rest), then every row up to it read with each column's whole
  // value (appending '' loads text and blobs whole, overflow pages included), summed to one row.
  const scan = (table, index, keys, touched) => {
    const from = " FROM " + q(table) + (index === null ? " NOT INDEXED" : " INDEXED BY " + q(index));
    const row = "(" + keys.join(", ") + ")";
    const marks = "(" + keys.map(() => "?").join(", ") + ")";
    const touch = "sum(" + touched.map((c) => "length(" + c + " || '')").join(" + ") + ")";
    const end = (after) => db.prepare("SELECT " + keys.join(", ") + from + (after ? " WHERE " + row + " > " + marks : "") + " ORDER BY " + keys.join(", ") + " LIMIT 1 OFFSET " + (sliceRows - 1)).raw();
    const read = (after, upTo) =>
      db.prepare("SELECT count(*), " + touch + from + (after || upTo ? " WHERE " : "") + [after ? row + " > " + marks : "", upTo ? row + " <= " + marks : ""].filter(Boolean).join(" AND ")).raw();
    const statements = { end: [end(false), end(true)], read: [[read(false, false), read(false, true)], [read(true, false), read(true, true)]] };
    let cursor = null;
    let count = 0;
    for (;;) {
      const started = performance.now();
      const last = statements.end[cursor ? 1 : 0].get(...(cursor ?? []));
      if (last && last.some((v) => v === null)) return false;
      const [n] = statements.read[cursor ? 1 : 0][last ? 1 : 0].get(...(cursor ?? []), ...(last ?? []));
      paced(performance.now() - started);
      count += n;
      if (!last) break;
      cursor = last;
    }
    rows[table + (index === null ? "" : "." + index)] = count;
    return true;
  };
  for (const table of tables) {
    try {
      const info = db.prepare("SELECT wr FROM pragma_table_list WHERE name = ?").get(table);
      if (info === undefined) continue;
      const indexes = db.pragma("index_list(" + q(table) + ")");
      let tableKeys = ["rowid"];
      if (info.wr === 1) {
        const pk = indexes.find((i) => i.origin === "pk");
        tableKeys = db.pragma("index_xinfo(" + q(pk.name) + ")").filter((c) => c.key === 1).map((c) => q(c.name));
      }
      const columns = db.pragma("table_xinfo(" + q(table) + ")").filter((c) => c.hidden === 0).map((c) => q(c.name));
      const plans = [[null, tableKeys, columns]];
      let sliceable = true;
      for (const index of indexes) {
        if (info.wr === 1 && index.origin === "pk") continue;
        const key = db.pragma("index_xinfo(" + q(index.name) + ")").map((c) => (c.cid === -1 ? "rowid" : c.cid === -2 ? null : q(c.name)));
        if (index.partial === 1 || key.includes(null)) sliceable = false;
        else plans.push([index.name, key, key]);
      }
      if (!sliceable || !plans.every(([index, keys, touched]) => scan(table, index, keys, touched))) whole(table);
    } catch (error) {
      if (!damaged(error)) throw error;
      problems.push(table + ": " + error.message);
    }
  }
  return { problems, rows };
}`;

// Runs in a child process: its own read-only connection (WAL lets it read beside the runtime's
// writes), the history tables read in slices, the problems as JSON on stdout.
// A file SQLite cannot open as a database is a problem found; any other failure ends the child
// with its message as the last line of stderr, which the runtime logs.
const CHECK_CHILD = `
const [modulePath, databasePath, tables, sliceRows, pauseFactor] = process.argv.slice(1);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const paced = (ms) => Atomics.wait(sleeper, 0, 0, ms * Number(pauseFactor));
let db = null;
try {
  db = new (require(modulePath))(databasePath, { readonly: true, fileMustExist: true });
  db.pragma("cache_size = -2048");
  const { problems } = (${SLICED_CHECK_SOURCE})(db, JSON.parse(tables), Number(sliceRows), paced);
  process.stdout.write(JSON.stringify(problems));
} catch (error) {
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(String(error && error.code))) process.stdout.write(JSON.stringify([String(error.message)]));
  else {
    process.stderr.write(String((error && error.message) || error).split("\\n")[0] + "\\n");
    process.exitCode = 1;
  }
} finally {
  if (db !== null && db.open) db.close();
}
`;

/** Niceness of the check: the runtime's ticks come first when both want the same core. */
const CHECK_NICENESS = 10;

/**
 * The history tables' check, in a child process, for a database openStateDatabase checked only in
 * part (SLICED_CHECK_SOURCE: every page read, a slice of rows per read transaction, so the WAL is
 * never held back for more than a slice). A process rather than a thread: its memory (node and
 * SQLite's reads) is not the runtime's and is returned when it ends, a fault in it cannot take the
 * runtime down, and it runs at a lower priority. It gets an empty environment (no secret reaches
 * it) and five arguments: the SQLite module, the file, the tables, the slice size and the pace. stop() kills
 * it; if the runtime dies first, the check finishes on its own and exits.
 */
export function checkInBackground(stateDir: string, sliceRows: number = CHECK_SLICE_ROWS, pauseFactor: number = CHECK_PAUSE_FACTOR): BackgroundCheck {
  const args = [createRequire(import.meta.url).resolve("better-sqlite3"), join(stateDir, DATABASE_FILE), JSON.stringify(HISTORY_TABLES), String(sliceRows), String(pauseFactor)];
  const child = spawn(process.execPath, ["-e", CHECK_CHILD, ...args], {
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
    makeFolders(stateDir);
  } catch (error) {
    throw stateErrorOf(error, stateDir) ?? error;
  }
}
