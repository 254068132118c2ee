/**
 * A week's state: the runtime ticking 10,000 monitors every 10 s on a state folder that holds what
 * a week at that rate leaves behind with the default retention, back to back with the same runtime
 * on an empty state folder.
 *
 *  1. Seed: the schema comes from opening the real store (SqliteStore) and closing it; the rows go
 *     in with better-sqlite3 directly, as `INSERT ... SELECT` from recursive CTEs (the loop runs in
 *     SQLite's C), a transaction per million rows, with the secondary indexes of results and
 *     rollups dropped for the load and built again from their own definitions at the end (by
 *     sorting): results for the last 48 h plus the pruner's 5 minutes of slack, oldest first,
 *     minute rollups for 7 days in their key order, hour and day rollups for the week, alert
 *     transitions and diagnostics. Monitor ids are the runtime benchmark's fleet's (`bench-N`), so
 *     the runtime's ticks append to their history. Seeding stops at WK_WEEK_SEED_MINUTES (default
 *     25; the indexes are built whatever is left): what was seeded is counted and reported.
 *  2. The pruner at full size, in this process on the real store: every batch timed (a batch is
 *     synchronous, so its time is the event-loop stall it causes in the runtime).
 *  3. `PRAGMA quick_check` timed on the seeded file, then the runtime (as bench/runtime/bench.ts
 *     runs it: fleet.ts, settings.ts, target.mjs, the same node flags and heap cap) on the seeded
 *     folder and on an empty folder, alternating, WK_WEEK_ROUNDS rounds: time from spawn to READY
 *     and to the first check, checks/s, p99 lag, CPU per 1,000 checks, peak RSS, RSS over time.
 *
 * Env: WK_BENCH_DIR (parent of the state folders; default a temp dir), WK_BENCH_KEEP=1 (keep them),
 * WK_WEEK_SEED_MINUTES, WK_WEEK_RESULT_HOURS (default 48), WK_WEEK_DAYS (default 7), WK_WEEK_ROUNDS
 * (default 2), WK_WEEK_WARMUP (s, default 30), WK_WEEK_SECONDS (s, default 330: the window holds the
 * pruner's second run, 300 s after the runtime's start, as well as its first), WK_BENCH_PIN=0,
 * WK_BENCH_OUT (where the markdown goes; default printed only), WK_WEEK_STATE (a state folder kept
 * from an earlier run: no seeding, and it is left in place), WK_WEEK_QUICK=0 (skip the timed quick_check),
 * WK_WEEK_FOLDERS (default `week,empty`; `week` runs the week's folder alone), WK_WEEK_PRUNE=0 (leave
 * what expired since the state was last pruned to the runtime's pruner: a restart after downtime),
 * WK_WEEK_STALLS=1 (the runtime records what each late tick waited behind: long store calls, GC
 * pauses, commit holds, gaps in the event loop, each gap with the store time and GC time inside it;
 * each window lists its five latest ticks with them and their time from the window's start). The
 * recorder's buffer costs the runtime about 4 MB of RSS (bench/results/history.md): peak RSS to set
 * beside the runtime benchmark's figure comes from a run without it.
 */
import BetterSqlite3 from "better-sqlite3";
import { statfsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { binOf, encodeBins, ROLLUP_WIDTH_MS, type Bins } from "../../runtime/store/latency-histogram.js";
import { PRUNE_BATCH, retentionOf } from "../../runtime/store/retention.js";
import { DATABASE_FILE } from "../../runtime/store/sqlite/open-database.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { bundleChild } from "../../test/runtime/support/child-process.js";
import { measure, sleep, startRuntime, startTarget, writeFleet, type MeasuredRuntime, type Window } from "../runtime/fleet.js";
import { helperProcesses, peakRssMb } from "../runtime/proc-stats.js";
import { canPinCpus, runtimeNodeOptions } from "../runtime/settings.js";

const MONITORS = 10_000;
const EVERY_MS = 10_000;
const num = (name: string, d: number) => Number(process.env[name] ?? d);
const SEED_BUDGET_MS = num("WK_WEEK_SEED_MINUTES", 25) * 60_000;
const RESULT_HOURS = num("WK_WEEK_RESULT_HOURS", 48);
const DAYS = num("WK_WEEK_DAYS", 7);
const ROUNDS = num("WK_WEEK_ROUNDS", 2);
const WARMUP = num("WK_WEEK_WARMUP", 30);
// The pruner runs at start and every 5 minutes (PRUNE_EVERY_MS): a shorter window would see only
// the tail of the first run, which has a few seconds' backlog, and never a run of 5 minutes' expiry.
const SECONDS = num("WK_WEEK_SECONDS", 330);
const KEEP = process.env.WK_BENCH_KEEP === "1";
/** WK_WEEK_STALLS=1: the runtime records what each late tick waited behind (runtime-child's WK_CHILD_STALLS). */
const STALLS = process.env.WK_WEEK_STALLS === "1";
/** Which folders each round runs (a diagnostic run may take the week's alone). */
const FOLDERS = (process.env.WK_WEEK_FOLDERS ?? "week,empty").split(",");
const SLACK_MS = 5 * 60_000;
const MINUTE = ROLLUP_WIDTH_MS.minute;
const HOUR = ROLLUP_WIDTH_MS.hour;
const DAY = ROLLUP_WIDTH_MS.day;
const canPin = canPinCpus();
const RUNTIME_CPUS = canPin ? "0" : null;
const TARGET_CPUS = canPin ? "1" : null;

const log = (line: string) => process.stderr.write(`[week] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const loads: Array<[string, number[]]> = [];
const noteLoad = (when: string) => loads.push([when, loadavg()]);
const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
const big = (n: number) => n.toLocaleString("en-US");


async function folderBytes(path: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) bytes += (await stat(join(path, name)).catch(() => ({ size: 0 }))).size;
  return bytes;
}

/** Realistic encoded latency bins: what a minute (6 checks), an hour (360) and a day (8,640) of loopback HTTP checks hold. */
function binPalette(checks: number, variants: number): Buffer[] {
  const out: Buffer[] = [];
  for (let v = 0; v < variants; v++) {
    const bins: Bins = new Map();
    for (let i = 0; i < checks; i++) {
      // 1-6 ms mostly, a 2 % tail to 40 ms (the loopback target under load).
      const ms = Math.random() < 0.02 ? 5 + Math.random() * 35 : 0.8 + Math.random() * Math.random() * 5;
      const b = binOf(ms);
      bins.set(b, (bins.get(b) ?? 0) + 1);
    }
    out.push(encodeBins(bins));
  }
  return out;
}

interface Seeded {
  resultsFrom: number;
  resultsTo: number;
  results: number;
  minuteFrom: number;
  minuteRows: number;
  hourRows: number;
  dayRows: number;
  events: number;
  diagnostics: number;
  seconds: Record<string, number>;
  complete: boolean;
  bytes: number;
}

/** Seeds `stateDir` with a week of 10,000 monitors every 10 s ending at `end`, within the time budget. */
function seed(stateDir: string, end: number): Seeded {
  const started = Date.now();
  const deadline = started + SEED_BUDGET_MS;
  // The schema exactly as the runtime creates it.
  SqliteStore.open(stateDir, end).close();
  const db = new BetterSqlite3(join(stateDir, DATABASE_FILE));
  // Bulk loading: no journal, no fsync; a large page cache holds the index pages the inserts touch
  // (one leaf per monitor in results_monitor_at and in the rollups key). The runtime sets its own.
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -2000000");
  db.pragma("temp_store = MEMORY");
  db.exec(`
    CREATE TEMP TABLE mon (i INTEGER PRIMARY KEY, id TEXT NOT NULL, off INTEGER NOT NULL);
    CREATE TEMP TABLE pal (kind INTEGER NOT NULL, k INTEGER NOT NULL, bins BLOB NOT NULL, PRIMARY KEY (kind, k));
  `);
  // The secondary indexes are dropped for the load and built again from their own definitions at
  // the end: SQLite builds an index by sorting, far faster than growing it row by row.
  const indexes = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('results', 'rollups')").all() as Array<{ name: string; sql: string }>;
  for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
  const addMon = db.prepare("INSERT INTO mon (i, id, off) VALUES (?, ?, ?)");
  const addPal = db.prepare("INSERT INTO pal (kind, k, bins) VALUES (?, ?, ?)");
  db.transaction(() => {
    // The runtime spreads the fleet over the period: monitor i ticks i ms after the period starts.
    for (let i = 0; i < MONITORS; i++) addMon.run(i, `bench-${i}`, Math.floor((i * EVERY_MS) / MONITORS));
    binPalette(6, 32).forEach((b, k) => addPal.run(0, k, b));
    binPalette(360, 32).forEach((b, k) => addPal.run(1, k, b));
    binPalette(8640, 8).forEach((b, k) => addPal.run(2, k, b));
    db.prepare("INSERT OR IGNORE INTO history_monitors (monitor_id) SELECT id FROM mon").run();
    // The monitors in key order (rowid = rank), so minute rollups go into their table in key order.
    db.exec("CREATE TEMP TABLE mon_sorted AS SELECT i, id, off FROM mon ORDER BY id");
  })();
  const seconds: Record<string, number> = {};
  const timed = (what: string, fn: () => void) => {
    const t0 = Date.now();
    fn();
    seconds[what] = (seconds[what] ?? 0) + (Date.now() - t0) / 1000;
  };
  const weekStart = Math.floor((end - DAYS * DAY) / MINUTE) * MINUTE;

  // Alert transitions and diagnostics: one monitor in 200 has an incident each hour (pending,
  // firing, resolved; the firing with its diagnostics text), as bench/history draws them.
  let events = 0;
  let diagnostics = 0;
  timed("events", () => {
    const hours = Math.floor((end - weekStart) / HOUR);
    events = db.prepare(`
      WITH RECURSIVE h(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM h WHERE n + 1 < ${hours}),
        k(kind, o) AS (VALUES ('pending', 0), ('firing', 60000), ('resolved', 600000))
      INSERT INTO alert_events (dedup_key, monitor_id, at, kind, by, summary)
      SELECT mon.id || '|{}', mon.id, ${weekStart} + h.n * ${HOUR} + mon.off * 100 + k.o, k.kind, NULL,
             mon.id || ': 503 in ' || (2 + abs(random()) % 40) || 'ms'
        FROM h CROSS JOIN mon CROSS JOIN k WHERE (mon.i + h.n) % 200 = 0 ORDER BY 3`).run().changes;
    diagnostics = db.prepare(`
      INSERT INTO alert_diagnostics (dedup_key, monitor_id, at, text)
      SELECT dedup_key, monitor_id, at, 'GET http://127.0.0.1/ok -> 503 Service Unavailable' || char(10) ||
             'content-type: text/plain' || char(10) || 'retry-after: 5' || char(10) || char(10) || 'upstream unavailable (' || id || ')'
        FROM alert_events WHERE kind = 'firing' ORDER BY id`).run().changes;
  });

  // Hour and day rollups for the week (the day rows of the overview's bars).
  let hourRows = 0;
  let dayRows = 0;
  timed("hour and day rollups", () => {
    const rollupSql = (width: number, from: number, count: number, kind: number, checks: number) => `
      WITH RECURSIVE t(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM t WHERE n + 1 < ${count})
      INSERT INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins)
      SELECT mon.id, ${width}, ${from} + t.n * ${width}, ${checks}, CASE WHEN (mon.i + t.n) % 200 = 0 THEN 54 ELSE 0 END, 0,
             8 + (abs(random()) % 3200) / 100.0, pal.bins
        FROM t CROSS JOIN mon JOIN pal ON pal.kind = ${kind} AND pal.k = (mon.i + t.n) % ${kind === 2 ? 8 : 32}`;
    const hourFrom = Math.floor(weekStart / HOUR) * HOUR;
    hourRows = db.transaction(() => db.prepare(rollupSql(HOUR, hourFrom, Math.ceil((end - hourFrom) / HOUR), 1, 360)).run().changes)();
    const dayFrom = Math.floor(weekStart / DAY) * DAY;
    dayRows = db.transaction(() => db.prepare(rollupSql(DAY, dayFrom, Math.ceil((end - dayFrom) / DAY), 2, 8640)).run().changes)();
  });

  // Results: 48 h and the pruner's slack, oldest first, a transaction per 100 ticks (a million rows).
  const resultsFrom = Math.floor((end - RESULT_HOURS * HOUR - SLACK_MS) / EVERY_MS) * EVERY_MS;
  const ticks = Math.floor((end - resultsFrom) / EVERY_MS);
  const insertResults = db.prepare(`
    WITH RECURSIVE t(n) AS (SELECT @from UNION ALL SELECT n + 1 FROM t WHERE n + 1 < @to)
    INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error)
    SELECT mon.id, ${resultsFrom} + t.n * ${EVERY_MS} + mon.off, 1, 0, v.ms, '200 in ' || CAST(round(v.ms) AS INTEGER) || 'ms', '{}', v.ms, NULL
      FROM t CROSS JOIN mon CROSS JOIN (SELECT round(0.8 + (abs(random()) % 5000) / 1000.0, 1) AS ms) v`);
  let results = 0;
  let resultsTo = resultsFrom;
  const CHUNK = 100;
  timed("results", () => {
    for (let n = 0; n < ticks && Date.now() < deadline; n += CHUNK) {
      const to = Math.min(ticks, n + CHUNK);
      results += db.transaction(() => insertResults.run({ from: n, to }).changes)();
      resultsTo = resultsFrom + to * EVERY_MS;
      if ((n / CHUNK) % 50 === 0) log(`results: ${big(results)} rows (${f(results / Math.max(1, seconds.results ?? (Date.now() - started) / 1000), 0)}/s so far)`);
    }
  });

  // Minute rollups: 7 days of a block of monitors at a time, in the table's key order (monitor,
  // width, start), a million rows a transaction.
  let minuteRows = 0;
  const endMinute = Math.floor(end / MINUTE) * MINUTE;
  const minuteFrom = endMinute - DAYS * DAY;
  const minutes = DAYS * 1440;
  const perBlock = Math.max(1, Math.floor(1_000_000 / minutes));
  const insertMinutes = db.prepare(`
    WITH RECURSIVE t(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM t WHERE n + 1 < ${minutes})
    INSERT INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins)
    SELECT m.id, ${MINUTE}, ${minuteFrom} + t.n * ${MINUTE}, 6, 0, 0, 3 + (abs(random()) % 3000) / 1000.0, pal.bins
      FROM (SELECT rowid AS r, i, id FROM mon_sorted WHERE rowid > @lo AND rowid <= @hi) m CROSS JOIN t
      JOIN pal ON pal.kind = 0 AND pal.k = (m.i + t.n) % 32 ORDER BY m.r, t.n`);
  let minuteMonitors = 0;
  timed("minute rollups", () => {
    for (let lo = 0; lo < MONITORS && Date.now() < deadline; lo += perBlock) {
      minuteRows += db.transaction(() => insertMinutes.run({ lo, hi: Math.min(MONITORS, lo + perBlock) }).changes)();
      minuteMonitors = Math.min(MONITORS, lo + perBlock);
      if ((lo / perBlock) % 10 === 0) log(`minute rollups: ${big(minuteRows)} rows, ${minuteMonitors} monitors`);
    }
  });
  // Built whatever the budget left: the runtime needs them.
  timed("indexes", () => {
    // Sorted on disk, not in memory (a 170-million-row index would not fit), on both cores.
    db.pragma("temp_store = FILE");
    db.pragma("threads = 2");
    for (const ix of indexes) {
      db.exec(ix.sql);
      log(`index ${ix.name} built`);
    }
  });
  const complete = resultsTo >= resultsFrom + ticks * EVERY_MS && minuteRows >= DAYS * 1440 * MONITORS;
  timed("checkpoint and close", () => {
    db.pragma("journal_mode = WAL");
    db.close();
  });
  return { resultsFrom, resultsTo, results, minuteFrom, minuteRows, hourRows, dayRows, events, diagnostics, seconds, complete, bytes: 0 };
}

/** What a state folder kept from an earlier run holds (WK_WEEK_STATE): results by id range (only the oldest are ever deleted). */
function counted(stateDir: string): Seeded {
  const db = new BetterSqlite3(join(stateDir, DATABASE_FILE), { readonly: true });
  try {
    const r = db.prepare("SELECT MIN(id) AS lo, MAX(id) AS hi FROM results").get() as { lo: number; hi: number };
    const span = db.prepare("SELECT (SELECT at FROM results WHERE id = ?) AS a, (SELECT at FROM results WHERE id = ?) AS b").get(r.lo, r.hi) as { a: number; b: number };
    const rollups = (width: number) => db.prepare("SELECT COUNT(*) FROM rollups WHERE width = ?").pluck().get(width) as number;
    const minuteFrom = (db.prepare("SELECT MIN(start) FROM rollups WHERE width = ?").pluck().get(MINUTE) as number | null) ?? NaN;
    return {
      resultsFrom: span.a, resultsTo: span.b, results: r.hi - r.lo + 1, minuteFrom, minuteRows: rollups(MINUTE), hourRows: rollups(HOUR), dayRows: rollups(DAY),
      events: db.prepare("SELECT COUNT(*) FROM alert_events").pluck().get() as number, diagnostics: db.prepare("SELECT COUNT(*) FROM alert_diagnostics").pluck().get() as number,
      seconds: {}, complete: false, bytes: 0,
    };
  } finally {
    db.close();
  }
}

/** The stale-monitor query as it was (every monitor, every batch) against the page of 500 it is now: ms per run, median of 9. */
function staleQueryAb(stateDir: string, cutoff: number): { all: number; page: number } {
  const db = new BetterSqlite3(join(stateDir, DATABASE_FILE), { readonly: true });
  try {
    db.pragma("cache_size = -2048");
    const all = db.prepare("SELECT h.monitor_id FROM history_monitors h WHERE COALESCE((SELECT MAX(x.at) FROM results x WHERE x.monitor_id = h.monitor_id), 0) < ? LIMIT 10");
    const page = db.prepare("SELECT h.monitor_id, COALESCE((SELECT MAX(x.at) FROM results x WHERE x.monitor_id = h.monitor_id), 0) AS last FROM history_monitors h WHERE h.monitor_id > ? ORDER BY h.monitor_id LIMIT 500");
    const time = (fn: () => unknown) => {
      const a = performance.now();
      fn();
      return performance.now() - a;
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 9; i++) {
      a.push(time(() => all.all(cutoff)));
      b.push(time(() => page.all(`bench-${i}`)));
    }
    return { all: median(a), page: median(b) };
  } finally {
    db.close();
  }
}

interface PruneRun {
  size: number;
  /** Seconds spent in this size's batches. */
  busy: number;
  batches: number;
  deleted: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Prunes the seeded store as the Pruner does (batches until 0), timing each batch. Batch sizes
 * take turns (WK_WEEK_PRUNE_BATCHES, default PRUNE_BATCH and half of it), so each size meets the
 * same rows and the same load; a batch is synchronous, so its time is the event-loop stall.
 */
function pruneAtFullSize(stateDir: string): PruneRun[] {
  const sizes = (process.env.WK_WEEK_PRUNE_BATCHES ?? `${PRUNE_BATCH},${PRUNE_BATCH / 2}`).split(",").map(Number);
  const now = Date.now();
  const store = SqliteStore.open(stateDir, now);
  const retention = retentionOf(DEFAULT_RUNTIME_SETTINGS);
  const times = sizes.map(() => [] as number[]);
  const deleted = sizes.map(() => 0);
  const t0 = performance.now();
  try {
    for (let n = 0; ; n++) {
      const k = n % sizes.length;
      const a = performance.now();
      const rows = store.prune(now, retention, sizes[k]!) as number;
      times[k]!.push(performance.now() - a);
      deleted[k]! += rows;
      if (rows === 0) break;
      if (n % 1000 === 999) log(`  prune: ${n + 1} batches, ${big(deleted.reduce((x, y) => x + y, 0))} rows`);
    }
  } finally {
    store.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return sizes.map((size, k) => {
    const sorted = [...times[k]!].sort((x, y) => x - y);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
    const busy = times[k]!.reduce((x, y) => x + y, 0) / 1000;
    return { size, batches: sorted.length, deleted: deleted[k]!, seconds, busy, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1]! };
  });
}

/** `PRAGMA quick_check` on the folder's database, as start-up runs it. */
function quickCheckSeconds(stateDir: string): number {
  const db = new BetterSqlite3(join(stateDir, DATABASE_FILE));
  try {
    db.pragma("cache_size = -2048");
    const t0 = performance.now();
    db.pragma("quick_check");
    return (performance.now() - t0) / 1000;
  } finally {
    db.close();
  }
}

interface Run extends Window {
  folder: "week" | "empty";
  readySeconds: number;
  firstCheckSeconds: number;
  hwm: number;
  bytesStart: number;
  bytesEnd: number;
  /** The runtime's child processes over the window (the integrity check, the checkpoint helper), counted apart from its own figures. */
  helpers: string;
  helpersCpuPer1000: number;
}

noteLoad("start");
const parent = process.env.WK_BENCH_DIR ?? tmpdir();
await mkdir(parent, { recursive: true });
const free = statfsSync(parent);
const freeGb = (free.bavail * free.bsize) / 2 ** 30;
const needGb = (RESULT_HOURS / 48) * 17.5 + (DAYS / 7) * 8.5;
if (freeGb < needGb + 5) {
  process.stderr.write(`[week] ${parent} has ${f(freeGb)} GB free; seeding needs about ${f(needGb)} GB and 5 GB to spare\n`);
  process.exit(1);
}
log(`${f(freeGb)} GB free in ${parent}; seeding needs about ${f(needGb)} GB`);
const dir = await mkdtemp(join(parent, "wk-week-"));
const cleanup: Array<() => unknown> = [];
try {
  const reuse = process.env.WK_WEEK_STATE;
  const week = reuse ?? join(dir, "week");
  const seedStart = Date.now();
  const seeded = reuse ? counted(reuse) : seed(week, seedStart);
  seeded.bytes = await folderBytes(week);
  log(`${reuse ? "reusing" : "seeded"} ${big(seeded.results)} results, ${big(seeded.minuteRows)} minute rows in ${f((Date.now() - seedStart) / 1000, 0)} s: ${f(seeded.bytes / 2 ** 30, 2)} GB`);
  noteLoad("after seeding");

  const stale = staleQueryAb(week, Date.now() - 48 * HOUR);
  log(`stale-monitor query: every monitor ${f(stale.all)} ms, a page of 500 ${f(stale.page)} ms`);
  // WK_WEEK_PRUNE=0: what expired since the state was last pruned is left to the runtime's pruner,
  // as after a restart that followed downtime (its first runs then have a backlog to catch up).
  const skipPrune = process.env.WK_WEEK_PRUNE === "0";
  if (!skipPrune) log("pruning the seeded store to its steady state, every batch timed");
  const prune = skipPrune ? [] : pruneAtFullSize(week);
  for (const p of prune) log(`  batches of ${p.size}: ${big(p.deleted)} rows in ${p.batches} batches, ${f(p.busy)} s busy (${f(p.deleted / p.busy, 0)} rows/s); batch p50 ${f(p.p50)} / p99 ${f(p.p99)} / max ${f(p.max)} ms`);
  noteLoad("after pruning");

  log("quick_check on the seeded database");
  const quick = process.env.WK_WEEK_QUICK === "0" ? NaN : quickCheckSeconds(week);
  log(`  ${f(quick)} s`);

  const target = await startTarget(TARGET_CPUS);
  cleanup.push(() => target.proc.kill("SIGTERM"));
  const script = await bundleChild("bench");
  const artifact = join(dir, "artifact");
  await writeFleet(artifact, MONITORS, target.url);
  const runs: Run[] = [];
  const runOnce = async (folder: "week" | "empty", n: number): Promise<Run> => {
    const state = folder === "week" ? week : join(dir, `empty-${n}`);
    const bytesStart = await folderBytes(state);
    const t0 = Date.now();
    const rt: MeasuredRuntime = await startRuntime(script, { artifact, state, statsFile: join(dir, `stats-${folder}-${n}.json`), cpus: RUNTIME_CPUS, nodeOptions: runtimeNodeOptions(MONITORS).split(" "), startTimeoutMs: 30 * 60_000, stalls: STALLS });
    const readySeconds = (Date.now() - t0) / 1000;
    const kill = () => rt.child.proc.kill("SIGKILL");
    cleanup.push(kill);
    try {
      let firstCheckSeconds = NaN;
      for (let i = 0; i < 400 && !Number.isFinite(firstCheckSeconds); i++) {
        const s = await rt.snapshot();
        if (Object.values(s.checks).reduce((a, b) => a + b, 0) > 0) firstCheckSeconds = (Date.now() - t0) / 1000;
        else await sleep(50);
      }
      await sleep(Math.max(0, WARMUP * 1000 - (Date.now() - t0 - readySeconds * 1000)));
      const helpersBefore = helperProcesses(rt.pid);
      const w = await measure(rt, SECONDS, 1000);
      const helpersAfter = helperProcesses(rt.pid);
      const helperCpu = helpersAfter.reduce((sum, h) => sum + h.cpuSeconds - (helpersBefore.find((b) => b.pid === h.pid)?.cpuSeconds ?? 0), 0);
      const helpers = helpersAfter.map((h) => `${h.name} ${f(h.peakRssMb, 1)} MB`).join(", ") || "none";
      const run: Run = { ...w, folder, readySeconds, firstCheckSeconds, hwm: peakRssMb(rt.pid), bytesStart, bytesEnd: 0, helpers, helpersCpuPer1000: (helperCpu / (w.checksPerSecond * w.seconds)) * 1000 };
      await rt.stop();
      run.bytesEnd = await folderBytes(state);
      log(`  ${folder}: ready ${f(readySeconds, 2)} s, first check ${f(firstCheckSeconds, 2)} s, ${f(w.checksPerSecond, 0)}/s, p99 / p99.9 / max lag ${w.lagP99} / ${w.lagP999} / ${w.lagMax} ms, ${w.majorFaults} major page faults, CPU/1000 ${f(w.cpuPer1000, 3)} s, peak RSS ${f(run.hwm, 0)} MB, heap used ${f(w.memory.heapUsed / 2 ** 20, 1)} MB, helpers ${helpers} (CPU/1000 ${f(run.helpersCpuPer1000, 3)} s), RSS ${f(w.rssSamples[0]?.[1] ?? NaN, 0)} -> ${f(w.rssSamples[w.rssSamples.length - 1]?.[1] ?? NaN, 0)} MB, ${pruneNote(w)}${STALLS ? `; late ticks: ${lateNote(w)}` : ""}`);
      return run;
    } finally {
      kill();
      if (folder === "empty") await rm(state, { recursive: true, force: true });
    }
  };
  for (let r = 1; r <= ROUNDS; r++) {
    log(`round ${r}/${ROUNDS}`);
    // Alternate which goes first, so neither always follows the other's page-cache state.
    const order = (r % 2 === 1 ? (["week", "empty"] as const) : (["empty", "week"] as const)).filter((f) => FOLDERS.includes(f));
    for (const folder of order) runs.push(await runOnce(folder, r));
    noteLoad(`after round ${r}`);
  }
  const md = report(seeded, prune, quick, runs) + `\nStale-monitor query (median of 9, read-only connection): every monitor ${f(stale.all)} ms; a page of 500 ${f(stale.page)} ms. ${reuse ? "State reused from an earlier run (WK_WEEK_STATE); results counted by id range." : ""}\n`;
  if (process.env.WK_BENCH_OUT) await writeFile(process.env.WK_BENCH_OUT, md);
  process.stdout.write(md);
} finally {
  for (const c of cleanup.reverse()) {
    try {
      c();
    } catch {
      // already gone
    }
  }
  if (KEEP) log(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}

function report(s: Seeded, prune: PruneRun[], quick: number, runs: Run[]): string {
  const iso = (t: number) => (Number.isFinite(t) ? new Date(t).toISOString().slice(0, 16).replace("T", " ") : "none");
  const by = (folder: Run["folder"]) => runs.filter((r) => r.folder === folder);
  const row = (r: Run, i: number) =>
    `| ${r.folder === "week" ? "week" : "empty"} (${i}) | ${f(r.readySeconds, 2)} / ${f(r.firstCheckSeconds, 2)} s | ${f(r.checksPerSecond, 0)} | ${f(r.lagP50, 0)} / ${f(r.lagP99, 0)} / ${f(r.lagP999, 0)} / ${f(r.lagMax, 0)} ms | ${r.skipped} | ${f(r.cpuPer1000, 3)} | ${f(r.hwm, 0)} MB | ${f(r.rssSamples[0]?.[1] ?? NaN, 0)} -> ${f(r.rssSamples[r.rssSamples.length - 1]?.[1] ?? NaN, 0)} MB | ${f(r.memory.heapUsed / 2 ** 20, 1)} MB | ${f(r.bytesStart / 2 ** 20, 0)} -> ${f(r.bytesEnd / 2 ** 20, 0)} MB | ${r.helpers}; ${f(r.helpersCpuPer1000, 3)} s | ${pruneNote(r)} |`;
  const rows = runs.map((r) => row(r, by(r.folder).indexOf(r) + 1)).join("\n");
  const m = (folder: Run["folder"], k: (r: Run) => number) => median(by(folder).map(k));
  const loadRows = loads.map(([when, l]) => `${when}: ${l.map((x) => x.toFixed(1)).join(", ")}`).join("; ");
  return `Seeded (ending ${iso(s.resultsTo)} UTC, ${s.complete ? "the full week" : "**not the full week: see the amounts**"}): ${big(s.results)} results (${iso(s.resultsFrom)} to ${iso(s.resultsTo)}),
${big(s.minuteRows)} minute rollups (from ${iso(s.minuteFrom)}), ${big(s.hourRows)} hour and ${big(s.dayRows)} day rollups, ${big(s.events)} alert
transitions, ${big(s.diagnostics)} diagnostics: ${f(s.bytes / 2 ** 30, 2)} GB. Seeding took ${Object.entries(s.seconds).map(([k, v]) => `${k} ${f(v, 0)} s`).join(", ")}.

Pruner at full size (in process on the real store, default retention, batch sizes taking turns, ${f(prune[0]?.seconds ?? NaN)} s in all):
${prune.map((p) => `batches of ${p.size}: ${big(p.deleted)} rows in ${big(p.batches)} batches, ${f(p.busy)} s busy (${f(p.deleted / p.busy, 0)} rows/s); a batch p50 ${f(p.p50)} / p99 ${f(p.p99)} / max ${f(p.max)} ms`).join("; ")}.
\`PRAGMA quick_check\` on the seeded file: ${f(quick)} s.

| folder (round) | spawn to READY / first check | checks/s | lag p50 / p99 / p99.9 / max | skipped | CPU-s per 1,000 checks | peak RSS (VmHWM) | RSS first -> last sample | V8 heap used at the end | state folder | child processes: peak RSS; CPU-s per 1,000 checks | pruner in the window |
|---|---|---|---|---|---|---|---|---|---|---|---|
${rows}

Medians, week / empty: checks/s ${f(m("week", (r) => r.checksPerSecond), 0)} / ${f(m("empty", (r) => r.checksPerSecond), 0)}; p99 lag ${f(m("week", (r) => r.lagP99), 0)} / ${f(m("empty", (r) => r.lagP99), 0)} ms;
CPU per 1,000 checks ${f(m("week", (r) => r.cpuPer1000), 3)} / ${f(m("empty", (r) => r.cpuPer1000), 3)} s (ratio ${f(m("week", (r) => r.cpuPer1000) / m("empty", (r) => r.cpuPer1000), 2)});
peak RSS ${f(Math.max(...by("week").map((r) => r.hwm)), 0)} / ${f(Math.max(...by("empty").map((r) => r.hwm)), 0)} MB; start-up to READY ${f(m("week", (r) => r.readySeconds), 2)} / ${f(m("empty", (r) => r.readySeconds), 2)} s.
${STALLS ? `\nThe latest ticks of each window and what they waited behind (WK_WEEK_STALLS; store calls and GC pauses of 10 ms or more, commit holds, event-loop gaps of 30 ms or more):\n${runs.map((r) => `- ${r.folder} (${by(r.folder).indexOf(r) + 1}): ${lateNote(r)}`).join("\n")}\n` : ""}
The runtime's major page faults in each window: ${runs.map((r) => `${r.folder} (${by(r.folder).indexOf(r) + 1}) ${r.majorFaults}`).join(", ")}.
Runtime pinned: ${canPin ? "CPU 0, target on CPU 1" : "no"}; node ${process.version}; ${warmupNote()}. Load averages (1, 5, 15 min): ${loadRows}.
`;
}

/** The runtime's pruner in a window: its batches, the rows they deleted, the event-loop time they took, the long ones. */
function pruneNote(w: Window): string {
  const p = w.prune;
  if (p.batches === 0) return "no batches";
  return `${big(p.batches)} batches, ${big(p.rows)} rows, ${f(p.seconds)} s; over 10 / 25 / 50 ms: ${p.over10} / ${p.over25} / ${p.over50}`;
}

/** The window's latest ticks and what each waited behind (WK_WEEK_STALLS). */
function lateNote(w: Window): string {
  return (w.lateTicks ?? []).map((t) => `${t.lagMs} ms at +${f(t.atSeconds, 1)} s (${t.behind.join("; ") || "no stall recorded"})`).join(", ") || "none over 30 ms";
}

function warmupNote(): string {
  return `${WARMUP} s from spawn before each ${SECONDS} s window`;
}
