/**
 * Overview benchmark: N monitors (default 10,000) with 90 days of hourly results: 50 written
 * through the real SQLite store's commit path (recordEvaluation with the results, then the minute, hour
 * and day rollups the store writes after it; a week of a monitor per commit), the others copying their rows in SQL
 * (the commit path for all 10,000 takes most of an hour on a shared machine); then the overview
 * rendered both ways in one run:
 *
 * - before: the path main had: every monitor on one page, each reading 90 days of hour rollups
 *   (2,160 rows), and live updates that snapshot every monitor (and the newest result of each)
 *   every 2 s while a page is open, each open page re-fetching the whole overview on every change;
 * - after: a page of 100 monitors (filtered on the server), each reading day rollups plus the
 *   hours of its edge days, and live updates that read only the monitors a commit touched and
 *   send each open page only the rows of the changed monitors it shows (`/overview/rows`).
 *
 * Render time is the median of WK_BENCH_RUNS (default 5) renders, with the CPU they used; bytes
 * are the HTML's. The live-update cost per minute is computed from measured unit costs (medians)
 * for N open pages; the model and its inputs are printed with the results.
 *
 *   node bench/run-ts.mjs bench/views/bench.ts            (or npm run bench:views)
 *
 * Env: WK_BENCH_MONITORS (10000), WK_BENCH_DAYS (90), WK_BENCH_RUNS (5), WK_BENCH_BEFORE_RUNS
 * (as many as WK_BENCH_RUNS), WK_BENCH_OUT
 * (bench/results/views.md), WK_BENCH_DIR (where the database goes; deleted after the run).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { manifestOf, monitorSpec } from "../../test/runtime/support/manifest.js";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { newAlert, rulesOf } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import type { ResultRow } from "../../runtime/evaluate/evaluation-store.js";
import { Silences } from "../../runtime/notify/silences.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { handWrittenPart } from "../hand-written.js";
import { monitorHistoryFromHours } from "../../runtime/views/history-view.js";
import { OVERVIEW_PAGE_SIZE, renderOverview, renderOverviewRows, stateCounts, type OverviewQuery } from "../../runtime/views/overview.js";
import type { DisplayState } from "../../runtime/views/monitor-state.js";
import { monitorRows, type ViewDeps } from "../../runtime/views/view-model.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONITORS = Number(process.env["WK_BENCH_MONITORS"] ?? 10_000);
const DAYS = Number(process.env["WK_BENCH_DAYS"] ?? 90);
const RUNS = Math.max(1, Number(process.env["WK_BENCH_RUNS"] ?? 5));
/** Renders of the "before" path (every monitor's 90 days of hours; minutes each at 10,000 on a loaded machine). */
const BEFORE_RUNS = Math.max(1, Number(process.env["WK_BENCH_BEFORE_RUNS"] ?? RUNS));
const OUT = process.env["WK_BENCH_OUT"] ?? "bench/results/views.md";
/** "## Notes on this run" and what follows it in the results file are written by hand: kept (read before the run). */
const notes = await handWrittenPart("bench/results/views.md", "## Notes on this run");
/** Monitors written through the store's commit path; the rest copy their rows. */
const TEMPLATES = 50;
/** Open pages the live-update cost is computed for. */
const PAGES = [1, 10, 100];
/** State changes a minute the "after" model assumes (a bad day: 60 transitions a minute across the fleet). */
const TRANSITIONS_PER_MINUTE = 60;
/** The hub's batch window: at most this many reads a minute whatever the transition rate. */
const BATCHES_PER_MINUTE_MAX = 240;
/** Main's hub compared every 2 s; at 10,000 monitors every 10 s the newest results changed on every comparison. */
const POLLS_PER_MINUTE = 30;

const DEFAULT_QUERY: OverviewQuery = { text: "", team: "", state: "", page: 1, perPage: OVERVIEW_PAGE_SIZE };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `fn` RUNS times; median wall ms and median CPU ms (user + system) of this process. */
async function measure<T>(fn: () => Promise<T>, runs = RUNS): Promise<{ wallMs: number; cpuMs: number; value: T }> {
  const walls: number[] = [];
  const cpu: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    value = await fn();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(walls), cpuMs: median(cpu), value: value! };
}

/**
 * Copies the templates' rows to monitors `from`..`count - 1` (monitor i copies template
 * i % from), in a few statements that SQLite runs in C: the template rows go to a temporary table,
 * a recursive CTE numbers the monitors, and each INSERT ... SELECT appends monitors in key order.
 * The secondary indexes are dropped first and built again afterwards (one sort each instead of
 * 24 million scattered inserts through a 2 MiB page cache), from their own stored definitions, so
 * the database measured is the one the runtime would have. The page cache is restored afterwards.
 */
function seedCopies(store: SqliteStore, from: number, count: number): void {
  if (count <= from) return;
  const db = store.db;
  const cache = db.pragma("cache_size", { simple: true }) as number;
  db.pragma("cache_size = -262144");
  const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('rollups', 'results') AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>;
  for (const i of indexes) db.exec(`DROP INDEX ${i.name}`);
  db.exec(`
    CREATE TEMP TABLE seed_rollups AS SELECT CAST(substr(monitor_id, 3) AS INTEGER) AS t, width, start, count, failures, errors, max_ms, bins FROM rollups ORDER BY monitor_id, width, start;
    CREATE INDEX temp.seed_rollups_t ON seed_rollups (t, width, start);
    CREATE TEMP TABLE seed_results AS SELECT CAST(substr(monitor_id, 3) AS INTEGER) AS t, at, ok, firing, value, message, labels, duration_ms, error FROM results ORDER BY monitor_id, at;
    CREATE INDEX temp.seed_results_t ON seed_results (t, at);
  `);
  // Chunks of 1,000 monitors, so the write-ahead log stays a few hundred MB.
  const copy = db.transaction((lo: number, hi: number) => {
    const numbers = "WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)";
    db.prepare(`${numbers} INSERT INTO rollups (monitor_id, width, start, count, failures, errors, max_ms, bins)
      SELECT printf('m-%05d', n.i), r.width, r.start, r.count, r.failures, r.errors, r.max_ms, r.bins FROM n CROSS JOIN seed_rollups r WHERE r.t = n.i % ? ORDER BY n.i, r.width, r.start`).run(lo, hi, from);
    db.prepare(`${numbers} INSERT INTO results (monitor_id, at, ok, firing, value, message, labels, duration_ms, error)
      SELECT printf('m-%05d', n.i), r.at, r.ok, r.firing, r.value, r.message, r.labels, r.duration_ms, r.error FROM n CROSS JOIN seed_results r WHERE r.t = n.i % ? ORDER BY n.i, r.at`).run(lo, hi, from);
    db.prepare(`${numbers} INSERT OR IGNORE INTO history_monitors (monitor_id) SELECT printf('m-%05d', i) FROM n`).run(lo, hi);
  });
  for (let lo = from; lo < count; lo += 1_000) copy(lo, Math.min(count, lo + 1_000));
  db.exec("DROP TABLE temp.seed_rollups; DROP TABLE temp.seed_results");
  for (const i of indexes) db.exec(i.sql);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.exec("ANALYZE");
  db.pragma(`cache_size = ${cache}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(process.env["WK_BENCH_DIR"] ?? tmpdir(), "wk-bench-views-"));
  const now = Date.parse("2026-12-01T15:30:00Z");
  const store = SqliteStore.open(join(dir, "state"), now);
  try {
    const monitors = Array.from({ length: MONITORS }, (_, i) => monitorSpec({ id: `m-${String(i).padStart(5, "0")}`, labels: { tier: i % 3 === 0 ? "gold" : "bronze" } }));
    const manifest = manifestOf(monitors);
    const dropResults = store.db.prepare("DELETE FROM results WHERE monitor_id = ? AND at < ?");
    const dropMinutes = store.db.prepare("DELETE FROM rollups WHERE monitor_id = ? AND width = 60000 AND start < ?");
    const seedStart = performance.now();
    const start = Math.floor(now / DAY) * DAY - (DAYS - 1) * DAY;
    let seed = 1;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const templates = monitors.slice(0, Math.min(TEMPLATES, MONITORS));
    for (const m of templates) {
      // A week of hourly results per commit: the real commit path writes results and all three rollups.
      for (let week = start; week < now; week += 7 * DAY) {
        const results: ResultRow[] = [];
        for (let at = week; at < Math.min(week + 7 * DAY, now); at += HOUR) {
          const failing = rand() < 0.01;
          results.push({ monitorId: m.id, at, ok: !failing, firing: failing, value: 1, message: failing ? "expected 2xx, got 500" : "200", labels: {}, durationMs: 20 + rand() * 200, error: null });
        }
        store.recordEvaluation({ monitorId: m.id, alerts: [], readVersions: {}, results, intents: [], at: week });
      }
      // The store writes closed minutes after its commits (on the next turn of the event loop): all of them now.
      store.writeRollups(now, true);
      // Raw results are kept for 48 h in the runtime, minute rollups for 7 days: the database holds what a real one would.
      dropResults.run(m.id, now - 2 * DAY);
      dropMinutes.run(m.id, now - 7 * DAY);
    }
    const templateSeconds = (performance.now() - seedStart) / 1000;
    // The other monitors copy a template's rows in SQL (a commit per monitor-week for 10,000 monitors
    // takes most of an hour on a shared machine): the rows read are the same in number, size and shape.
    seedCopies(store, templates.length, MONITORS);
    // Twenty monitors firing, so the page has a banner and worst-first order to work out.
    const rules = rulesOf(monitors[0]!);
    for (const m of monitors.slice(0, 20)) {
      const t = evaluate(newAlert(m.id, {}, alertKey(m.id, {}), now - HOUR), { kind: "failing", value: 1, summary: "down", details: {} }, now - HOUR, rules);
      store.recordEvaluation({ monitorId: m.id, alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, events: t.events, at: now - HOUR });
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.error(`seeded ${MONITORS} monitors x ${DAYS} days in ${seedSeconds.toFixed(0)} s`);

    const d: ViewDeps = { manifest, store, silences: new Silences(store, manifest), clock: { now: () => now, setTimer: () => ({ cancel: () => undefined }) }, access: { token: () => "t", openReads: false, publicUrl: null } };
    const all = { text: "", team: "", state: "" as const, page: 1, perPage: MONITORS };
    const loadBefore = loadavg();
    const before = await measure(() => renderOverview(d, true, { query: all, readHistory: monitorHistoryFromHours }), BEFORE_RUNS);
    console.error(`before: ${before.wallMs.toFixed(0)} ms`);
    const after = await measure(() => renderOverview(d, true));
    const afterFiltered = await measure(() => renderOverview(d, true, { query: { text: "gold", team: "", state: "", page: 3, perPage: OVERVIEW_PAGE_SIZE } }));
    console.error(`after: ${after.wallMs.toFixed(1)} ms`);

    // Live-update unit costs. Main's hub, every 2 s: every monitor's state and every newest result.
    const fullSnapshot = await measure(async () => {
      await monitorRows(d, now);
      await store.latestResults();
    });
    // The hub now, per batch of touched monitors: those monitors only (one here, ten on a bad batch).
    const oneTouched = await measure(() => monitorRows(d, now, [monitors[5_000 % MONITORS]!]), RUNS * 4);
    const tenTouched = await measure(() => monitorRows(d, now, monitors.slice(100, 110)), RUNS * 4);
    // Each open overview page, per change: the rows of the changed monitors it shows (a follow-up
    // fetch of /overview/rows), the banner counted from the hub's fingerprints, counted once per change.
    const fingerprints = new Map((await monitorRows(d, now)).map((r) => [r.monitor.id, `${r.display.state}|${r.display.since ?? ""}|${r.display.detail ?? ""}`]));
    const counting = await measure(async () => stateCounts([...fingerprints.values()].map((v) => v.slice(0, v.indexOf("|")) as DisplayState)), RUNS * 4);
    const liveCounts = counting.value;
    const shownId = (await monitorRows(d, now)).find((r) => r.display.state === "ok")!.monitor.id;
    const oneRow = await measure(() => renderOverviewRows(d, [shownId], DEFAULT_QUERY, { counts: liveCounts }), RUNS * 4);
    const loadAfter = loadavg();

    const batches = Math.min(TRANSITIONS_PER_MINUTE, BATCHES_PER_MINUTE_MAX);
    const rows = PAGES.map((n) => {
      const beforeCpu = POLLS_PER_MINUTE * (fullSnapshot.cpuMs + n * before.cpuMs);
      const pageCpu = batches * (oneTouched.cpuMs + n * after.cpuMs);
      const afterCpu = batches * (oneTouched.cpuMs + counting.cpuMs + n * oneRow.cpuMs);
      return { n, beforeCpu, pageCpu, afterCpu };
    });
    const dbMb = (store.db.prepare("SELECT page_count * page_size AS b FROM pragma_page_count(), pragma_page_size()").get() as { b: number }).b / 1024 / 1024;
    const counts = Object.fromEntries(["minute", "hour", "day"].map((w, i) => [w, (store.db.prepare("SELECT COUNT(*) AS n FROM rollups WHERE width = ?").get([60_000, HOUR, DAY][i]) as { n: number }).n]));
    const kb = (s: string) => (Buffer.byteLength(s) / 1024).toFixed(0);
    const md = `# Overview at scale (bench/views)

\`npm run bench:views\`: ${MONITORS.toLocaleString("en")} monitors with ${DAYS} days of hourly results written through the
real SQLite store's commit path (${TEMPLATES} of them, ${templateSeconds.toFixed(0)} s; the others copy their rows in SQL) (${counts["hour"]!.toLocaleString("en")} hour, ${counts["day"]!.toLocaleString("en")} day and ${counts["minute"]!.toLocaleString("en")} minute rollups; ${dbMb.toFixed(0)} MB),
20 of them firing. Before and after measured in one run, one process, ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}),
load average ${loadBefore.map((x) => x.toFixed(1)).join(" / ")} at the start and ${loadAfter.map((x) => x.toFixed(1)).join(" / ")} at the end
(the machine is shared: absolute times are inflated, ratios are what to read). Seeding took ${seedSeconds.toFixed(0)} s.

## Rendering \`/\` (median of ${RUNS})

| path | wall ms | CPU ms | HTML |
| --- | --- | --- | --- |
| before: every monitor on one page, 90 days of hours each${BEFORE_RUNS === RUNS ? "" : ` (median of ${BEFORE_RUNS})`} | ${before.wallMs.toFixed(0)} | ${before.cpuMs.toFixed(0)} | ${kb(before.value)} KB |
| after: page 1 of ${Math.ceil(MONITORS / OVERVIEW_PAGE_SIZE)}, day rollups | ${after.wallMs.toFixed(1)} | ${after.cpuMs.toFixed(1)} | ${kb(after.value)} KB |
| after: \`/?q=gold&page=3\` (filtered on the server) | ${afterFiltered.wallMs.toFixed(1)} | ${afterFiltered.cpuMs.toFixed(1)} | ${kb(afterFiltered.value)} KB |

Ratio (before / after, wall): **${(before.wallMs / after.wallMs).toFixed(0)}x**; bytes ${(Buffer.byteLength(before.value) / Buffer.byteLength(after.value)).toFixed(0)}x fewer.

## Live updates: CPU per minute with N open team pages

Unit costs measured above (medians): main's 2-second comparison read every monitor's state and newest
result (**${fullSnapshot.cpuMs.toFixed(0)} ms CPU**); a batch of the change feed reads the monitors it touched
(one: **${oneTouched.cpuMs.toFixed(2)} ms**, ten: ${tenTouched.cpuMs.toFixed(2)} ms); counting the banner from the hub's
fingerprints of every monitor takes ${counting.cpuMs.toFixed(2)} ms; the rows of one changed monitor, as an open page fetches
them (\`/overview/rows\`), **${oneRow.cpuMs.toFixed(2)} ms** (${kb(oneRow.value)} KB) against ${after.cpuMs.toFixed(1)} ms for the page. Model:

- before (main): ${POLLS_PER_MINUTE} comparisons a minute while any page is open, and since the newest results change on every
  comparison at this fleet size, every open page re-fetched the whole overview each time:
  \`${POLLS_PER_MINUTE} x (comparison + N x full render)\`;
- page refresh (the change feed, each open page re-rendering its page of ${OVERVIEW_PAGE_SIZE}): one batch per change, here
  ${TRANSITIONS_PER_MINUTE} state changes a minute (a bad day; batches are at most 4 a second):
  \`${batches} x (batch read + N x page render)\`;
- rows (now): the same batches, the banner counted once, each open page fetching the changed monitor's row:
  \`${batches} x (batch read + count + N x row render)\`. A change the page cannot apply row by row (a monitor
  entering or leaving its filter, or moving across its page's edge) still costs a page render.

Commits that change nothing the pages show (the steady state) cost nothing in the last two.

| open pages | before, CPU s/min | page refresh, CPU s/min | rows, CPU s/min | page refresh / rows |
| --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.n} | ${(r.beforeCpu / 1000).toFixed(1)} | ${(r.pageCpu / 1000).toFixed(2)} | ${(r.afterCpu / 1000).toFixed(3)} | ${(r.pageCpu / r.afterCpu).toFixed(0)}x |`).join("\n")}

Before, the cost passes 60 CPU s a minute (one core) from the first open page: the runtime could not keep up.
`;
    await writeFile(OUT, md + (notes ? `\n${notes}` : ""));
    console.log(md);
  } finally {
    store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
