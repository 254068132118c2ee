// `wk test --unit` benchmark: the simulation time of each of this repository's monitor unit tests
// (compile and sandbox load excluded), median of N runs, and the cost per evaluation.
//   npm run build && node bench/unit-tests/run.mjs [runs=5]
// Writes bench/results/unit-tests.md (WK_BENCH_OUT to change).
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { runUnitTests } = await import(join(root, "build/cli/unit-tests/run-unit-tests.js"));
const RUNS = Number(process.argv[2] ?? 5);
const OUT = process.env.WK_BENCH_OUT ?? join(root, "bench/results/unit-tests.md");

const samples = new Map();
for (let i = 0; i < RUNS; i++) {
  const run = await runUnitTests(root);
  if (run.kind !== "ran" || run.problems.length > 0 || run.reports.some((r) => !r.ok)) throw new Error("the repository's unit tests must pass before they are timed");
  for (const r of run.reports) {
    const s = samples.get(r.name) ?? { ticks: r.ticks, ms: [] };
    s.ms.push(r.durationMs);
    samples.set(r.name, s);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [...samples].map(([name, s]) => ({ name, ticks: s.ticks, ms: median(s.ms) }));
const totalMs = rows.reduce((a, r) => a + r.ms, 0);
const totalTicks = rows.reduce((a, r) => a + r.ticks, 0);
const lines = [
  "# `wk test --unit`: simulation time per test",
  "",
  `Median of ${RUNS} runs of \`runUnitTests\` on this repository (compile and sandbox load excluded: they are`,
  "`wk compile`'s cost, see compile.md). Each test opens a fresh SQLite store, runs every evaluation through",
  "`runTick`, the dispatch stages and the send stages. Evaluations are those of the monitor under test.",
  "",
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} at the end, Node ${process.versions.node}.`,
  "",
  "| test | evaluations | median ms |",
  "| --- | ---: | ---: |",
  ...rows.map((r) => `| ${r.name} | ${r.ticks} | ${r.ms.toFixed(1)} |`),
  `| **all ${rows.length}** | ${totalTicks} | ${totalMs.toFixed(1)} |`,
  "",
  `Target: well under a second per test. Slowest: ${Math.max(...rows.map((r) => r.ms)).toFixed(1)} ms; about ${(totalMs / totalTicks).toFixed(2)} ms per evaluation overall (store set-up included).`,
  "",
];
await writeFile(OUT, lines.join("\n"));
process.stdout.write(lines.join("\n"));
