/**
 * One group commit's cost by batch size and SQLite's cache spill, measured in one process: stores
 * (one per variant, each in its own folder) take turns, a round of every monitor's result each,
 * written in group commits of the variant's batch size in a shuffled order (ticks finish in no
 * order), on a simulated clock (10 s a round). A batch whose changed pages do not fit in the page
 * cache (512 KiB: 128 pages; a batch of 256 results touches a leaf of each of the results
 * indexes per monitor) makes SQLite write pages to the WAL before the commit ("spill"); with
 * `cache_spill = OFF` the cache grows for the transaction instead. Prints the CPU per result (µs),
 * rollup writes after each batch included: the median over rounds (the rounds without minute
 * closes) and the mean (every sixth round closes every monitor's minute, and the mean counts it).
 *   node bench/run-ts.mjs bench/history/batch-ab.ts   (env: WK_BENCH_MONITORS 10000, WK_BENCH_ROUNDS 40,
 *   WK_BENCH_VARIANTS "batch:spill[:noage],...", e.g. "16:on,16:on:noage"; noage drops the rollups' age
 *   index after the store opens, to price it)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import type { EvaluationCommit } from "../../runtime/evaluate/evaluation-store.js";

const MONITORS = Number(process.env["WK_BENCH_MONITORS"] ?? 10_000);
const ROUNDS = Number(process.env["WK_BENCH_ROUNDS"] ?? 40);
const T0 = Date.parse("2026-01-05T00:00:00Z");

interface Variant {
  name: string;
  batch: number;
  spill: boolean;
  /** "noage": the store without the rollups' age index. */
  extra: string;
}
const VARIANTS: Variant[] = (process.env["WK_BENCH_VARIANTS"] ?? "256:on,256:off,48:on").split(",").map((v) => {
  const [batch, spill, extra = ""] = v.split(":");
  if (extra !== "" && extra !== "noage") throw new Error(`WK_BENCH_VARIANTS: "${v}" ends in "${extra}"; the only third part is "noage"`);
  return { name: v, batch: Number(batch), spill: spill !== "off", extra };
});

const dir = await mkdtemp(join(tmpdir(), "wk-batch-ab-"));
const stores = VARIANTS.map((v, i) => {
  const store = SqliteStore.open(join(dir, String(i)), T0);
  if (!v.spill) store.db.pragma("cache_spill = OFF");
  if (v.extra === "noage") store.db.exec("DROP INDEX rollups_age");
  return store;
});
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const perResult: number[][] = VARIANTS.map(() => []);
const load = loadavg();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const at = T0 + round * 10_000;
    const order = Array.from({ length: MONITORS }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    // Rotate who goes first, so no variant always follows another's checkpoint.
    for (let k = 0; k < VARIANTS.length; k++) {
      const v = (round + k) % VARIANTS.length;
      const store = stores[v]!;
      const batch = VARIANTS[v]!.batch;
      const t0 = process.cpuUsage();
      for (let from = 0; from < MONITORS; from += batch) {
        const commits: EvaluationCommit[] = [];
        for (const m of order.slice(from, from + batch)) {
          const id = `m${m}`;
          const durationMs = rand() < 0.02 ? 200 + rand() * 1800 : 20 + rand() * 60;
          commits.push({ monitorId: id, alerts: [], readVersions: {}, results: [{ monitorId: id, at, ok: true, firing: false, value: durationMs, message: "HTTP 200", labels: {}, durationMs, error: null }], intents: [], at });
        }
        store.recordEvaluations(commits);
        store.writeRollups(at);
      }
      const used = process.cpuUsage(t0);
      perResult[v]!.push((used.user + used.system) / MONITORS);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // The first rounds fill the files; the steady state is what a running runtime pays.
  const steady = (xs: number[]) => median(xs.slice(Math.floor(ROUNDS / 4)));
  const base = steady(perResult[0]!);
  console.log(`${MONITORS} monitors, ${ROUNDS} rounds; load average before ${load.map((l) => l.toFixed(1)).join(", ")}, after ${loadavg().map((l) => l.toFixed(1)).join(", ")}`);
  const mean = (xs: number[]) => {
    const rounds = xs.slice(Math.floor(ROUNDS / 4));
    return rounds.reduce((a, b) => a + b, 0) / rounds.length;
  };
  const baseMean = mean(perResult[0]!);
  console.log("| variant | CPU per result, median round (µs) | against the first | mean over rounds (µs) | against the first |");
  console.log("|---|---|---|---|---|");
  VARIANTS.forEach((v, i) => {
    const us = steady(perResult[i]!);
    const m = mean(perResult[i]!);
    console.log(`| ${v.name} | ${us.toFixed(1)} | ${(us / base).toFixed(3)} | ${m.toFixed(1)} | ${(m / baseMean).toFixed(3)} |`);
  });
} finally {
  for (const store of stores) store.close();
  await rm(dir, { recursive: true, force: true });
}
