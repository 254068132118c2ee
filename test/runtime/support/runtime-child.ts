/**
 * A runtime process for cross-process tests and the benchmark: loads an artifact folder and runs
 * it like `wk run`, configured by environment variables. WK_CHILD_DELIVERY=hold installs a delivery
 * that never dispatches (intents stay in the outbox), to stop a process between write and send;
 * WK_CHILD_DELIVERY=full installs the real notification pipeline and its routes (silences,
 * emergency page, webhooks), as `wk run` does;
 * WK_CHILD_STATS=FILE (benchmarks) writes a snapshot there on SIGUSR2 and at shutdown: scheduling
 * lag as a 1 ms histogram, checks by result, skipped ticks and process.memoryUsage(). A fixed-size
 * histogram rather than a list of samples: at 5,000 checks a second a list would be the largest
 * thing in the heap being measured.
 * WK_CHILD_ALLOC_PROFILE=FILE (benchmarks) runs V8's sampling heap profiler over every allocation,
 * collected or not, from READY to shutdown, and writes it there as a .heapprofile: what the ticks
 * allocate, which the garbage collector's share of the CPU pays for. With WK_CHILD_ALLOC_SURVIVORS=1
 * it leaves out what a scavenge collected: what lived long enough to be promoted to the old
 * generation, whose growth sets how often a mark-compact runs. A mark-compact also collects the
 * young generation's garbage, and V8 counts that as collected by the major GC, so it stays in the
 * profile: run it where mark-compacts are rare (bench/runtime/profile.ts does) or it shows mostly
 * that.
 * WK_CHILD_STALLS=1 (benchmarks, with WK_CHILD_STATS) also records, with their times, every tick that
 * started 30 ms or more late; every call of the SQLite store that held the event loop 10 ms or more,
 * by method (an evaluation batch and a prune batch with their rows); every garbage collection of
 * 10 ms or more; every commit hold (sqlite/checkpointer.ts); and every gap of 30 ms or more in a
 * 5 ms timer (the event loop held by anything), with the store's time and calls and the GC pauses
 * inside the gap: what a late tick waited behind. Each snapshot holds the stalls since the last one.
 * WK_CHILD_COMMIT_WINDOW_MS (benchmarks) sets the group commit's window (the runtime's default otherwise).
 * WK_CHILD_REDIS=URL makes it a scale-out replica (WK_CHILD_REDIS_PREFIX, WK_CHILD_LOCATION,
 * WK_CHILD_STALL_MS), as `wk run --redis` does. WK_CHILD_CLOCK_SKEW_MS=N runs it on a clock N ms off
 * the real one (a replica whose NTP is broken).
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { loadArtifact } from "../../../runtime/artifact.js";
import { createRuntime } from "../../../runtime/app.js";
import { createLogger } from "../../../runtime/logger.js";
import { systemClock } from "../../../runtime/scheduler/clock.js";
import type { DeliveryFactory } from "../../../runtime/notify/contract.js";
import { createDelivery, deliverySettingsFromEnv } from "../../../runtime/notify/index.js";
import { createSecretSource } from "../../../runtime/secrets.js";
import { SqliteStore } from "../../../runtime/store/sqlite/sqlite-store.js";

const env = process.env;
// WK_CHILD_MEMORY_STEPS=1 (benchmarks): resident memory now and at its highest after each start-up step, on stderr.
const step = (name: string) => {
  if (!env.WK_CHILD_MEMORY_STEPS) return;
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  process.stderr.write(`STEP ${name}: rss ${(kb("VmRSS") / 1024).toFixed(1)} MB, peak ${(kb("VmHWM") / 1024).toFixed(1)} MB (anon ${(kb("RssAnon") / 1024).toFixed(1)}, file ${(kb("RssFile") / 1024).toFixed(1)}, shmem ${(kb("RssShmem") / 1024).toFixed(1)}), heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MB\n`);
};
step("modules loaded");
const artifact = await loadArtifact(env.WK_CHILD_ARTIFACT!);
step("artifact loaded");
const secrets = createSecretSource({ declared: artifact.manifest.secrets, env, dir: env.WK_SECRETS_DIR || null, now: Date.now });
const logger = createLogger({ level: env.WK_LOG_LEVEL ?? "info", secretValues: () => secrets.values() });
const hold: DeliveryFactory = () => ({ start() {}, async stop() {}, registerRoutes() {} });
const LAG_BUCKETS = 60_001; // 0..60,000 ms; the last bucket holds everything later
const lagHistogram = new Uint32Array(LAG_BUCKETS);
const recordLag = (ms: number) => void lagHistogram[Math.min(LAG_BUCKETS - 1, Math.max(0, Math.round(ms)))]!++;

/** WK_CHILD_STALLS: [ended at (epoch ms), what, ms, detail (rows in the batch, GC kind)]; the latest 20,000 kept. */
const stalls: Array<[number, string, number, number]> = [];
const noteStall = (what: string, ms: number, detail: number, least: number) => {
  if (ms < least) return;
  // The oldest go: a window is measured after start-up, whose late ticks would otherwise fill the list.
  if (stalls.length >= 20_000) stalls.shift();
  stalls.push([Date.now(), what, Math.round(ms * 10) / 10, detail]);
};
/** Store time and calls since the loop's 5 ms interval last ran (outermost calls only), and the gaps whose GC time is summed at a snapshot. */
const sinceTick = { storeMs: 0, storeCalls: 0, depth: 0 };
const gcSpans: Array<[number, number]> = [];
const gapsForGc: Array<[number, number]> = [];
if (env.WK_CHILD_STALLS) {
  const timed = <A extends unknown[], R>(what: string, fn: (this: SqliteStore, ...a: A) => R, rows: (a: A, r: R) => number) =>
    function (this: SqliteStore, ...a: A): R {
      const t0 = performance.now();
      sinceTick.depth++;
      let r: R;
      try {
        r = fn.apply(this, a);
      } finally {
        sinceTick.depth--;
        if (sinceTick.depth === 0) {
          sinceTick.storeMs += performance.now() - t0;
          sinceTick.storeCalls++;
        }
      }
      noteStall(what, performance.now() - t0, rows(a, r), 10);
      return r;
    };
  const p = SqliteStore.prototype as unknown as Record<string, unknown>;
  // Every synchronous call of the store, by name; an evaluation batch and a prune batch with their rows.
  for (const name of Object.getOwnPropertyNames(SqliteStore.prototype)) {
    const d = Object.getOwnPropertyDescriptor(SqliteStore.prototype, name);
    if (name === "constructor" || name === "commitsHeld" || typeof d?.value !== "function") continue;
    const what = name === "recordEvaluations" ? "commit" : name;
    p[name] = timed(what, d.value as (this: SqliteStore, ...a: unknown[]) => unknown, (a, r) =>
      name === "recordEvaluations" ? (a[0] as unknown[]).length : name === "prune" ? (r as number) : 0,
    );
  }
  const loop = { last: performance.now() };
  // The event loop's own gaps: a 5 ms interval that fires 30 ms or more late was held by something.
  // A gap says what filled it: the store's calls of any length (single ones of 10 ms or more are
  // recorded apart), and, summed at the next snapshot (GC entries arrive late), the GC pauses.
  setInterval(() => {
    const now = performance.now();
    const gap = now - loop.last - 5;
    if (gap >= 30) {
      noteStall("loop", gap, 0, 30);
      // Named with what it holds and timed as the gap, so it goes wherever the gap goes.
      noteStall(`loop store ${Math.round(sinceTick.storeMs)} ms in ${sinceTick.storeCalls} calls`, gap, 0, 0);
      gapsForGc.push([performance.timeOrigin + loop.last, performance.timeOrigin + now]);
    }
    sinceTick.storeMs = 0;
    sinceTick.storeCalls = 0;
    loop.last = now;
  }, 5).unref();
  const held = SqliteStore.prototype.commitsHeld;
  SqliteStore.prototype.commitsHeld = function (this: SqliteStore) {
    const hold = held.call(this);
    const t0 = performance.now();
    void hold?.then(() => noteStall("hold", performance.now() - t0, 0, 0));
    return hold;
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      noteStall("gc", e.duration, (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0, 10);
      if (gcSpans.length >= 50_000) gcSpans.splice(0, 25_000);
      gcSpans.push([performance.timeOrigin + e.startTime, e.duration]);
    }
  }).observe({ entryTypes: ["gc"] });
}
const onLag = (ms: number) => {
  recordLag(ms);
  if (ms >= 30) noteStall("tick", ms, 0, 30);
};

// Imported only for a replica, as `wk run` does: an embedded runtime never loads BullMQ.
const scaleOut = env.WK_CHILD_REDIS
  ? await (await import("../../../runtime/scale-out/index.js")).openScaleOut(artifact.manifest, {
      url: env.WK_CHILD_REDIS,
      prefix: env.WK_CHILD_REDIS_PREFIX ?? "wk",
      location: env.WK_CHILD_LOCATION ?? "local",
      ...(env.WK_CHILD_STALL_MS ? { stalledIntervalMs: Number(env.WK_CHILD_STALL_MS) } : {}),
    })
  : null;

const skewMs = Number(env.WK_CHILD_CLOCK_SKEW_MS ?? "0");
const runtime = await createRuntime({
  manifest: artifact.manifest,
  ...(skewMs !== 0 ? { clock: { now: () => Date.now() + skewMs, setTimer: systemClock.setTimer } } : {}),
  bundle: artifact.bundle,
  stateDir: env.WK_CHILD_STATE!,
  logger,
  secrets,
  port: 0,
  host: "127.0.0.1",
  spreadMs: Number(env.WK_CHILD_SPREAD_MS ?? "0"),
  concurrency: Number(env.WK_CHILD_CONCURRENCY ?? "64"),
  ...(env.WK_CHILD_DELIVERY === "hold" ? { delivery: hold } : {}),
  ...(env.WK_CHILD_DELIVERY === "full" ? { delivery: ((deps) => createDelivery(deps, { settings: deliverySettingsFromEnv(env) })) satisfies DeliveryFactory } : {}),
  ...(scaleOut ?? {}),
  ...(env.WK_CHILD_STATS ? { onLag: env.WK_CHILD_STALLS ? onLag : recordLag } : {}),
  ...(env.WK_CHILD_COMMIT_WINDOW_MS ? { commitWindowMs: Number(env.WK_CHILD_COMMIT_WINDOW_MS) } : {}),
});
step("runtime created");
const url = await runtime.start();
step("runtime started");
if (env.WK_CHILD_MEMORY_STEPS) {
  let n = 0;
  const t = setInterval(() => {
    const m = process.memoryUsage();
    step(`+${++n * 200} ms: heap total ${(m.heapTotal / 2 ** 20).toFixed(1)}, external ${(m.external / 2 ** 20).toFixed(1)}, buffers ${(m.arrayBuffers / 2 ** 20).toFixed(1)}`);
    if (n >= 25) clearInterval(t);
  }, 200);
}
/** The pruner's batches so far: how many, the rows they deleted, and cumulative counts by batch time (le in ms). */
async function pruneStats() {
  const values = (await runtime.metrics.pruneBatch.get()).values;
  const rows = (await runtime.metrics.prunedRows.get()).values[0]?.value ?? 0;
  const buckets: Array<[number, number]> = values
    .filter((v) => v.metricName?.endsWith("_bucket") && v.labels.le !== "+Inf")
    .map((v) => [Number(v.labels.le) * 1000, v.value]);
  const count = values.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0;
  const seconds = values.find((v) => v.metricName?.endsWith("_sum"))?.value ?? 0;
  return { count, seconds, rows, buckets };
}
let snapshots = 0;
async function writeStats(file: string): Promise<void> {
  const counted = async (metric: { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> }, label: string) => {
    const out: Record<string, number> = {};
    for (const v of (await metric.get()).values) out[String(v.labels[label])] = (out[String(v.labels[label])] ?? 0) + v.value;
    return out;
  };
  const lags: Array<[number, number]> = [];
  for (let ms = 0; ms < LAG_BUCKETS; ms++) if (lagHistogram[ms]! > 0) lags.push([ms, lagHistogram[ms]!]);
  // Each loop gap since the last snapshot gets the GC time that started inside it.
  for (const [from, to] of gapsForGc.splice(0)) {
    const inside = gcSpans.filter(([at]) => at >= from && at <= to);
    if (stalls.length >= 20_000) stalls.shift();
    const gcMs = inside.reduce((sum, [, ms]) => sum + ms, 0);
    stalls.push([Math.round(to), `loop gc ${Math.round(gcMs)} ms in ${inside.length} pauses`, Math.round((to - from - 5) * 10) / 10, 0]);
  }
  const stats = {
    at: Date.now(),
    lags,
    checks: await counted(runtime.metrics.checksTotal, "result"),
    skipped: await counted(runtime.metrics.ticksSkipped, "reason"),
    prune: await pruneStats(),
    // Each snapshot carries the stalls since the one before, and the first none: a window is read
    // from two snapshots, and writing start-up's thousands of entries at the first one held the
    // event loop some 40 ms at the very start of the window it was measuring.
    ...(env.WK_CHILD_STALLS ? { stalls: stalls.splice(0).filter(() => snapshots > 0) } : {}),
    memory: process.memoryUsage(),
  };
  snapshots++;
  // A file, written synchronously and renamed: the reader never sees half a snapshot.
  writeFileSync(`${file}.tmp`, JSON.stringify(stats));
  renameSync(`${file}.tmp`, file);
}
if (env.WK_CHILD_STATS) {
  const file = env.WK_CHILD_STATS;
  process.on("SIGUSR2", () => void writeStats(file));
}
const allocations = env.WK_CHILD_ALLOC_PROFILE ? await startAllocationProfile() : null;
async function startAllocationProfile() {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: env.WK_CHILD_ALLOC_SURVIVORS !== "1" });
  return async () => {
    const { profile } = await session.post("HeapProfiler.stopSampling");
    writeFileSync(env.WK_CHILD_ALLOC_PROFILE!, JSON.stringify(profile));
  };
}
const stop = async () => {
  await allocations?.();
  await runtime.stop();
  if (env.WK_CHILD_STATS) await writeStats(env.WK_CHILD_STATS);
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
// Only once the signals are handled: a parent that stops the child as soon as it reads READY
// must find a SIGTERM handler, or the child dies of the signal instead of stopping.
process.stderr.write(`READY ${url}\n`);
