/**
 * The background integrity check on a large state file, beside a writer committing as the runtime
 * does: how long the check takes, and how far the WAL and its mapped index (`state.db-shm`, counted
 * in the runtime's RSS) grow while it runs.
 *
 * The writer commits 10 results every 10 ms (1,000 a second, the runtime benchmark's rate) into
 * the folder's database, with SQLite's default auto-checkpoint, from this process. The check is
 * the runtime's own (checkInBackground: a child process, nice 10, the history tables read in
 * slices). With WK_CHECK_WHOLE=1 the same child runs the whole file's `PRAGMA quick_check` instead,
 * as the runtime did before, for the comparison.
 *
 *   WK_WEEK_STATE=<a state folder kept by bench:week> node bench/run-ts.mjs bench/history/background-check.ts
 *
 * WK_CHECK_SECONDS stops the check after that long; WK_CHECK_NONE=1 runs the writer alone for that
 * long (the baseline). The writer checkpoints by hand every 1,000 pages, as SQLite's
 * auto-checkpoint would, so commits and checkpoints are timed apart.
 *
 * The folder must not be in use by a runtime. The writer's rows are deleted again at the end.
 */
import BetterSqlite3 from "better-sqlite3";
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { join } from "node:path";
import { checkInBackground, DATABASE_FILE } from "../../runtime/store/sqlite/open-database.js";

const folder = process.env["WK_WEEK_STATE"];
if (!folder) {
  process.stderr.write("WK_WEEK_STATE must name a state folder (bench:week with WK_BENCH_KEEP=1 keeps one)\n");
  process.exit(2);
}
const whole = process.env["WK_CHECK_WHOLE"] === "1";
/** Stop the check after this many seconds (0: let it finish); WK_CHECK_NONE=1 runs the writer alone for that long. */
const stopAfterS = Number(process.env["WK_CHECK_SECONDS"] ?? 0);
const none = process.env["WK_CHECK_NONE"] === "1";
const path = join(folder, DATABASE_FILE);
const size = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const db = new BetterSqlite3(path);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("cache_size = -2048");
// The writer checkpoints by hand, as SQLite's auto-checkpoint would (every 1,000 pages of WAL),
// so that commit and checkpoint are timed apart.
db.pragma("wal_autocheckpoint = 0");
const insert = db.prepare("INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms) VALUES (?, ?, 1, 0, 1, 'HTTP 200 in 3 ms', '{}', 3)");
const commit = db.transaction((at: number) => {
  for (let i = 0; i < 10; i++) insert.run(`bench-${(Math.floor(at / 10) + i) % 10_000}`, at);
});
const firstId = (db.prepare("SELECT coalesce(max(id), 0) FROM results").pluck().get() as number) + 1;

const wholeChild = `
const [modulePath, databasePath] = process.argv.slice(1);
const db = new (require(modulePath))(databasePath, { readonly: true, fileMustExist: true });
db.pragma("cache_size = -2048");
const problems = db.pragma("quick_check").map((r) => r.quick_check).filter((p) => p !== "ok");
process.stdout.write(JSON.stringify(problems));
db.close();
`;
const started = Date.now();
let stop: () => Promise<void> = async () => {};
const done: Promise<string[]> = none
  ? new Promise((resolve) => setTimeout(() => resolve([]), stopAfterS * 1000))
  : whole
  ? new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["-e", wholeChild, createRequire(import.meta.url).resolve("better-sqlite3"), path], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => void (out += d));
      child.once("close", (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`exit ${code}`))));
    })
  : (() => {
      const check = checkInBackground(folder);
      stop = check.stop;
      return check.done;
    })();
if (stopAfterS > 0 && !none) setTimeout(() => void stop(), stopAfterS * 1000);
let finished = false;
void done.then(
  () => void (finished = true),
  () => void (finished = true),
);

let peakWal = 0;
let peakShm = 0;
let commits = 0;
const commitMs: number[] = [];
const checkpointMs: number[] = [];
const load = loadavg();
while (!finished) {
  const at = Date.now();
  const t0 = performance.now();
  commit(at);
  commitMs.push(performance.now() - t0);
  commits++;
  const [wal] = db.pragma("wal_checkpoint(NOOP)") as Array<{ log: number }>;
  // SQLite's own rule (sqlite3WalDefaultHook): a passive checkpoint after any commit that leaves 1,000 frames or more.
  if (wal !== undefined && wal.log >= 1000) {
    const t1 = performance.now();
    db.pragma("wal_checkpoint(PASSIVE)");
    checkpointMs.push(performance.now() - t1);
  }
  peakWal = Math.max(peakWal, size(`${path}-wal`));
  peakShm = Math.max(peakShm, size(`${path}-shm`));
  await new Promise((r) => setTimeout(r, 10));
}
const problems = await done.catch((error: Error) => [`stopped: ${error.message}`]);
const seconds = (Date.now() - started) / 1000;
const sorted = commitMs.sort((a, b) => a - b);
const cps = checkpointMs.sort((a, b) => a - b);
const at = (xs: number[], q: number) => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(xs.length * q))]!);
db.prepare("DELETE FROM results WHERE id >= ?").run(firstId);
db.pragma("wal_checkpoint(TRUNCATE)");
db.close();
process.stdout.write(
  [
    `check: ${none ? "none (the writer alone)" : whole ? "whole-file quick_check (before)" : "history tables in slices (checkInBackground)"} on ${mb(size(path))} MB${stopAfterS > 0 ? `, stopped after ${stopAfterS} s` : ""}`,
    `took ${seconds.toFixed(1)} s; problems: ${problems.length}`,
    `writer: ${commits} commits of 10 rows; commit p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)]!.toFixed(2)} ms`,
    `commit max ${sorted[sorted.length - 1]!.toFixed(1)} ms; commits over 20 ms: ${sorted.filter((t) => t > 20).length}`,
    `checkpoints: ${cps.length}; p50 ${at(cps, 0.5).toFixed(1)} ms, p99 ${at(cps, 0.99).toFixed(1)} ms, max ${at(cps, 1).toFixed(1)} ms; over 20 ms: ${cps.filter((t) => t > 20).length}`,
    `peak WAL ${mb(peakWal)} MB, peak -shm ${mb(peakShm)} MB`,
    `load average before: ${load.map((l) => l.toFixed(1)).join(", ")}`,
    "",
  ].join("\n"),
);
