/**
 * What rollups add to one evaluation's commit, measured in one process: two SQLite stores (rollups
 * off and on) take turns, a round of every monitor's commit each, on a simulated clock (10 s a
 * round), so both see the same load, the same disk and the same heap. Prints the median commit
 * time of each per round and the ratio of the medians of those medians. Results are drawn as in
 * bench/history (mostly healthy, 20-80 ms, a slow tail). The rollup rows are written after the
 * commits (the store does it on the next turn of the event loop); after each round the same write
 * is done at once and timed, and reported per commit beside the commit, so the total is honest.
 *   node bench/run-ts.mjs bench/history/commit-ab.ts   (env: WK_BENCH_MONITORS 2000, WK_BENCH_ROUNDS 120)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadavg } from "node:os";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";

const MONITORS = Number(process.env["WK_BENCH_MONITORS"] ?? 2_000);
const ROUNDS = Number(process.env["WK_BENCH_ROUNDS"] ?? 120);
const T0 = Date.parse("2026-01-05T00:00:00Z");

const dir = await mkdtemp(join(tmpdir(), "wk-commit-ab-"));
const stores = { off: SqliteStore.open(join(dir, "off"), T0, { rollups: false }), on: SqliteStore.open(join(dir, "on"), T0, { rollups: true }) };
let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const medians: Record<"off" | "on", number[]> = { off: [], on: [] };
/** Per round: the mean of every commit, minute-closing rounds included (µs). */
const means: Record<"off" | "on", number[]> = { off: [], on: [] };
/** Per round: the rollup writes after the commits, µs per commit (rollups on only). */
const writes: number[] = [];
const load = loadavg();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const at = T0 + round * 10_000;
    // Alternate which goes first, so neither always follows the other's checkpoint.
    for (const which of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
      const store = stores[which];
      const times: number[] = [];
      for (let m = 0; m < MONITORS; m++) {
        const id = `m${m}`;
        const durationMs = rand() < 0.02 ? 200 + rand() * 1800 : 20 + rand() * 60;
        store.readAlerts(id);
        const t0 = process.hrtime.bigint();
        store.recordEvaluation({ monitorId: id, alerts: [], readVersions: {}, results: [{ monitorId: id, at, ok: true, firing: false, value: durationMs, message: "HTTP 200", labels: {}, durationMs, error: null }], intents: [], at });
        times.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
      means[which].push(times.reduce((s, x) => s + x, 0) / times.length);
      // Builds that write rollups inside the commit have nothing to write afterwards.
      if (which === "on" && "writeRollups" in store) {
        const w0 = process.hrtime.bigint();
        store.writeRollups(at);
        writes.push(Number(process.hrtime.bigint() - w0) / 1000 / MONITORS);
      }
      times.sort((a, b) => a - b);
      // Mean of the middle 80 %: steadier than one order statistic, still blind to checkpoints.
      const mid = times.slice(Math.floor(times.length * 0.1), Math.ceil(times.length * 0.9));
      medians[which].push(mid.reduce((s, x) => s + x, 0) / mid.length);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const off = median(medians.off.slice(ROUNDS / 4));
  const on = median(medians.on.slice(ROUNDS / 4));
  const tail = writes.slice(ROUNDS / 4);
  const writeUs = tail.length === 0 ? 0 : tail.reduce((s, x) => s + x, 0) / tail.length;
  const mean = (xs: number[]) => xs.slice(ROUNDS / 4).reduce((s, x) => s + x, 0) / (xs.length - ROUNDS / 4);
  // Over every round, closing ones included (their share is in each round's trimmed mean).
  const roundMean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  process.stdout.write(
    JSON.stringify({
      monitors: MONITORS,
      rounds: ROUNDS,
      commitUs: { off: +off.toFixed(1), on: +on.toFixed(1) },
      onOverOff: +(on / off).toFixed(3),
      // The rounds that close a minute (one in six at 10 s) carry the rollup rows of builds that write them in the commit.
      closingRoundUs: { off: +roundMean(medians.off.filter((_, i) => i % 6 === 0)).toFixed(1), on: +roundMean(medians.on.filter((_, i) => i % 6 === 0)).toFixed(1) },
      otherRoundUs: { off: +roundMean(medians.off.filter((_, i) => i % 6 !== 0)).toFixed(1), on: +roundMean(medians.on.filter((_, i) => i % 6 !== 0)).toFixed(1) },
      meanCommitUs: { off: +mean(means.off).toFixed(1), on: +mean(means.on).toFixed(1) },
      meanOnOverOff: +(mean(means.on) / mean(means.off)).toFixed(3),
      rollupWriteUsPerCommit: +writeUs.toFixed(1),
      load: { before: load, after: loadavg() },
    }) + "\n",
  );
} finally {
  stores.off.close();
  stores.on.close();
  await rm(dir, { recursive: true, force: true });
}
