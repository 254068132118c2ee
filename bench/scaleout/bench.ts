/**
 * Scale-out benchmark: M HTTP monitors every second (more than one replica can check), run by 1 and
 * then 2 replicas on one Redis (a fresh key prefix each); sustained checks per second over the
 * window, and Redis commands per check from INFO commandstats before and after (commands run
 * inside Lua scripts count too, so this bounds the round trips from above; `evalsha` and the
 * other top-level commands are listed apart).
 * Env: WK_BENCH_MONITORS (3000), WK_BENCH_SECONDS (20), WK_BENCH_WARMUP (8), WK_BENCH_REDIS
 * (redis://127.0.0.1:6379/0), WK_BENCH_CONCURRENCY (256).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { manifestOf, monitorSpec, writeArtifact } from "../../test/runtime/support/manifest.js";
import { build } from "esbuild";
import { startChild, type RunningChild } from "../../test/runtime/support/child-process.js";
import { dropPrefix } from "../../test/scale-out/support.js";
import { cpuSeconds } from "../runtime/proc-stats.js";

const MONITORS = Number(process.env.WK_BENCH_MONITORS ?? 3_000);
const SECONDS = Number(process.env.WK_BENCH_SECONDS ?? 20);
const WARMUP = Number(process.env.WK_BENCH_WARMUP ?? 8);
const REDIS = process.env.WK_BENCH_REDIS ?? "redis://127.0.0.1:6379/0";
const CONCURRENCY = process.env.WK_BENCH_CONCURRENCY ?? "256";
const RESULTS = process.env.WK_BENCH_OUT ?? "bench/results/scaleout.md";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function checksTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^watchkeeper_checks_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

async function commandStats(redis: Redis): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of (await redis.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

interface Phase { replicas: number; perSecond: number; commandsPerCheck: number; topLevelPerCheck: number; top: string; cpuPerThousand: number }

const dir = await mkdtemp(join(tmpdir(), "wk-bench-scaleout-"));
const target = spawn(process.execPath, [join(process.cwd(), "bench/runtime/target.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
const redis = new Redis(REDIS);
const phases: Phase[] = [];
try {
  const port = await new Promise<number>((resolve) => target.stdout!.on("data", (c: Buffer) => {
    const m = /PORT (\d+)/.exec(c.toString());
    if (m) resolve(Number(m[1]));
  }));
  const base = monitorSpec({ id: "x" }).check;
  const monitors = Array.from({ length: MONITORS }, (_, i) =>
    monitorSpec({ id: `bench-${i}`, schedule: { kind: "every", every: "1s" }, check: { ...base, url: `http://127.0.0.1:${port}/ok`, timeout: "5s" } as typeof base }),
  );
  await writeArtifact(join(dir, "artifact"), manifestOf(monitors));
  // Bundled from this checkout (cwd): bundleChild's root follows the node_modules symlink.
  await build({ entryPoints: [join(process.cwd(), "test/runtime/support/runtime-child.ts")], outfile: join(process.cwd(), "node_modules/.cache/watchkeeper-bench/scaleout-child.mjs"), bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "error" });
  const child = join(process.cwd(), "node_modules/.cache/watchkeeper-bench/scaleout-child.mjs");

  for (const count of [1, 2]) {
    const prefix = `wk-bench-${randomBytes(4).toString("hex")}`;
    const children: RunningChild[] = [];
    try {
      for (let i = 0; i < count; i++) {
        children.push(await startChild(child, {
          WK_CHILD_ARTIFACT: join(dir, "artifact"),
          WK_CHILD_STATE: join(dir, `state-${count}-${i}`),
          WK_CHILD_REDIS: REDIS,
          WK_CHILD_REDIS_PREFIX: prefix,
          WK_CHILD_SPREAD_MS: "1000",
          WK_CHILD_CONCURRENCY: CONCURRENCY,
          WK_LOG_LEVEL: "error",
        }, 60_000));
      }
      await sleep(WARMUP * 1000);
      const checks0 = (await Promise.all(children.map((c) => checksTotal(c.url)))).reduce((a, b) => a + b, 0);
      const cpu0 = children.reduce((a, c) => a + cpuSeconds(c.proc.pid!), 0);
      const stats0 = await commandStats(redis);
      const t0 = Date.now();
      await sleep(SECONDS * 1000);
      const stats1 = await commandStats(redis);
      const elapsed = (Date.now() - t0) / 1000;
      const cpu1 = children.reduce((a, c) => a + cpuSeconds(c.proc.pid!), 0);
      const checks1 = (await Promise.all(children.map((c) => checksTotal(c.url)))).reduce((a, b) => a + b, 0);
      const checks = checks1 - checks0;
      const deltas = [...stats1].map(([name, n]) => [name, n - (stats0.get(name) ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
      const total = deltas.reduce((a, [, n]) => a + n, 0);
      // Commands a client sends itself (a script's inner commands are counted under their own names too).
      // Round trips a replica makes itself: script calls, the store's set read and BullMQ's blocking wait.
      const topLevel = deltas.filter(([name]) => /^(evalsha|eval|fcall|smembers|bzpopmin)$/.test(name)).reduce((a, [, n]) => a + n, 0);
      phases.push({
        replicas: count,
        perSecond: checks / elapsed,
        commandsPerCheck: total / checks,
        topLevelPerCheck: topLevel / checks,
        top: deltas.slice(0, 8).map(([name, n]) => `${name} ${(n / checks).toFixed(2)}`).join(", "),
        cpuPerThousand: ((cpu1 - cpu0) / checks) * 1000,
      });
      console.log(JSON.stringify(phases.at(-1)));
    } finally {
      for (const c of children) c.proc.kill("SIGTERM");
      await Promise.all(children.map((c) => c.exited));
      await dropPrefix(REDIS, prefix);
    }
  }
  const [one, two] = phases;
  const rows = phases.map((p) => `| ${p.replicas} | ${p.perSecond.toFixed(0)} | ${p.commandsPerCheck.toFixed(2)} | ${p.topLevelPerCheck.toFixed(2)} | ${p.cpuPerThousand.toFixed(2)} |`).join("\n");
  const text = `# Scale-out benchmark

${MONITORS} HTTP monitors \`every: 1s\` (spread over the second) against a loopback target, so
demand is ${MONITORS} checks/s: more than one replica checks. Replicas are separate \`node\`
processes (\`test/runtime/support/runtime-child.ts\` with \`WK_CHILD_REDIS\`, WK_CONCURRENCY ${CONCURRENCY}),
on the machine's Redis (${REDIS.replace(/\/\/[^@]*@/, "//")}), a fresh key prefix per phase; ${WARMUP} s warm-up, then ${SECONDS} s measured.
Checks are \`watchkeeper_checks_total\` summed over the replicas. Redis commands are the
\`INFO commandstats\` deltas over the window divided by the checks: commands inside Lua scripts are
counted under their own names too, so the total bounds the round trips from above; "round trips"
counts what a replica sends itself per check: EVALSHA (BullMQ's job scripts, the store's commit),
SMEMBERS (the store's read of a monitor's alerts) and BullMQ's blocking BZPOPMIN.

Reproduce: \`node bench/run-ts.mjs bench/scaleout/bench.ts\` (env: WK_BENCH_MONITORS, WK_BENCH_SECONDS,
WK_BENCH_WARMUP, WK_BENCH_REDIS, WK_BENCH_CONCURRENCY).

| replicas | checks/s | Redis commands per check (all) | round trips per check | CPU-s per 1,000 checks (replicas) |
|---|---|---|---|---|
${rows}

Speed-up, 2 replicas / 1: ${(two!.perSecond / one!.perSecond).toFixed(2)}x.
Commands per check, 1 replica: ${one!.top}.
Commands per check, 2 replicas: ${two!.top}.

Machine: ${cpus().length} CPUs shared with Redis, the target, the benchmark and other work
(load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(", ")}); Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.
`;
  await writeFile(RESULTS, text);
  console.log(text);
} finally {
  target.kill("SIGTERM");
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
}
