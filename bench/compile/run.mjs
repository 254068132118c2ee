// `npm run bench:compile`: `wk compile` against `tsc --noEmit` on the same generated tree (1,000
// monitors, 100 services, 20 teams), back to back, medians of 5 after one warm-up each.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RUNS = Number(process.env.WK_BENCH_RUNS ?? 5);
const work = mkdtempSync(path.join(os.tmpdir(), "wk-bench-compile-"));
const tree = path.join(work, "tree");

try {
  // The generator is TypeScript (the plan bench reuses it); transpile it for this plain-Node runner.
  const generator = path.join(work, "generate.mjs");
  await esbuild.build({ entryPoints: [path.join(ROOT, "bench/compile/generate.ts")], outfile: generator, format: "esm", platform: "node", bundle: true, logLevel: "silent" });
  const { generateTree } = await import(pathToFileURL(generator).href);
  const size = generateTree(tree, {
    monitors: 1000,
    services: 100,
    teams: 20,
    sdkTypes: path.join(ROOT, "build/sdk/index.d.ts"),
    typeRoots: path.join(ROOT, "node_modules/@types"),
  });

  const wk = [path.join(ROOT, "bin/watchkeeper.js"), "compile", "--project", tree, "--out", path.join(work, "out")];
  const tsc = [path.join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", path.join(tree, "tsconfig.json")];
  // CPU seconds (user + sys) come from GNU time when it is installed; wall time is the measure.
  const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
  const cpu = { "wk compile": [], "tsc --noEmit": [] };
  const time = (args, label) => {
    const start = process.hrtime.bigint();
    const run = gnuTime
      ? spawnSync(gnuTime, ["-f", "WKCPU %U %S", process.execPath, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
      : spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== 0) throw new Error(`${label} failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
    const used = /WKCPU ([\d.]+) ([\d.]+)/.exec(run.stderr);
    if (used) cpu[label].push((Number(used[1]) + Number(used[2])) * 1000);
    return ms;
  };

  const loadBefore = os.loadavg()[0];
  time(wk, "wk compile");
  time(tsc, "tsc --noEmit");
  cpu["wk compile"].length = 0;
  cpu["tsc --noEmit"].length = 0;
  const wkTimes = [];
  const tscTimes = [];
  for (let i = 0; i < RUNS; i++) {
    wkTimes.push(time(wk, "wk compile"));
    tscTimes.push(time(tsc, "tsc --noEmit"));
    process.stderr.write(`run ${i + 1}/${RUNS}: wk ${Math.round(wkTimes[i])} ms, tsc ${Math.round(tscTimes[i])} ms\n`);
  }

  // One in-process compile for the per-step split (the CLI does not print timings).
  const { compileProject } = await import(pathToFileURL(path.join(ROOT, "build/cli/compiler/index.js")).href);
  const steps = (await compileProject({ projectDir: tree, write: false })).timings;

  const loadAfter = os.loadavg()[0];
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const wkMedian = median(wkTimes);
  const tscMedian = median(tscTimes);
  const ratio = wkMedian / tscMedian;
  const roundRatio = median(wkTimes.map((w, i) => w / tscTimes[i]));
  const cpus = os.cpus();
  const report = [
    "# wk compile benchmark",
    "",
    "`npm run bench:compile` (bench/compile/run.mjs): a generated project (bench/compile/generate.ts) of",
    `${size.monitors} monitors (one module each, six check kinds), ${size.services} services (schedule with two layers,`,
    `escalation policy, Slack channel each) and ${size.teams} teams of 6 users. Each round runs \`wk compile\` (the built CLI,`,
    "a whole process: type check, load, validate, synthesize, write) and then `tsc --noEmit` with the same compiler",
    `options on the same tree, back to back; ${RUNS} rounds after one warm-up of each; medians.`,
    "",
    `Machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, shared with other work;`,
    `Node ${process.version}, TypeScript (tsc and ts-morph) ${spawnSync(process.execPath, [tsc[0], "--version"], { encoding: "utf8" }).stdout.trim()}.`,
    `Date: ${new Date().toISOString().slice(0, 10)}. Load average (1 min) ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after the runs:`,
    "the cores are shared, so absolute times vary from run to run; the ratio of back-to-back runs is the measure.",
    "",
    "| Measure | Median | Runs |",
    "|---|---:|---|",
    `| \`wk compile\` | ${Math.round(wkMedian)} ms | ${wkTimes.map(Math.round).join(", ")} |`,
    `| \`tsc --noEmit\` | ${Math.round(tscMedian)} ms | ${tscTimes.map(Math.round).join(", ")} |`,
    `| **ratio of the medians wk / tsc** (target <= 1.3) | **${ratio.toFixed(2)}** | |`,
    `| median of the per-round ratios | ${roundRatio.toFixed(2)} | ${wkTimes.map((w, i) => (w / tscTimes[i]).toFixed(2)).join(", ")} |`,
    ...(cpu["wk compile"].length === RUNS
      ? [
          `| CPU time (user + sys) \`wk compile\` | ${Math.round(median(cpu["wk compile"]))} ms | ${cpu["wk compile"].map(Math.round).join(", ")} |`,
          `| CPU time (user + sys) \`tsc --noEmit\` | ${Math.round(median(cpu["tsc --noEmit"]))} ms | ${cpu["tsc --noEmit"].map(Math.round).join(", ")} |`,
        ]
      : []),
    "",
    "Split of one in-process compile (ms, `CompileResult.timings`; esbuild bundles overlap the type check):",
    "",
    "| Step | ms |",
    "|---|---:|",
    ...Object.entries(steps).map(([step, ms]) => `| ${step} | ${ms} |`),
    "",
    "## Where the time goes, and what was done about it",
    "",
    "Profiles (`node --cpu-prof` on `wk compile`) show the type check taking TypeScript's own time, as in",
    "`tsc`, on a worker thread. The main thread spends about 1 to 1.5 s of CPU meanwhile: parsing and running the",
    "1,120-module load bundle, the zod schema, the rules, and the canonical JSON. esbuild spends about 0.4 s of CPU in",
    "its own process. On an idle machine with two cores, that work overlaps the check. On this shared machine it",
    "competes with the check for the same cores, so the wall-time ratio follows the CPU-time ratio.",
    "",
    "Already done, each measured on this tree: the type check runs on a worker thread that starts before the rest of",
    "the compiler loads and parses the library and SDK declarations while the config is read. It is a plain",
    "`ts.createProgram` (ts-morph's `Project` cost about 15% more CPU), and TypeScript is loaded with `require`.",
    "One esbuild build makes both bundles, and only the SDK's 15 modules go through plugin callbacks. Construct",
    "locations are mapped from an external source map without embedded sources, on demand (Node's `--enable-source-maps` made loading 5x",
    "slower). The cron rule and the time-zone offsets are memoized, coverage subtraction is linear, and the",
    "secret scan skips files with no candidate anchor.",
    "",
    "Not done yet: caching type-check results by file content, as `tsc --incremental` does, so that an",
    "unchanged tree skips the check; and a V8 code cache for TypeScript's 9 MB bundle, which Node 22's compile",
    "cache provides.",
    "",
  ].join("\n");
  if (process.env.WK_BENCH_WRITE !== "0") writeFileSync(path.join(ROOT, "bench/results/compile.md"), report);
  process.stdout.write(report);
} finally {
  rmSync(work, { recursive: true, force: true });
}
