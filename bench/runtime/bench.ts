/**
 * Runtime benchmark, in one run on one machine:
 *  1. N HTTP monitors every 10 s (spread over the period) against a loopback target, then the
 *     Prometheus blackbox exporter probing the same target at the same rate, back to back, for
 *     WK_BENCH_ROUNDS rounds (the first round's runtime window is the long one that shows RSS over
 *     time); medians and the per-round CPU ratio.
 *  2. Saturation: the highest rate (monitors every 10 s) one runtime process holds on one core with
 *     p99 lag <= 50 ms and no skipped tick, found by a search over the rate.
 *  3. The ceiling: a bare undici request loop on the same core against the same target.
 *  4. RSS against the monitor count.
 * The runtime (and the exporter, and the undici loop) run on CPU 0 (taskset), the target on CPU 1.
 *
 * Env: WK_BENCH_MODE (full | smoke: a short run of everything, written outside bench/results),
 * WK_BENCH_MONITORS, WK_BENCH_ROUNDS, WK_BENCH_WARMUP, WK_BENCH_SECONDS, WK_BENCH_SOAK_SECONDS,
 * WK_BENCH_BLACKBOX_SECONDS, WK_BENCH_SATURATION_SECONDS, WK_BENCH_SIZES (e.g. 1000,10000,50000), WK_BENCH_SATURATION_START
 * (checks/s), WK_BENCH_SATURATION_PROBES, WK_BENCH_PIN (0: no taskset), WK_BLACKBOX_BIN,
 * WK_BENCH_NODE_OPTIONS (node flags for the runtime; default the image's), WK_BENCH_OUT.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { cpus as cpuList, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundleChild } from "../../test/runtime/support/child-process.js";
import { handWrittenPart } from "../hand-written.js";
import { driveProbes, startBlackbox } from "./blackbox.js";
import { measureCeiling, type Ceiling } from "./ceiling.js";
import { measure, sleep, startRuntime, startTarget, writeFleet, type Window } from "./fleet.js";
import { cpuSeconds, peakRssMb, residentBreakdownMb } from "./proc-stats.js";
import { canPinCpus, runtimeNodeOptions } from "./settings.js";

const smoke = (process.env.WK_BENCH_MODE ?? "full") === "smoke";
const num = (name: string, full: number, short: number) => Number(process.env[name] ?? (smoke ? short : full));
const MONITORS = num("WK_BENCH_MONITORS", 10_000, 1_000);
const ROUNDS = num("WK_BENCH_ROUNDS", 3, 1);
const WARMUP = num("WK_BENCH_WARMUP", 15, 12);
// Runtime windows (here and SATURATION_SECONDS) of a minute or more: every monitor's rollup minute closes within one period after the
// minute's end, so the closed minutes are written as a wave once a minute (bench/results/runtime.md),
// and a shorter window holds that wave or not by chance.
const SECONDS = num("WK_BENCH_SECONDS", 60, 10);
const SOAK_SECONDS = num("WK_BENCH_SOAK_SECONDS", 180, 10);
const BLACKBOX_SECONDS = num("WK_BENCH_BLACKBOX_SECONDS", 30, 8);
const BLACKBOX_WARMUP = 5;
const SATURATION_START = num("WK_BENCH_SATURATION_START", 5_000, 300);
const SATURATION_PROBES = num("WK_BENCH_SATURATION_PROBES", 6, 2);
const SATURATION_SECONDS = num("WK_BENCH_SATURATION_SECONDS", 60, 8);
const CEILING_SECONDS = num("WK_BENCH_CEILING_SECONDS", 15, 3);
const SIZES = (process.env.WK_BENCH_SIZES ?? (smoke ? "300,1000" : "1000,10000,50000")).split(",").map(Number).filter((n) => n > 0);
const LAG_LIMIT_MS = 50;
/** Where the hand-written part of bench/results/runtime.md begins. */
const NOTES_HEADING = "## Where the time and the memory go";
const RESULTS = process.env.WK_BENCH_OUT ?? (smoke ? "node_modules/.cache/watchkeeper-bench/runtime-smoke.md" : "bench/results/runtime.md");
const nodeOptions = (monitors: number) => (process.env.WK_BENCH_NODE_OPTIONS ?? runtimeNodeOptions(monitors)).split(" ").filter(Boolean);
const canPin = canPinCpus();
const RUNTIME_CPUS = canPin ? "0" : null;
const TARGET_CPUS = canPin ? "1" : null;


const loads: Array<[string, number[]]> = [];
const noteLoad = (when: string) => loads.push([when, loadavg()]);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// What the profiles showed, written by hand in the results file itself below the generated tables (from
// NOTES_HEADING on): a new run replaces the tables and keeps it, whatever WK_BENCH_OUT says. Read before
// the run, so a file without the heading stops it at once rather than after its 17 minutes.
const notes = await handWrittenPart(join(process.cwd(), "bench/results/runtime.md"), NOTES_HEADING);
const dir = await mkdtemp(join(tmpdir(), "wk-bench-"));
const cleanup: Array<() => unknown> = [];
noteLoad("start");
const target = await startTarget(TARGET_CPUS);
cleanup.push(() => target.proc.kill("SIGTERM"));
const script = await bundleChild("bench");
let runs = 0;

/** One runtime run: N monitors, warm-up, a measured window; with its memory picture and state size. */
interface RuntimeRun extends Window {
  monitors: number;
  hwm: number;
  resident: Record<string, number>;
  stateMbStart: number;
  stateMbEnd: number;
}

async function folderMb(path: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) bytes += (await stat(join(path, name)).catch(() => ({ size: 0 }))).size;
  return bytes / 2 ** 20;
}

const artifacts = new Map<number, string>();
async function runRuntime(monitors: number, warmup: number, seconds: number): Promise<RuntimeRun> {
  let artifact = artifacts.get(monitors);
  if (!artifact) {
    artifact = join(dir, `artifact-${monitors}`);
    await writeFleet(artifact, monitors, target.url);
    artifacts.set(monitors, artifact);
  }
  const state = join(dir, `state-${++runs}`);
  const rt = await startRuntime(script, { artifact, state, statsFile: join(dir, `stats-${runs}.json`), cpus: RUNTIME_CPUS, nodeOptions: nodeOptions(monitors) });
  const kill = () => rt.child.proc.kill("SIGKILL");
  cleanup.push(kill);
  try {
    await sleep(warmup * 1000);
    const stateMbStart = await folderMb(state);
    const w = await measure(rt, seconds, seconds > 60 ? 5000 : 1000);
    const run: RuntimeRun = { ...w, monitors, hwm: peakRssMb(rt.pid), resident: residentBreakdownMb(rt.pid), stateMbStart, stateMbEnd: await folderMb(state) };
    await rt.stop();
    return run;
  } finally {
    kill();
    await rm(state, { recursive: true, force: true });
  }
}

interface ExporterRun {
  probesPerSecond: number;
  cpuPer1000: number;
  hwm: number;
  failed: number;
}

async function runExporter(perSecond: number, seconds: number): Promise<ExporterRun> {
  const blackbox = await startBlackbox(dir, RUNTIME_CPUS);
  const kill = () => blackbox.proc.kill("SIGKILL");
  cleanup.push(kill);
  try {
    const driver = driveProbes(blackbox.url, target.url, perSecond);
    await sleep(BLACKBOX_WARMUP * 1000);
    const t0 = Date.now();
    const a = { cpu: cpuSeconds(blackbox.proc.pid!), probes: driver.stats.ok + driver.stats.failed, failed: driver.stats.failed };
    await sleep(seconds * 1000);
    const elapsed = (Date.now() - t0) / 1000;
    const b = { cpu: cpuSeconds(blackbox.proc.pid!), probes: driver.stats.ok + driver.stats.failed, failed: driver.stats.failed };
    await driver.stop();
    const probes = b.probes - a.probes;
    return { probesPerSecond: probes / elapsed, cpuPer1000: ((b.cpu - a.cpu) / probes) * 1000, hwm: peakRssMb(blackbox.proc.pid!), failed: b.failed - a.failed };
  } finally {
    kill();
  }
}

const holds = (r: RuntimeRun, rate: number) => r.lagP99 <= LAG_LIMIT_MS && r.skipped === 0 && r.checksPerSecond >= 0.97 * rate;
const median = (xs: number[]) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  // 1. The fleet beside the exporter, back to back.
  const rounds: Array<{ ours: RuntimeRun; theirs: ExporterRun | null }> = [];
  const exporterAvailable = hasExporter();
  for (let i = 0; i < ROUNDS; i++) {
    log(`round ${i + 1}/${ROUNDS}: ${MONITORS} monitors every 10 s`);
    const ours = await runRuntime(MONITORS, WARMUP, i === 0 ? SOAK_SECONDS : SECONDS);
    log(`  runtime: ${ours.checksPerSecond.toFixed(0)}/s, CPU/1000 ${ours.cpuPer1000.toFixed(3)} s, p99 lag ${ours.lagP99} ms, RSS ${ours.peakRss.toFixed(0)} MB`);
    const theirs = exporterAvailable ? await runExporter(MONITORS / 10, BLACKBOX_SECONDS) : null;
    if (theirs) log(`  exporter: ${theirs.probesPerSecond.toFixed(0)}/s, CPU/1000 ${theirs.cpuPer1000.toFixed(3)} s`);
    rounds.push({ ours, theirs });
  }
  noteLoad("after the rounds");

  // 2 and 3. The ceiling, then the search over the rate, then the ceiling again.
  log("ceiling: bare undici loop");
  const ceilings: Ceiling[] = [await measureCeiling(target.url, RUNTIME_CPUS, CEILING_SECONDS)];
  const probes: Array<{ rate: number; run: RuntimeRun; held: boolean }> = [];
  let best: number | null = null;
  let worst: number | null = null;
  let rate = SATURATION_START;
  for (let i = 0; i < SATURATION_PROBES; i++) {
    log(`saturation probe ${i + 1}/${SATURATION_PROBES}: ${rate} checks/s (${rate * 10} monitors)`);
    const run = await runRuntime(rate * 10, WARMUP, SATURATION_SECONDS);
    const held = holds(run, rate);
    log(`  ${run.checksPerSecond.toFixed(0)}/s, p99 ${run.lagP99} ms, skipped ${run.skipped}, CPU share ${run.cpuShare.toFixed(2)}: ${held ? "held" : "not held"}`);
    probes.push({ rate, run, held });
    if (held) best = Math.max(best ?? 0, rate);
    else worst = Math.min(worst ?? Infinity, rate);
    if (worst === null) rate = rate * 1.5;
    else if (best === null) rate = rate * 0.6;
    else if (worst / best <= 1.1) break;
    else rate = (best + worst) / 2;
    rate = Math.max(100, Math.round(rate / 100) * 100);
    if (probes.some((p) => p.rate === rate)) break;
  }
  ceilings.push(await measureCeiling(target.url, RUNTIME_CPUS, CEILING_SECONDS));
  noteLoad("after the saturation search");

  // 4. RSS against the monitor count (the round-1 run stands for its own size).
  const growth: RuntimeRun[] = [];
  for (const n of SIZES) {
    log(`RSS at ${n} monitors`);
    growth.push(n === MONITORS ? rounds[0]!.ours : await runRuntime(n, WARMUP, Math.min(SECONDS, 20)));
  }
  noteLoad("end");

  const md = report({ rounds, probes, best, ceilings, growth, exporterAvailable }, notes ? `\n${notes}` : "");
  await writeFile(RESULTS, md);
  process.stdout.write(md);
  const broken = rounds.some((r) => r.ours.checksPerSecond === 0 || r.ours.failed > 0);
  if (broken) {
    process.stderr.write("[bench] the runtime ran no checks, or its checks failed against the loopback target\n");
    process.exitCode = 1;
  }
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

function hasExporter(): boolean {
  try {
    execFileSync(process.env.WK_BLACKBOX_BIN ?? "prometheus-blackbox-exporter", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    if (!smoke) throw new Error("the blackbox exporter is missing (apt-get install prometheus-blackbox-exporter, or WK_BLACKBOX_BIN)");
    log("no blackbox exporter: the smoke run goes on without it");
    return false;
  }
}

function exporterVersion(): string {
  try {
    const out = execFileSync(process.env.WK_BLACKBOX_BIN ?? "prometheus-blackbox-exporter", ["--version"], { stdio: ["ignore", "pipe", "pipe"] });
    return /version ([\w.+~-]+)/.exec(out.toString())?.[1] ?? "unknown";
  } catch {
    return "not installed";
  }
}

function cpuModel(): string {
  return cpuList()[0]?.model.replace(/\s+/g, " ").trim() ?? "unknown";
}

function report(r: {
  rounds: Array<{ ours: RuntimeRun; theirs: ExporterRun | null }>;
  probes: Array<{ rate: number; run: RuntimeRun; held: boolean }>;
  best: number | null;
  ceilings: Ceiling[];
  growth: RuntimeRun[];
  exporterAvailable: boolean;
}, notes: string): string {
  const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
  const mark = (ok: boolean) => (ok ? "met" : "**missed**");
  const ours = r.rounds.map((x) => x.ours);
  const ratios = r.rounds.filter((x) => x.theirs).map((x) => x.ours.cpuPer1000 / x.theirs!.cpuPer1000);
  const m = {
    rate: median(ours.map((o) => o.checksPerSecond)),
    cpu: median(ours.map((o) => o.cpuPer1000)),
    p50: median(ours.map((o) => o.lagP50)),
    p99: median(ours.map((o) => o.lagP99)),
    max: median(ours.map((o) => o.lagMax)),
    peak: Math.max(...ours.map((o) => o.hwm)),
    steady: median(ours.map((o) => o.peakRss)),
    skipped: ours.reduce((s, o) => s + o.skipped, 0),
    theirsRate: median(r.rounds.flatMap((x) => (x.theirs ? [x.theirs.probesPerSecond] : []))),
    theirsCpu: median(r.rounds.flatMap((x) => (x.theirs ? [x.theirs.cpuPer1000] : []))),
    theirsHwm: Math.max(0, ...r.rounds.flatMap((x) => (x.theirs ? [x.theirs.hwm] : []))),
    ratio: median(ratios),
  };
  const soak = r.rounds[0]!.ours;
  const samples = soak.rssSamples;
  const third = Math.max(1, Math.floor(samples.length / 3));
  const avg = (xs: Array<[number, number]>) => xs.reduce((s, [, v]) => s + v, 0) / Math.max(1, xs.length);
  const early = avg(samples.slice(0, third));
  const late = avg(samples.slice(-third));
  const res = soak.resident;
  const heap = soak.memory;
  const mb = (n: number) => n / 2 ** 20;
  const ceiling = median(r.ceilings.map((c) => c.requestsPerSecond));
  const ceilingCpu = median(r.ceilings.map((c) => c.cpuPer1000));
  const perRound = r.rounds
    .map((x, i) => `| ${i + 1} | ${f(x.ours.seconds, 0)} s | ${f(x.ours.checksPerSecond, 0)} | ${f(x.ours.lagP99, 0)} ms | ${x.ours.skipped} | ${f(x.ours.cpuPer1000, 3)} | ${x.theirs ? f(x.theirs.probesPerSecond, 0) : "—"} | ${x.theirs ? f(x.theirs.cpuPer1000, 3) : "—"} | ${x.theirs ? f(x.ours.cpuPer1000 / x.theirs.cpuPer1000, 2) : "—"} | ${f(x.ours.hwm, 0)} MB |`)
    .join("\n");
  const probeRows = r.probes
    .map((p) => `| ${p.rate} (${(p.rate * 10).toLocaleString("en-US")} monitors) | ${f(p.run.checksPerSecond, 0)} | ${f(p.run.lagP50, 0)} / ${f(p.run.lagP99, 0)} / ${f(p.run.lagMax, 0)} ms | ${p.run.skipped} | ${f(p.run.cpuShare, 2)} | ${f(p.run.cpuPer1000, 3)} | ${f(p.run.hwm, 0)} MB | ${p.held ? "held" : "not held"} |`)
    .join("\n");
  const growthRows = r.growth
    .map((g) => `| ${g.monitors.toLocaleString("en-US")} | ${f(g.checksPerSecond, 0)} | ${f(g.lagP99, 0)} ms | ${f(g.peakRss, 0)} MB | ${f(g.hwm, 0)} MB | ${f(mb(g.memory.heapUsed), 0)} / ${f(mb(g.memory.heapTotal), 0)} MB |`)
    .join("\n");
  const loadRows = loads.map(([when, l]) => `${when}: ${l.map((x) => x.toFixed(1)).join(", ")}`).join("; ");
  const bestRate = r.best;
  return `# Runtime benchmark${smoke ? " (smoke run: short, small, not the published numbers)" : ""}

Generated by \`npm run bench:runtime\` (bench/runtime/bench.ts) on ${new Date().toISOString().slice(0, 10)}, in one run.
The runtime is the embedded runtime as \`wk run\` assembles it (createRuntime over SQLite, the log channel
for notifications, results committed for every check), started as \`node ${nodeOptions(MONITORS).join(" ")}\` with \`MALLOC_TRIM_THRESHOLD_=131072\`
(the image's settings; larger fleets get a larger heap cap, bench/runtime/settings.ts). ${canPin ? "The runtime, the exporter and the bare undici loop each ran alone on CPU 0 (taskset); the loopback target (a node HTTP server answering 200 \"ok\") on CPU 1." : "No CPU pinning (one CPU, or WK_BENCH_PIN=0)."}
Monitors are HTTP checks \`every: 10s\`, spread over the period. CPU is user + system from /proc/PID/stat of the
prober alone; RSS is VmRSS sampled every second (every 5 s in windows over a minute); peak RSS is VmHWM, start-up
included. Lag is a tick's actual start minus its scheduled time, every tick in the window.

Machine: ${cpuList().length} × ${cpuModel()}, Node ${process.version}, blackbox exporter ${exporterVersion()} (Debian).
The load averages say what else ran on the machine (a load near 2 is this benchmark alone: the prober on one core,
the target on the other); ratios are taken back to back within a round. Load averages (1, 5, 15 min): ${loadRows}.

## ${MONITORS.toLocaleString("en-US")} HTTP monitors every 10 s, beside the blackbox exporter

${r.exporterAvailable ? `Each round: the runtime alone, then the exporter alone probing the same target at the same rate (${MONITORS / 10}/s,
through its \`/probe\` endpoint with module \`http_2xx\`, ${BLACKBOX_SECONDS} s after ${BLACKBOX_WARMUP} s of warm-up).` : "The exporter was not installed: runtime only."} Round 1's runtime window is the
long one (${SOAK_SECONDS} s after ${WARMUP} s of warm-up), the others ${SECONDS} s.

| round | window | checks/s | p99 lag | skipped ticks | CPU-s per 1,000 checks | exporter probes/s | exporter CPU-s per 1,000 | ours / theirs | peak RSS |
|---|---|---|---|---|---|---|---|---|---|
${perRound}

| median over ${r.rounds.length} round(s) | watchkeeper runtime | blackbox exporter | target | |
|---|---|---|---|---|
| checks (probes) per second | ${f(m.rate, 0)} | ${f(m.theirsRate, 0)} | ${MONITORS / 10} | |
| scheduling lag p50 / p99 / max | ${f(m.p50, 0)} / ${f(m.p99, 0)} / ${f(m.max, 0)} ms | — | p99 <= ${LAG_LIMIT_MS} ms | ${mark(m.p99 <= LAG_LIMIT_MS)} |
| skipped ticks (all rounds) | ${m.skipped} | — | 0 | |
| CPU-seconds per 1,000 checks | ${f(m.cpu, 3)} | ${f(m.theirsCpu, 3)} | ours <= 0.25x theirs | ${r.exporterAvailable ? `${f(m.ratio, 2)}x: ${mark(m.ratio <= 0.25)}` : "n/a"} |
| peak RSS (VmHWM, highest round) | ${f(m.peak, 0)} MB | ${f(m.theirsHwm, 0)} MB | <= 100 MB | ${mark(m.peak <= 100)} |
| highest RSS sampled in the window (median) | ${f(m.steady, 0)} MB | — | | |

Memory of the round-1 runtime at the end of its window: V8 heap ${f(mb(heap.heapUsed), 0)} MB used of ${f(mb(heap.heapTotal), 0)} MB,
external (buffers) ${f(mb(heap.external), 1)} MB; resident by kind: ${Object.entries(res).map(([k, v]) => `${k} ${f(v, 1)} MB`).join(", ")}
("anonymous" is the V8 heap plus malloc: SQLite's page cache, undici's parser, V8's own tables; "node binary" is
the executable's code pages, shared with every node process, ${f(res["node binary"] ?? 0, 0)} MB of RSS before any monitor runs).

**RSS over time** (round 1, ${f(soak.seconds, 0)} s): ${f(early, 1)} MB averaged over the first third of the window,
${f(late, 1)} MB over the last third (${f(late - early, 1)} MB). The state folder grew from ${f(soak.stateMbStart, 1)} MB to
${f(soak.stateMbEnd, 1)} MB meanwhile: raw results are kept for \`retention.results\` (48 h by default) and
pruned in the background, so over a window this short the file grows with every result; SQLite's page cache is capped
at 512 KiB, so the file's size does not reach RSS.

## Saturation: one process, one core

The search starts at ${SATURATION_START} checks/s (${(SATURATION_START * 10).toLocaleString("en-US")} monitors every 10 s); a rate holds when p99 lag <= ${LAG_LIMIT_MS} ms,
no tick is skipped and at least 97 % of the demanded rate ran, over ${SATURATION_SECONDS} s after ${WARMUP} s of warm-up${SATURATION_SECONDS >= 60 ? " (a window that holds at least one minute's wave of rollup writes: every monitor's minute closes within 10 s after the minute's end)" : ""}.

| demanded checks/s | ran | lag p50 / p99 / max | skipped | CPU share of the core | CPU-s per 1,000 | peak RSS | |
|---|---|---|---|---|---|---|---|
${probeRows}

Highest rate held: **${bestRate === null ? "none of the rates tried" : `${bestRate} checks/s (${(bestRate * 10).toLocaleString("en-US")} monitors every 10 s)`}**; target >= 5,000 checks/s: ${mark(bestRate !== null && bestRate >= 5000)}.

**Ceiling of the machine**: a bare undici request loop (one keep-alive Agent of 64 connections, 256 requests in
flight, nothing else per request) on the same core against the same target: ${r.ceilings.map((c) => f(c.requestsPerSecond, 0)).join(" and ")} requests/s
(before and after the search; ${f(ceilingCpu, 3)} CPU-s per 1,000 requests). The runtime's highest rate is ${bestRate === null ? "n/a" : `${f((100 * bestRate) / ceiling, 0)} %`} of it; per
check, the runtime spends ${f(m.cpu / ceilingCpu, 1)}x the CPU of a bare request (the rest is scheduling, evaluation and the SQLite commit).

## RSS against the monitor count

| monitors | checks/s | p99 lag | highest RSS sampled | peak RSS (VmHWM) | V8 heap used / total |
|---|---|---|---|---|---|
${growthRows}
${notes}`;
}

