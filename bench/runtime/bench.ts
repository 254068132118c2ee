/**
 * Runtime benchmark: N HTTP monitors every 10 s (spread over the period) against a loopback target;
 * then, in the same run, the Prometheus blackbox exporter probing the same target at the same rate.
 * Env: WK_BENCH_MONITORS (10000), WK_BENCH_SECONDS (45), WK_BENCH_WARMUP (12), WK_BLACKBOX_BIN,
 * WK_BENCH_NODE_OPTIONS (node flags for the runtime; default the heap cap recommended for the image).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { manifestOf, monitorSpec, writeArtifact } from "../../test/runtime/support/manifest.js";
import { bundleChild, startChild } from "../../test/runtime/support/child-process.js";
import { driveProbes, startBlackbox } from "./blackbox.js";
import { cpuSeconds, peakRssMb, quantile } from "./proc-stats.js";

const MONITORS = Number(process.env.WK_BENCH_MONITORS ?? 10_000);
const SECONDS = Number(process.env.WK_BENCH_SECONDS ?? 45);
const WARMUP = Number(process.env.WK_BENCH_WARMUP ?? 12);
const BLACKBOX_SECONDS = Number(process.env.WK_BENCH_BLACKBOX_SECONDS ?? 25);
const BLACKBOX_WARMUP = 5;
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
  cleanup.push(() => rm(script, { force: true }));

  // Phase 1: the runtime alone. Phase 2: the exporter alone, same target, same rate. On a small
  // shared machine the two at once starve each other and the lag measures the contention instead.
  const lagFile = join(dir, "lags.json");
  const runtime = await startChild(script, {
    WK_CHILD_ARTIFACT: join(dir, "artifact"),
    WK_CHILD_STATE: join(dir, "state"),
    WK_CHILD_SPREAD_MS: "10000",
    WK_CHILD_CONCURRENCY: "256",
    WK_CHILD_LAGS: lagFile,
    WK_LOG_LEVEL: "warn",
  }, 120_000, NODE_OPTIONS);
  cleanup.push(() => runtime.proc.kill("SIGKILL"));
  await sleep(WARMUP * 1000);
  const t0 = Date.now();
  const ours0 = { cpu: cpuSeconds(runtime.proc.pid!), checks: await checksTotal(runtime.url) };
  await sleep((SECONDS - WARMUP) * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const ours1 = { cpu: cpuSeconds(runtime.proc.pid!), checks: await checksTotal(runtime.url) };
  const results = await checksByResult(runtime.url);
  const oursRss = peakRssMb(runtime.proc.pid!);
  runtime.proc.kill("SIGTERM");
  await runtime.exited;
  const lags = (JSON.parse(await readFile(lagFile, "utf8")) as Array<[number, number]>).filter(([at]) => at >= t0).map(([, ms]) => ms);

  const blackbox = await startBlackbox(dir);
  cleanup.push(() => blackbox.proc.kill("SIGKILL"));
  const driver = driveProbes(blackbox.url, targetUrl, MONITORS / 10);
  await sleep(BLACKBOX_WARMUP * 1000);
  const b0 = Date.now();
  const theirs0 = { cpu: cpuSeconds(blackbox.proc.pid!), probes: driver.stats.ok + driver.stats.failed };
  await sleep(BLACKBOX_SECONDS * 1000);
  const bElapsed = (Date.now() - b0) / 1000;
  const theirs1 = { cpu: cpuSeconds(blackbox.proc.pid!), probes: driver.stats.ok + driver.stats.failed };
  await driver.stop();
  const theirsRss = peakRssMb(blackbox.proc.pid!);
  blackbox.proc.kill("SIGTERM");

  const checks = ours1.checks - ours0.checks;
  const probes = theirs1.probes - theirs0.probes;
  const row = {
    checksPerSecond: checks / elapsed,
    lagP50: quantile(lags, 0.5),
    lagP99: quantile(lags, 0.99),
    lagMax: quantile(lags, 1),
    oursCpuPer1000: ((ours1.cpu - ours0.cpu) / checks) * 1000,
    oursRss,
    probesPerSecond: probes / bElapsed,
    theirsCpuPer1000: ((theirs1.cpu - theirs0.cpu) / probes) * 1000,
    theirsRss,
    failed: (results.failed ?? 0) + (results.error ?? 0),
    probeFailed: driver.stats.failed,
  };
  const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
  const md = `# Runtime benchmark

${MONITORS.toLocaleString("en-US")} HTTP monitors, \`every: 10s\` with the schedule spread over the period, against a
loopback HTTP target (a separate node process). In the same run, after the runtime stopped, the Prometheus
blackbox exporter probed the same target at the same rate (${MONITORS / 10}/s, driven through its \`/probe\` endpoint
with module \`http_2xx\`). Ours measured over ${f(elapsed, 0)} s after a ${WARMUP} s warm-up, the exporter over
${f(bElapsed, 0)} s after ${BLACKBOX_WARMUP} s. CPU is user + system from \`/proc/PID/stat\` of each prober process
alone; peak RSS is VmHWM. Lag is actual start minus scheduled time of every tick in the window.

Reproduce: \`npm run bench:runtime\` (env: WK_BENCH_MONITORS, WK_BENCH_SECONDS, WK_BENCH_BLACKBOX_SECONDS,
WK_BLACKBOX_BIN, WK_BENCH_NODE_OPTIONS). The runtime ran as \`node ${NODE_OPTIONS.join(" ")}\`, the heap cap
docs/runtime.md recommends.

| | watchkeeper runtime | blackbox exporter |
|---|---|---|
| checks (probes) per second | ${f(row.checksPerSecond, 0)} | ${f(row.probesPerSecond, 0)} |
| scheduling lag p50 / p99 / max | ${f(row.lagP50, 1)} ms / ${f(row.lagP99, 1)} ms / ${f(row.lagMax, 1)} ms | — |
| CPU-seconds per 1,000 checks (probes) | ${f(row.oursCpuPer1000, 3)} | ${f(row.theirsCpuPer1000, 3)} |
| peak RSS | ${f(row.oursRss, 0)} MB | ${f(row.theirsRss, 0)} MB |
| failed checks (probes) in the window | ${row.failed} | ${row.probeFailed} |

CPU per 1,000, ours / theirs: ${f(row.oursCpuPer1000 / row.theirsCpuPer1000, 2)}.
Targets from the issue: >= 1,000 checks/s, p99 lag <= 50 ms, peak RSS <= 200 MB, CPU per 1,000 <= the exporter's.

Machine: ${(await import("node:os")).cpus().length} CPUs shared with other work while this ran (load average at the
end: ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(", ")}); Node ${process.version};
${new Date().toISOString().slice(0, 10)}. Each watchkeeper check also commits its result (and any alert change) to
SQLite in WAL mode; the exporter keeps nothing.
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
