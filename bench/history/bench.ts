/**
 * History footprint benchmark: N monitors checked every 10 s for a simulated span, written into the
 * real SQLite store the way a tick writes (read the monitor's alerts, run the state machine, then
 * recordEvaluation with results, rollups, transitions and intents in one commit) and pruned by the
 * real Pruner on a simulated clock, as fast as the machine goes. Checks are not run: their
 * outcomes are drawn, so the time measured is the store's. Each configuration runs in a child process of its
 * own, so its peak RSS (VmHWM) is its alone; rollups off is the baseline (results only, as before).
 *
 *   node bench/run-ts.mjs bench/history/bench.ts            (or npm run bench:history)
 *
 * Env: WK_BENCH_PLAN, a comma-separated list of MONITORSxHOURS:rollups (on|off); default
 * "10000x1:off,10000x1:on,100x72:on". WK_BENCH_PARALLEL=1 runs them side by side (default one
 * after the other). WK_BENCH_OUT (bench/results/history.md), WK_BENCH_DIR (where the databases
 * go; default the OS temp folder; each is deleted after its run).
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { sealManifest, type MonitorSpec } from "../../sdk/manifest/index.js";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { newAlert, rulesOf, type Alert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import type { Clock, TimerHandle } from "../../runtime/scheduler/clock.js";
import { Pruner } from "../../runtime/store/pruner.js";
import { retentionOf } from "../../runtime/store/retention.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { handWrittenPart } from "../hand-written.js";

const EVERY_MS = 10_000;
const HOUR = 3_600_000;
const T0 = Date.parse("2026-01-05T00:00:00Z");

interface RunConfig {
  monitors: number;
  hours: number;
  rollups: boolean;
}

interface RunResult extends RunConfig {
  ticks: number;
  commits: number;
  wallSeconds: number;
  tickCommitMs: { p50: number; p99: number; max: number };
  commitUs: { p50: number; p99: number };
  pruneRuns: number;
  pruneMs: { p50: number; max: number };
  /** The rollup rows written after each round of commits (off the commits, as the store does on the next turn of the event loop). */
  rollupWriteMs: { p50: number; p99: number; max: number };
  peakRssMb: number;
  /** Live heap after a full GC at the end: what the run really holds (the open rollup buckets). */
  heapAfterGcMb: number;
  dbMb: number;
  /** Bytes on disk per table and its indexes (SQLite's dbstat), after the run. */
  tableMb: Record<string, number>;
  rows: Record<string, number>;
  load: number[];
}

/** A clock that moves only when the harness says so; the pruner's timer fires on it. */
class SimClock implements Clock {
  private timers: Array<{ at: number; fn: () => void }> = [];
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { cancel: () => void (this.timers = this.timers.filter((x) => x !== timer)) };
  }
  /** Moves to `t`; returns whether a timer fired. */
  moveTo(t: number): boolean {
    this.t = t;
    const due = this.timers.filter((x) => x.at <= t);
    this.timers = this.timers.filter((x) => x.at > t);
    for (const x of due) x.fn();
    return due.length > 0;
  }
}

function monitor(i: number): MonitorSpec {
  const id = `m-${String(i).padStart(5, "0")}`;
  return {
    id, name: id, description: null, owner: null,
    schedule: { kind: "every", every: "10s" },
    check: { kind: "script", timeout: "5s" },
    threshold: null, for: "30s", keepFiringFor: "0s", failureThreshold: 1, successThreshold: 1, repeatEvery: "1h",
    onError: "fail", severity: "critical", service: null, channels: [], ackChannels: [], inhibits: [],
    labels: {}, summary: `${id} failing`, runbook: null, diagnostics: [],
    code: { condition: false, summary: false, run: false, extract: false }, codeHash: "none", source: "bench",
  };
}

/** A deterministic pseudo-random stream (mulberry32): runs are comparable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per-commit times in whole microseconds, counted (8.6 M samples would not fit a list). */
class MicroHistogram {
  private readonly counts = new Uint32Array(100_001);
  private n = 0;
  add(us: number): void {
    this.counts[Math.min(100_000, Math.max(0, Math.round(us)))]! += 1;
    this.n++;
  }
  quantile(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i;
    }
    return NaN;
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
};

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

function fileMb(path: string): number {
  try {
    return statSync(path).size / 1024 / 1024;
  } catch {
    return 0;
  }
}

async function runOne(config: RunConfig): Promise<RunResult> {
  const dir = await mkdtemp(join(process.env["WK_BENCH_DIR"] ?? tmpdir(), "wk-bench-history-"));
  const clock = new SimClock(T0);
  const store = SqliteStore.open(join(dir, "state"), T0, { rollups: config.rollups });
  const logger = pino({ level: "silent" });
  const pruner = new Pruner({ stores: [store], retention: retentionOf(DEFAULT_RUNTIME_SETTINGS), clock, logger });
  const monitors = Array.from({ length: config.monitors }, (_, i) => monitor(i));
  const manifest = sealManifest({
    apiVersion: "watchkeeper.dev/v1", kind: "Manifest", project: { name: "bench" }, monitors, services: [],
    escalationPolicies: [], schedules: [], teams: [], users: [], channels: [], silences: [], secrets: [],
    settings: { statusPage: { title: "bench" }, publicUrl: null },
  });
  const rules = rulesOf(manifest.monitors[0]!);
  const rand = random(42);
  // One monitor in 200 has an incident some time in each simulated hour: alerts go pending,
  // fire and resolve, so transitions and intents are written too, at a realistic rate.
  const incidentUntil = new Map<string, number>();

  const commitUs = new MicroHistogram();
  let tickUs = 0;
  let scheduledAt = T0;
  /** One monitor's tick as runTick does it, minus running a check. */
  const tick = (id: string) => {
    const read = store.readAlerts(id);
    const key = `wk-${id}`;
    const prior = read[0]?.alert;
    const ok = scheduledAt >= (incidentUntil.get(id) ?? 0);
    // Latency: mostly 20-80 ms, a slow tail to 2 s.
    const durationMs = rand() < 0.02 ? 200 + rand() * 1800 : 20 + rand() * 60;
    const message = ok ? "HTTP 200" : "HTTP 503";
    const t = evaluate(prior ?? newAlert(id, {}, key, scheduledAt), { kind: ok ? "ok" : "failing", value: durationMs, summary: `${id}: ${message}`, details: {} }, scheduledAt, rules);
    const quiet = (a: Alert | undefined) => a === undefined || (a.state === "inactive" && a.consecutiveFailures === 0);
    const changed = quiet(prior) && quiet(t.alert) ? [] : [t.alert];
    const t0 = process.hrtime.bigint();
    store.recordEvaluation({
      monitorId: id,
      alerts: changed,
      readVersions: { [key]: read[0]?.version ?? 0 },
      results: [{ monitorId: id, at: scheduledAt, ok, firing: !ok, value: durationMs, message, labels: {}, durationMs, error: null }],
      intents: t.intents,
      events: t.events,
      at: scheduledAt,
    });
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    commitUs.add(us);
    tickUs += us;
  };
  const ids = monitors.map((m) => m.id);
  pruner.start();

  const ticks = (config.hours * HOUR) / EVERY_MS;
  const tickMs: number[] = [];
  const pruneMs: number[] = [];
  const writeMs: number[] = [];
  const started = Date.now();
  for (let n = 0; n < ticks; n++) {
    scheduledAt = T0 + n * EVERY_MS;
    if (n % (HOUR / EVERY_MS) === 0) {
      for (const m of monitors) if (rand() < 1 / 200) incidentUntil.set(m.id, scheduledAt + Math.floor(rand() * 3_600_000 * 0.5) + 60_000);
    }
    if (clock.moveTo(scheduledAt)) {
      const p0 = Date.now();
      await pruner.settled();
      pruneMs.push(Date.now() - p0);
    }
    tickUs = 0;
    for (const id of ids) tick(id);
    tickMs.push(tickUs / 1000);
    // The closed minutes' rows, written after the commits as the runtime's event loop would.
    const w0 = process.hrtime.bigint();
    store.writeRollups(scheduledAt);
    writeMs.push(Number(process.hrtime.bigint() - w0) / 1e6);
    // Delivery takes what the tick queued, as a runtime's dispatcher would.
    for (const s of store.undispatched(10_000)) store.markDispatched(s.seq, scheduledAt);
    if (n > 0 && n % 8640 === 0) process.stderr.write(`  ${config.monitors}x${config.hours}h rollups ${config.rollups ? "on" : "off"}: ${n / 8640} simulated days, ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
  clock.moveTo(scheduledAt + EVERY_MS);
  await pruner.stop();
  store.db.pragma("wal_checkpoint(TRUNCATE)");
  const rows = Object.fromEntries(
    ["results", "rollups", "alert_events", "alerts", "outbox"].map((t) => [t, (store.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );
  const dbMb = fileMb(join(dir, "state", "state.db")) + fileMb(join(dir, "state", "state.db-wal"));
  const tableOf: Record<string, string> = {
    results_monitor_at: "results", results_at: "results", rollups_age: "rollups", alert_events_alert: "alert_events", alert_events_at: "alert_events",
  };
  const tableMb: Record<string, number> = {};
  for (const r of store.db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name").all() as Array<{ name: string; bytes: number }>) {
    const table = tableOf[r.name] ?? r.name;
    tableMb[table] = (tableMb[table] ?? 0) + r.bytes / 1024 / 1024;
  }
  (globalThis as { gc?: () => void }).gc?.();
  const result: RunResult = {
    ...config,
    ticks,
    commits: ticks * config.monitors,
    wallSeconds: (Date.now() - started) / 1000,
    tickCommitMs: { p50: quantile(tickMs, 0.5), p99: quantile(tickMs, 0.99), max: Math.max(...tickMs) },
    commitUs: { p50: commitUs.quantile(0.5), p99: commitUs.quantile(0.99) },
    pruneRuns: pruneMs.length,
    pruneMs: { p50: quantile(pruneMs, 0.5), max: Math.max(0, ...pruneMs) },
    rollupWriteMs: { p50: quantile(writeMs, 0.5), p99: quantile(writeMs, 0.99), max: Math.max(0, ...writeMs) },
    peakRssMb: peakRssMb(),
    heapAfterGcMb: process.memoryUsage().heapUsed / 1024 / 1024,
    dbMb,
    tableMb,
    rows,
    load: loadavg(),
  };
  store.close();
  await rm(dir, { recursive: true, force: true });
  return result;
}

function parsePlan(text: string): RunConfig[] {
  return text.split(",").map((part) => {
    const m = /^(\d+)x(\d+(?:\.\d+)?):(on|off)$/.exec(part.trim());
    if (!m) throw new Error(`bad WK_BENCH_PLAN entry ${JSON.stringify(part)}: MONITORSxHOURS:on|off`);
    return { monitors: Number(m[1]), hours: Number(m[2]), rollups: m[3] === "on" };
  });
}

function childRun(config: RunConfig): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // The heap cap docs/runtime.md recommends, as the runtime benchmark runs the runtime.
    const child = spawn(process.execPath, ["--max-old-space-size=128", "--expose-gc", process.argv[1]!, "--run", JSON.stringify(config)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as RunResult) : reject(new Error(`run ${JSON.stringify(config)} exited ${code}`))));
  });
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function report(results: RunResult[], loadBefore: number[]): string {
  const lines = [
    "# History footprint benchmark",
    "",
    "Monitors checked every 10 s for a simulated span, written into the real SQLite store as a tick",
    "writes (read the monitor's alerts, run the state machine, then `recordEvaluation` with the result,",
    "alert transitions and intents in one commit; the rollup rows of the minutes that closed are written",
    "after each round of commits, as the runtime does on the next turn of its event loop), pruned by the",
    "real `Pruner` on a simulated clock (default retention: results 48 h with the newest 50 always",
    "kept, minute rollups 7 d, hour rollups 90 d), as fast as the machine goes. Check outcomes are",
    "drawn, not run (20-80 ms, a 2 % tail to 2 s); one monitor in 200 has an incident each hour, so",
    "alerts go pending, fire and resolve. Each configuration ran in a process of its own under",
    "`--max-old-space-size=128` (as the runtime benchmark runs the runtime): peak RSS is its VmHWM.",
    "\"Tick commit time\" is the sum of one tick's commits (all monitors), per tick; \"rollups off\"",
    "is the baseline: the same store writing results without rollups.",
    "",
    "Reproduce: `npm run bench:history` (env: WK_BENCH_PLAN, e.g. `10000x1:off,10000x1:on,100x72:on`;",
    "WK_BENCH_PARALLEL=1 to run them side by side; WK_BENCH_OUT; WK_BENCH_DIR).",
    "",
    "| monitors x simulated span | rollups | commits | tick commit time p50 / p99 / max | one commit p50 / p99 | rollup writes after a round p50 / p99 | prune run p50 / max | peak RSS (heap after GC) | database (results / rollups) | rows at the end (results / rollups / transitions) | wall time |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.monitors.toLocaleString("en")} x ${r.hours >= 24 ? `${fmt(r.hours / 24, 0)} d` : `${r.hours} h`} | ${r.rollups ? "on" : "off"} | ${(r.commits / 1e6).toFixed(1)} M | ` +
        `${fmt(r.tickCommitMs.p50)} / ${fmt(r.tickCommitMs.p99)} / ${fmt(r.tickCommitMs.max)} ms | ${r.commitUs.p50} / ${r.commitUs.p99} µs | ` +
        `${fmt(r.rollupWriteMs.p50)} / ${fmt(r.rollupWriteMs.p99)} ms | ` +
        `${r.pruneMs.p50} / ${r.pruneMs.max} ms (${r.pruneRuns} runs) | ${fmt(r.peakRssMb)} MB (${fmt(r.heapAfterGcMb)} MB) | ` +
        `${fmt(r.dbMb, 0)} MB (${fmt(r.tableMb["results"] ?? 0, 0)} / ${fmt(r.tableMb["rollups"] ?? 0, 0)}) | ` +
        `${r.rows["results"]!.toLocaleString("en")} / ${r.rows["rollups"]!.toLocaleString("en")} / ${r.rows["alert_events"]!.toLocaleString("en")} | ${fmt(r.wallSeconds / 60)} min |`,
    );
  }
  lines.push(
    "",
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), shared with other work while this ran (load average`,
    `before: ${loadBefore.map((x) => fmt(x)).join(", ")}; after each run: ${results.map((r) => r.load.map((x) => fmt(x)).join(", ")).join(" / ")}); Node ${process.version};`,
    `${new Date().toISOString().slice(0, 10)}.`,
    "",
  );
  return lines.join("\n");
}

if (process.argv[2] === "--run") {
  const result = await runOne(JSON.parse(process.argv[3]!) as RunConfig);
  process.stdout.write(JSON.stringify(result), () => process.exit(0));
} else {
  const plan = parsePlan(process.env["WK_BENCH_PLAN"] ?? "10000x1:off,10000x1:on,100x72:on");
  // Everything below the table, from the file's first "## " heading on, is written by hand: kept (read first).
  const notes = await handWrittenPart("bench/results/history.md", "## ");
  const out = process.env["WK_BENCH_OUT"] ?? "bench/results/history.md";
  const loadBefore = loadavg();
  const results: RunResult[] = [];
  const one = async (config: RunConfig) => {
    process.stderr.write(`history bench: ${config.monitors} monitors x ${config.hours} h, rollups ${config.rollups ? "on" : "off"}\n`);
    const r = await childRun(config);
    process.stderr.write(`  done: ${JSON.stringify(r)}\n`);
    results.push(r);
    // Written after each run, so a long plan leaves what it has measured so far (in the temp folder).
    await writeFile(join(tmpdir(), "wk-bench-history.json"), JSON.stringify({ loadBefore, results }, null, 2));
  };
  if (process.env["WK_BENCH_PARALLEL"] === "1") {
    // Side by side: runs compared with each other share the machine's load equally.
    await Promise.all(plan.map(one));
    results.sort((a, b) => plan.findIndex((c) => c.monitors === a.monitors && c.hours === a.hours && c.rollups === a.rollups) - plan.findIndex((c) => c.monitors === b.monitors && c.hours === b.hours && c.rollups === b.rollups));
  } else {
    for (const config of plan) await one(config);
  }
  const md = report(results, loadBefore) + (notes ? `\n${notes}` : "");
  await writeFile(out, md);
  process.stdout.write(md);
}
