// `npm run bench:compile`: `wk compile` against TypeScript 7's `tsc --noEmit` (and TypeScript 6's
// beside it) on one generated tree (1,000 monitors, 100 services, 20 teams), plus `wk plan` with
// 10 changed files and a warm `wk validate` after a one-file edit. Every round runs all of them
// back to back, so the ratios come from one run on one machine; medians of WK_BENCH_RUNS (5).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { changeFiles } from "../plan/change-files.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RUNS = Number(process.env.WK_BENCH_RUNS ?? 5);
// Fewer rounds are for trying the runner out (WK_BENCH_WRITE=0); a recorded result has 5 or more.
if (!(RUNS >= 5) && process.env.WK_BENCH_WRITE !== "0") throw new Error("WK_BENCH_RUNS below 5 needs WK_BENCH_WRITE=0");
// The sections written by hand (what each change found) follow the generated tables in the results file
// itself, from its first "## " heading on: a new run replaces the tables and keeps them. The rule of
// bench/hand-written.ts, read before the run: an existing file without such a heading stops it.
const resultsFile = path.join(ROOT, "bench/results/compile.md");
const previous = existsSync(resultsFile) ? readFileSync(resultsFile, "utf8") : "";
const headingAt = previous.search(/^## /m);
if (previous && headingAt < 0) throw new Error(`${resultsFile} has no "## " heading where its hand-written sections begin: put one back before running this benchmark, or they would be overwritten`);
const handWritten = headingAt < 0 ? "" : previous.slice(headingAt);
const work = mkdtempSync(path.join(os.tmpdir(), "wk-bench-compile-"));
const tree = path.join(work, "tree");
const cacheDir = path.join(work, "cache");
const cli = path.join(ROOT, "bin/watchkeeper.js");
// WK_BENCH_BEFORE names another checkout of watchkeeper (built): its `wk` runs beside this one in
// every round, so a change is measured before and after in one run, on one load.
const before = process.env.WK_BENCH_BEFORE ? path.resolve(process.env.WK_BENCH_BEFORE) : null;
const beforeCli = before ? path.join(before, "bin/watchkeeper.js") : null;
const beforeCacheDir = path.join(work, "cache-before");

try {
  // The generator is TypeScript (the plan bench reuses it); transpile it for this plain-Node runner.
  const generator = path.join(work, "generate.mjs");
  await esbuild.build({ entryPoints: [path.join(ROOT, "bench/compile/generate.ts")], outfile: generator, format: "esm", platform: "node", bundle: true, logLevel: "silent" });
  const { generateTree } = await import(pathToFileURL(generator).href);
  const size = generateTree(tree, { monitors: 1000, services: 100, teams: 20 });

  // tsc gets exactly the options `wk validate` checks with (checkerTsconfig), over the same files.
  const { checkerTsconfig } = await import(pathToFileURL(path.join(ROOT, "build/cli/compiler/typecheck.js")).href);
  const { locateSdk } = await import(pathToFileURL(path.join(ROOT, "build/cli/compiler/paths.js")).href);
  const { locateNativeTsc } = await import(pathToFileURL(path.join(ROOT, "build/cli/compiler/tsc-native.js")).href);
  const sdk = locateSdk(pathToFileURL(path.join(ROOT, "build/cli/compiler/index.js")).href);
  const include = ["watchkeeper.config.ts", "monitors/**/*.ts", "policies/**/*.ts"];
  writeFileSync(path.join(tree, "tsconfig.json"), JSON.stringify({ compilerOptions: checkerTsconfig(tree, sdk), include }, null, 2) + "\n");

  // `wk plan --base HEAD` needs the tree in git: the generated tree is the base commit.
  const git = (...args) => execFileSync("git", args, { cwd: tree, encoding: "utf8" });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "bench@example.test");
  git("config", "user.name", "bench");
  git("add", "-A");
  git("commit", "-q", "-m", "base");

  const tsc7 = locateNativeTsc();
  const tsc6 = path.join(ROOT, "node_modules/typescript/bin/tsc");
  const tsc6Version = spawnSync(process.execPath, [tsc6, "--version"], { encoding: "utf8" }).stdout.trim();
  const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
  // Cold compiles and plans: no compile cache (WK_CACHE=off), no plan cache (WK_PLAN_CACHE=off).
  const cold = { WK_CACHE: "off", WK_PLAN_CACHE: "off" };
  const warm = { WK_CACHE_DIR: cacheDir };
  const measures = {
    "wk compile": { command: [process.execPath, cli, "compile", "--project", tree, "--out", path.join(work, "out")], env: cold },
    "tsc --noEmit (TypeScript 7)": { command: [tsc7.exe, "--noEmit", "-p", path.join(tree, "tsconfig.json")], env: {} },
    "tsc --noEmit (TypeScript 6)": { command: [process.execPath, tsc6, "--noEmit", "-p", path.join(tree, "tsconfig.json")], env: {} },
    "wk plan, 10 files changed": { command: [process.execPath, cli, "plan", "--project", tree, "--base", "HEAD", "--format", "json"], env: cold },
    "wk validate, warm, 1 file edited": { command: [process.execPath, cli, "validate", "--project", tree], env: warm },
    ...(beforeCli
      ? {
          "before: wk compile": { command: [process.execPath, beforeCli, "compile", "--project", tree, "--out", path.join(work, "out-before")], env: cold },
          "before: wk plan, 10 files changed": { command: [process.execPath, beforeCli, "plan", "--project", tree, "--base", "HEAD", "--format", "json"], env: cold },
          "before: wk validate, warm, 1 file edited": { command: [process.execPath, beforeCli, "validate", "--project", tree], env: { WK_CACHE_DIR: beforeCacheDir } },
        }
      : {}),
  };
  const wall = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(measures).map((k) => [k, []]));
  const time = (label, record = true) => {
    const { command, env } = measures[label];
    const [file, ...args] = gnuTime ? [gnuTime, "-f", "WKCPU %U %S", ...command] : command;
    const start = process.hrtime.bigint();
    const run = spawnSync(file, args, { cwd: tree, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== 0) throw new Error(`${label} failed (exit ${run.status}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
    if (!record) return;
    wall[label].push(ms);
    const used = /WKCPU ([\d.]+) ([\d.]+)/.exec(run.stderr);
    if (used) cpu[label].push((Number(used[1]) + Number(used[2])) * 1000);
  };

  // The edit of a warm validate: one monitor's `for`, a different value every time.
  const edited = path.join(tree, "monitors/service-7/monitor-707.ts");
  const original = readFileSync(edited, "utf8");
  let edits = 0;
  const editOneFile = () => writeFileSync(edited, original.replace(/for: "\d+m"/, `for: "${10 + (edits++ % 50)}m"`));

  const loadBefore = os.loadavg();
  const started = new Date();
  // One warm-up of each (file cache, the compile cache filled), not counted.
  for (const label of Object.keys(measures)) time(label, false);
  // The plan's 10 changed files stay changed for every round (compile and tsc see them too).
  changeFiles(tree, { services: size.services });
  const changedFiles = git("status", "--porcelain").trim().split("\n").length;
  for (let i = 0; i < RUNS; i++) {
    time("wk compile");
    time("tsc --noEmit (TypeScript 7)");
    time("tsc --noEmit (TypeScript 6)");
    time("wk plan, 10 files changed");
    if (beforeCli) {
      time("before: wk compile");
      time("before: wk plan, 10 files changed");
      time("before: wk validate, warm, 1 file edited", false);
    }
    time("wk validate, warm, 1 file edited", false); // fills the cache for the tree as it is now
    editOneFile();
    time("wk validate, warm, 1 file edited");
    if (beforeCli) time("before: wk validate, warm, 1 file edited");
    process.stderr.write(`round ${i + 1}/${RUNS}: ${Object.entries(wall).map(([k, v]) => `${k} ${Math.round(v[i])} ms`).join(", ")}\n`);
  }
  const loadAfter = os.loadavg();

  // One in-process compile and one plan for the split (the CLI does not print timings).
  const { compileProject } = await import(pathToFileURL(path.join(ROOT, "build/cli/compiler/index.js")).href);
  const { planProject } = await import(pathToFileURL(path.join(ROOT, "build/cli/plan/plan-project.js")).href);
  const steps = (await compileProject({ projectDir: tree, write: false, cache: false })).timings;
  process.env.WK_PLAN_CACHE = "off";
  const planned = await planProject({ projectDir: tree, base: { kind: "git", ref: "HEAD" }, compile: (dir, o) => compileProject({ projectDir: dir, write: false, bundle: false, cache: false, ...o }), now: new Date() });
  const planSteps = planned.ok ? planned.timings : {};

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const m = Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, median(v)]));
  const perRound = (a, b) => wall[a].map((x, i) => x / wall[b][i]);
  const ratioRow = (label, a, b, target) => {
    const rounds = perRound(a, b);
    const ratio = m[a] / m[b];
    const verdict = ratio <= target ? "met" : "**missed**";
    return `| ${label} (target <= ${target}) | **${ratio.toFixed(2)}** (${verdict}) | ${median(rounds).toFixed(2)} | ${rounds.map((r) => r.toFixed(2)).join(", ")} |`;
  };
  const cpus = os.cpus();
  const fmt = (xs) => xs.map(Math.round).join(", ");
  const report = [
    "# wk compile benchmark",
    "",
    "`npm run bench:compile` (bench/compile/run.mjs): a generated project (bench/compile/generate.ts) of",
    `${size.monitors} monitors (one module each, six check kinds), ${size.services} services (schedule with two layers,`,
    `escalation policy, Slack channel each) and ${size.teams} teams of 6 users, committed to git, then ${changedFiles} files changed`,
    "(bench/plan/change-files.mjs). Each round runs, back to back on the same tree:",
    "",
    "- `wk compile`: the built CLI, a whole process, cold: no compile cache (`WK_CACHE=off`);",
    "- `tsc --noEmit` of TypeScript 7 (the native binary itself, no Node launcher in front) and of TypeScript 6,",
    "  with the options `wk validate` checks with (`checkerTsconfig`), over the same files;",
    "- `wk plan --base HEAD --format json` with the 10 changed files, cold (`WK_CACHE=off`, `WK_PLAN_CACHE=off`): a",
    "  compile of the working tree, a compile of the base from a git worktree, two Pulumi mock runs, the diff;",
    "- `wk validate` once (not timed: the cache now holds this tree), then one monitor file edited, then the timed",
    "  warm `wk validate`.",
    "",
    `${RUNS} rounds after one warm-up of each; medians; ratios of the medians, and the median of per-round ratios.`,
    ...(beforeCli ? ["", "Rows marked \"before:\" ran the same commands with the build of the commit before this change (`WK_BENCH_BEFORE`), in the same rounds."] : []),
    "",
    `Machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM; the load averages below`,
    "say what else ran (under about 2 is this benchmark alone; above, absolute times are inflated, and the ratios of",
    `back-to-back runs are the measure). Node ${process.version}; TypeScript ${tsc7.version} (native) and ${tsc6Version.replace(/^Version /, "")}.`,
    `Run ${started.toISOString().slice(0, 16).replace("T", " ")} UTC. Load average (1, 5, 15 min) before: ${loadBefore.map((l) => l.toFixed(1)).join(", ")};`,
    `after: ${loadAfter.map((l) => l.toFixed(1)).join(", ")}.`,
    "",
    "| Measure | Median wall | Runs (ms) | Median CPU (user + sys) | CPU runs (ms) |",
    "|---|---:|---|---:|---|",
    ...Object.keys(measures).map((k) => `| ${k} | ${Math.round(m[k])} ms | ${fmt(wall[k])} | ${cpu[k].length ? `${Math.round(median(cpu[k]))} ms` : "-"} | ${fmt(cpu[k])} |`),
    "",
    "| Ratio | Of the medians | Median per round | Per round |",
    "|---|---:|---:|---|",
    ratioRow("`wk compile` / TypeScript 7 `tsc --noEmit`", "wk compile", "tsc --noEmit (TypeScript 7)", 1.3),
    ratioRow("`wk plan` (10 files) / `wk compile`", "wk plan, 10 files changed", "wk compile", 2),
    `| warm \`wk validate\` after a one-file edit (target <= 0.5 s) | **${(m["wk validate, warm, 1 file edited"] / 1000).toFixed(2)} s** (${m["wk validate, warm, 1 file edited"] <= 500 ? "met" : "**missed**"}) | | |`,
    `| TypeScript 6 / TypeScript 7 \`tsc --noEmit\` | ${(m["tsc --noEmit (TypeScript 6)"] / m["tsc --noEmit (TypeScript 7)"]).toFixed(2)} | | |`,
    ...(beforeCli
      ? [
          ratioRow("before: `wk compile` / TypeScript 7 `tsc --noEmit`", "before: wk compile", "tsc --noEmit (TypeScript 7)", 1.3),
          ratioRow("before: `wk plan` (10 files) / before: `wk compile`", "before: wk plan, 10 files changed", "before: wk compile", 2),
          `| before: warm \`wk validate\` after a one-file edit (target <= 0.5 s) | **${(m["before: wk validate, warm, 1 file edited"] / 1000).toFixed(2)} s** | | |`,
        ]
      : []),
    "",
    "Split of one in-process cold compile (ms, `CompileResult.timings`; the type check runs in its own process",
    "from the start, beside discover, bundle and load, so the steps overlap and do not add up):",
    "",
    "| Step | ms |",
    "|---|---:|",
    ...Object.entries(steps).map(([step, ms]) => `| ${step} | ${ms} |`),
    "",
    "Split of one in-process cold plan (ms, `planProject` timings; the base compiles beside the working tree, so compileHead and compileBase overlap):",
    "",
    "| Step | ms |",
    "|---|---:|",
    ...Object.entries(planSteps).map(([step, ms]) => `| ${step} | ${Math.round(ms)} |`),
    "",
  ].join("\n");
  const text = report + (handWritten ? "\n" + handWritten : "");
  if (process.env.WK_BENCH_WRITE !== "0") writeFileSync(path.join(ROOT, "bench/results/compile.md"), text);
  process.stdout.write(text);
} finally {
  rmSync(work, { recursive: true, force: true });
}
