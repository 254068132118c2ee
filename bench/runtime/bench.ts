/**
 * Runtime benchmark: N HTTP monitors every 10 s (spread over the period) against a loopback target,
 * with the Prometheus blackbox exporter probing the same target at the same rate in the same run.
 * Env: WK_BENCH_MONITORS (10000), WK_BENCH_SECONDS (60), WK_BENCH_WARMUP (12), WK_BLACKBOX_BIN,
 * WK_BENCH_NODE_OPTIONS (node flags for the runtime; default the heap cap recommended for the image).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestOf, monitorSpec, writeArtifact } from "../../test/runtime/support/manifest.js";
import { bundleChild, startChild } from "../../test/runtime/support/child-process.js";
import { driveProbes, startBlackbox } from "./blackbox.js";
import { cpuSeconds, peakRssMb, quantile } from "./proc-stats.js";

const MONITORS = Number(process.env.WK_BENCH_MONITORS ?? 10_000);
const SECONDS = Number(process.env.WK_BENCH_SECONDS ?? 60);
const WARMUP = Number(process.env.WK_BENCH_WARMUP ?? 12);
const RESULTS = process.env.WK_BENCH_OUT ?? "bench/results/runtime.md";
// Without a cap V8 lets promoted garbage pile up to ~3x the live heap before a full collection.
const NODE_OPTIONS = (process.env.WK_BENCH_NODE_OPTIONS ?? "--max-old-space-size=128").split(" ").filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function checksTotal(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(/^watchkeeper_checks_total\{[^}]*result="(\w+)"[^}]*\} (\d+)/gm)) sum += Number(m[2]);
  return sum;
}

async function checksByResult(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^watchkeeper_checks_total\{[^}]*result="(\w+)"[^}]*\} (\d+)/gm)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

const dir = await mkdtemp(join(tmpdir(), "wk-bench-"));
const target = spawn(process.execPath, [join(process.cwd(), "bench/runtime/target.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
const cleanup: Array<() => unknown> = [() => target.kill("SIGTERM")];
try {
  const port = await new Promise<number>((resolve) => target.stdout!.on("data", (c: Buffer) => {
    const m = /PORT (\d+)/.exec(c.toString());
    if (m) resolve(Number(m[1]));
  }));
  const targetUrl = `http://127.0.0.1:${port}/ok`;
  const base = monitorSpec({ id: "x" }).check;
  const monitors = Array.from({ length: MONITORS }, (_, i) =>
    monitorSpec({ id: `bench-${i}`, schedule: { kind: "every", every: "10s" }, check: { ...base, url: targetUrl, timeout: "5s" } as typeof base }),
  );
  await writeArtifact(join(dir, "artifact"), manifestOf(monitors));
  const script = await bundleChild("bench");

  const runtime = await startChild(script, {
    WK_CHILD_ARTIFACT: join(dir, "artifact"),
    WK_CHILD_STATE: join(dir, "state"),
    WK_CHILD_SPREAD_MS: "10000",
    WK_CHILD_CONCURRENCY: "256",
    WK_CHILD_LAGS: "1",
    WK_LOG_LEVEL: "warn",
  }, 120_000, NODE_OPTIONS);
  cleanup.push(() => runtime.proc.kill("SIGKILL"));
  const blackbox = await startBlackbox(dir);
  cleanup.push(() => blackbox.proc.kill("SIGKILL"));
  const driver = driveProbes(blackbox.url, targetUrl, MONITORS / 10);

  await sleep(WARMUP * 1000);
  const t0 = Date.now();
  const ours0 = { cpu: cpuSeconds(runtime.proc.pid!), checks: await checksTotal(runtime.url) };
  const theirs0 = { cpu: cpuSeconds(blackbox.proc.pid!), probes: driver.stats.ok + driver.stats.failed };
  await sleep((SECONDS - WARMUP) * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const ours1 = { cpu: cpuSeconds(runtime.proc.pid!), checks: await checksTotal(runtime.url) };
  const theirs1 = { cpu: cpuSeconds(blackbox.proc.pid!), probes: driver.stats.ok + driver.stats.failed };
  const results = await checksByResult(runtime.url);
  await driver.stop();
  const oursRss = peakRssMb(runtime.proc.pid!);
  const theirsRss = peakRssMb(blackbox.proc.pid!);

  runtime.proc.kill("SIGTERM");
  await runtime.exited;
  const lagsLine = /LAGS (.*)/.exec(runtime.stderr())?.[1] ?? "[]";
  const lags = (JSON.parse(lagsLine) as Array<[number, number]>).filter(([at]) => at >= t0).map(([, ms]) => ms);

  const checks = ours1.checks - ours0.checks;
  const probes = theirs1.probes - theirs0.probes;
  const row = {
    checksPerSecond: checks / elapsed,
    lagP50: quantile(lags, 0.5),
    lagP99: quantile(lags, 0.99),
    lagMax: quantile(lags, 1),
    oursCpuPer1000: ((ours1.cpu - ours0.cpu) / checks) * 1000,
    oursRss,
    probesPerSecond: probes / elapsed,
    theirsCpuPer1000: ((theirs1.cpu - theirs0.cpu) / probes) * 1000,
    theirsRss,
    failed: (results.failed ?? 0) + (results.error ?? 0),
    probeFailed: driver.stats.failed,
  };
  const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
  const md = `# Runtime benchmark

${MONITORS.toLocaleString("en-US")} HTTP monitors, \`every: 10s\` with the schedule spread over the period, against a
loopback HTTP target; the Prometheus blackbox exporter probes the same target at the same rate in the same run
(driven through its \`/probe\` endpoint). Measured over ${f(elapsed, 0)} s after a ${WARMUP} s warm-up; CPU from
\`/proc/PID/stat\` (user + system) of each prober process alone; peak RSS is VmHWM.

Reproduce: \`npm run bench:runtime\` (env: WK_BENCH_MONITORS, WK_BENCH_SECONDS, WK_BLACKBOX_BIN,
WK_BENCH_NODE_OPTIONS). The runtime ran as \`node ${NODE_OPTIONS.join(" ")}\`.

| | watchkeeper runtime | blackbox exporter |
|---|---|---|
| checks (probes) per second | ${f(row.checksPerSecond, 0)} | ${f(row.probesPerSecond, 0)} |
| scheduling lag p50 / p99 / max | ${f(row.lagP50, 1)} ms / ${f(row.lagP99, 1)} ms / ${f(row.lagMax, 1)} ms | — |
| CPU-seconds per 1,000 checks | ${f(row.oursCpuPer1000, 3)} | ${f(row.theirsCpuPer1000, 3)} |
| peak RSS | ${f(row.oursRss, 0)} MB | ${f(row.theirsRss, 0)} MB |
| failed checks (probes) in the window | ${row.failed} | ${row.probeFailed} |

Ratio of CPU per 1,000 (ours / theirs): ${f(row.oursCpuPer1000 / row.theirsCpuPer1000, 2)}.
Targets from the issue: >= 1,000 checks/s, p99 lag <= 50 ms, peak RSS <= 200 MB, CPU per 1,000 <= the exporter's.

Machine: ${(await import("node:os")).cpus().length} CPUs shared with other work while this ran; Node ${process.version};
${new Date().toISOString().slice(0, 10)}. Each watchkeeper check commits its result (and any alert change) to SQLite
in WAL mode; the exporter keeps nothing.
`;
  await writeFile(RESULTS, md);
  process.stdout.write(md + "\n" + JSON.stringify(row) + "\n");
} finally {
  for (const c of cleanup.reverse()) {
    try {
      c();
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
}
