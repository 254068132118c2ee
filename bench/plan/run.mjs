// `npm run bench:plan`: wk plan on a 1,000-monitor, 100-service tree with 10 changed files, against
// a single wk compile of the same tree. Runs the built modules (npm run build first) and the CLI.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { changeFiles } from "./change-files.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const work = mkdtempSync(join(tmpdir(), "wk-bench-plan-"));
const tree = join(work, "tree");
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const runs = Number(process.env.WK_BENCH_RUNS ?? 3);
// Every compile cold, in the CLI processes and in-process: without this, `wk compile` would read
// the compile cache the warm-up filled, and the ratio would compare a plan with a cached compile.
process.env.WK_CACHE = "off";
const cli = join(root, "bin/watchkeeper.js");

const git = (...args) => execFileSync("git", args, { cwd: tree, encoding: "utf8" });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${Math.round(x)} ms`;

// The same tree as the compile benchmark, from its generator (TypeScript, transpiled here).
const generator = join(work, "generate.mjs");
await esbuild.build({ entryPoints: [join(root, "bench/compile/generate.ts")], outfile: generator, format: "esm", platform: "node", bundle: true, logLevel: "silent" });
const { generateTree } = await import(pathToFileURL(generator).href);
generateTree(tree, { monitors: 1000, services: 100, teams: 20 });
git("init", "-q", "-b", "main");
git("config", "user.email", "bench@example.test");
git("config", "user.name", "bench");
git("add", "-A");
git("commit", "-q", "-m", "base");
const changed = changeFiles(tree, { services: 100 });

const { compileProject } = await import(join(root, "build/cli/compiler/index.js"));
const { planProject } = await import(join(root, "build/cli/plan/plan-project.js"));

function wall(args, env = {}) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tree, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  const elapsed = performance.now() - t0;
  if (r.status !== 0) throw new Error(`wk ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return { elapsed, stdout: r.stdout };
}

// Warm-up (file cache, lazy imports) not counted.
wall(["compile", "--project", "."]);
const planArgs = ["plan", "--project", ".", "--base", "HEAD", "--format", "json"];
const compileWall = [];
const planWall = [];
const warmWall = [];
let planOut = "";
// Fills the base cache for the warm runs.
wall(planArgs);
for (let i = 0; i < runs; i++) {
  compileWall.push(wall(["compile", "--project", "."]).elapsed);
  const p = wall(planArgs, { WK_PLAN_CACHE: "off" });
  planWall.push(p.elapsed);
  planOut = p.stdout;
  warmWall.push(wall(planArgs).elapsed);
}
const plan = JSON.parse(planOut);

// The split, measured in-process with the same modules.
const splits = [];
for (let i = 0; i < runs; i++) {
  const r = await planProject({
    projectDir: tree,
    base: { kind: "git", ref: "HEAD" },
    compile: (dir, o) => compileProject({ projectDir: dir, write: false, ...o }),
    now: new Date(),
  });
  if (!r.ok) throw new Error("tree does not compile");
  splits.push(r.timings);
}
const split = Object.fromEntries(["compileHead", "compileBase", "mockRuns", "diff"].map((k) => [k, median(splits.map((s) => s[k]))]));

const ratio = median(planWall) / median(compileWall);
const warmRatio = median(warmWall) / median(compileWall);
const report = `# wk plan benchmark

\`npm run bench:plan\` (bench/plan/run.mjs): the compile benchmark's tree (bench/compile/generate.ts:
1,000 monitors, 100 services, 20 teams; one file per monitor, one policy file per service),
committed to git; then ${changed.length} files changed in the working tree (8 monitors' \`for\`, one
service's auto-resolve timeout, one schedule's rotation) and \`wk plan --base HEAD --format json\`
run as a CLI process.
Medians of ${runs} runs after one warm-up, on ${cpus().length} CPU cores shared with other work (load average ${loadavg()[0].toFixed(1)} at the end), Node ${process.version}.

| Measure | Median |
|---|---:|
| \`wk compile\` (whole CLI process) | ${ms(median(compileWall))} |
| \`wk plan --base HEAD\` (whole CLI process) | ${ms(median(planWall))} |
| **ratio plan / compile** (target <= 2.0) | **${ratio.toFixed(2)}** |
| \`wk plan --base HEAD\`, base already compiled once (plan cache) | ${ms(median(warmWall))} |
| ratio warm plan / compile | ${warmRatio.toFixed(2)} |

The first plan row is cold: \`WK_PLAN_CACHE=off\`, so the base is compiled from a fresh worktree
every time (what CI does on a fresh checkout). The warm row is a repeated local plan against the
same base commit, whose compile is cached by git tree id under \`.watchkeeper/plan-cache/\`.

Split of a cold plan (in-process, same modules, base cache off; the base compiles beside the
working tree, so the two compile rows overlap):

| Step | Median |
|---|---:|
| compile head (working tree) | ${ms(split.compileHead)} |
| compile base (git worktree of HEAD, incl. worktree add/remove) | ${ms(split.compileBase)} |
| mock runs (Pulumi program under mocks, base + head) | ${ms(split.mockRuns)} |
| diff (monitors, resources, config, warnings incl. coverage) | ${ms(split.diff)} |

Plan found: monitors ${JSON.stringify(plan.summary.monitors)}, resources ${JSON.stringify(plan.summary.resources)},
warnings ${plan.summary.warnings}.

Reading: a cold plan is a full compile of the working tree, beside it a compile of the base
without the TypeScript check (committed code, checked when it merged: the plan needs only its
manifest), and two mock runs over the on-call definitions whose resources can differ (here one
service, one schedule and what they refer to; docs/plan-and-deploy.md). A warm plan skips the
base compile (cache by git tree id, kept in CI by the pull-request workflow's cache step); a
monitors-only change also skips the mock runs. Every compile here is cold (\`WK_CACHE=off\`).
`;
mkdirSync(join(root, "bench/results"), { recursive: true });
// Sections other benchmarks append (bench:plan-summaries) stay.
const out = join(root, "bench/results/plan.md");
const previous = existsSync(out) ? readFileSync(out, "utf8") : "";
const kept = previous.indexOf("\n## ");
writeFileSync(out, report + (kept >= 0 ? previous.slice(kept) : ""));
process.stdout.write(report);
