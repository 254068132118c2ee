/**
 * Profiles the runtime under the benchmark's load: N HTTP monitors every 10 s against the loopback
 * target, with node's --cpu-prof or --heap-prof when asked, printing where resident memory sits
 * (V8 heap, external, anonymous native, the node binary, files) every few seconds.
 *   node bench/run-ts.mjs bench/runtime/profile.ts
 * Env: WK_BENCH_MONITORS (10000), WK_BENCH_SECONDS (40), WK_PROFILE (cpu | heap | snapshot | gc | none;
 * gc sums V8's --trace-gc lines by kind over the whole run; WK_PROFILE_GC_FILE keeps the lines themselves,
 * and WK_BENCH_NODE_OPTIONS with --trace-gc-nvp makes them one line of fields per collection),
 * WK_PROFILE_DIR (where profiles go), WK_BENCH_NODE_OPTIONS, WK_BENCH_CPUS (e.g. "0"; the target
 * then runs on the other CPU), WK_PROFILE_EVERY (seconds between lines, default 5; fractions allowed),
 * WK_BENCH_STATE (a state folder to run on, such as one `npm run bench:week` kept; left in place),
 * WK_CHILD_ALLOC_PROFILE (a file: every allocation sampled from READY to the end, for
 * bench/runtime/alloc-report.mjs; with WK_CHILD_ALLOC_SURVIVORS=1 only what survived a scavenge, and
 * then, unless WK_BENCH_NODE_OPTIONS says otherwise, a heap that seldom runs a mark-compact: each one
 * would add the young generation's garbage to the profile), WK_BENCH_CONCURRENCY (ticks in flight,
 * default the runtime's 256), WK_PROFILE_SNAPSHOTS (with WK_PROFILE=snapshot: how many snapshots,
 * WK_PROFILE_SNAPSHOT_GAP seconds apart, default 1 and 10; compare two with
 * bench/runtime/snapshot-diff.mjs).
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleChild } from "../../test/runtime/support/child-process.js";
import { measure, sleep, startRuntime, startTarget, writeFleet } from "./fleet.js";
import { cpuSplitSeconds, peakRssMb, residentBreakdownMb, rssMb } from "./proc-stats.js";
import { runtimeNodeOptions } from "./settings.js";

const MONITORS = Number(process.env.WK_BENCH_MONITORS ?? 10_000);
const SECONDS = Number(process.env.WK_BENCH_SECONDS ?? 40);
const PROFILE = process.env.WK_PROFILE ?? "none";
const GC_FILE = process.env.WK_PROFILE_GC_FILE ?? null;
const PROFILE_DIR = process.env.WK_PROFILE_DIR ?? join(process.cwd(), "node_modules/.cache/watchkeeper-profiles");
const CPUS = process.env.WK_BENCH_CPUS ?? null;
const EVERY = Number(process.env.WK_PROFILE_EVERY ?? 5);
const STATE = process.env.WK_BENCH_STATE ?? null;
const SNAPSHOTS = Number(process.env.WK_PROFILE_SNAPSHOTS ?? 1);
const SNAPSHOT_GAP = Number(process.env.WK_PROFILE_SNAPSHOT_GAP ?? 10);
const SURVIVORS = Boolean(process.env.WK_CHILD_ALLOC_PROFILE) && process.env.WK_CHILD_ALLOC_SURVIVORS === "1";
// Old generation allowed to grow to five times what a mark-compact left: about one mark-compact a
// minute at 10,000 monitors, against one every 1.4 s with the runtime's settings.
const SURVIVOR_OPTIONS = "--max-old-space-size=1024 --max-semi-space-size=4 --heap-growing-percent=400";
const CONCURRENCY = process.env.WK_BENCH_CONCURRENCY === undefined ? undefined : Number(process.env.WK_BENCH_CONCURRENCY);
if (CONCURRENCY !== undefined && !(Number.isInteger(CONCURRENCY) && CONCURRENCY >= 1)) {
  throw new Error(`WK_BENCH_CONCURRENCY must be a whole number of ticks in flight, 1 or more; got "${process.env.WK_BENCH_CONCURRENCY}"`);
}
const nodeOptions = [
  ...(process.env.WK_BENCH_NODE_OPTIONS ?? (SURVIVORS ? SURVIVOR_OPTIONS : runtimeNodeOptions(MONITORS))).split(" ").filter(Boolean),
  ...(PROFILE === "cpu" ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
  ...(PROFILE === "heap" ? ["--heap-prof", `--heap-prof-dir=${PROFILE_DIR}`] : []),
  ...(PROFILE === "snapshot" ? ["--heapsnapshot-signal=SIGHUP", `--diagnostic-dir=${PROFILE_DIR}`] : []),
  ...(PROFILE === "gc" ? ["--trace-gc"] : []),
];

// node writes snapshots only into a folder that exists (--diagnostic-dir).
if (PROFILE !== "none") await mkdir(PROFILE_DIR, { recursive: true });
const dir = await mkdtemp(join(tmpdir(), "wk-profile-"));
const target = await startTarget(CPUS === null ? null : CPUS === "0" ? "1" : "0");
let rt: Awaited<ReturnType<typeof startRuntime>> | null = null;
try {
  await writeFleet(join(dir, "artifact"), MONITORS, target.url);
  const script = await bundleChild("profile");
  rt = await startRuntime(script, { artifact: join(dir, "artifact"), state: STATE ?? join(dir, "state"), statsFile: join(dir, "stats.json"), cpus: CPUS, nodeOptions, concurrency: CONCURRENCY });
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const started = Date.now();
  while (Date.now() - started < SECONDS * 1000) {
    const cpuBefore = cpuSplitSeconds(rt.pid);
    const w = await measure(rt, EVERY);
    const cpuAfter = cpuSplitSeconds(rt.pid);
    const systemShare = (cpuAfter.system - cpuBefore.system) / (cpuAfter.system + cpuAfter.user - cpuBefore.system - cpuBefore.user || 1);
    const m = w.memory;
    const parts = Object.entries(residentBreakdownMb(rt.pid)).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
    process.stdout.write(
      `t=${((Date.now() - started) / 1000).toFixed(1)}s ${w.checksPerSecond.toFixed(0)}/s cpu/1000 ${w.cpuPer1000.toFixed(3)} (system ${(100 * systemShare).toFixed(0)} %) lag p99 ${w.lagP99} ms skipped ${w.skipped} | ` +
        `rss ${rssMb(rt.pid).toFixed(1)} (hwm ${peakRssMb(rt.pid).toFixed(1)}) heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)} (buffers ${mb(m.arrayBuffers)}) | ${parts}\n`,
    );
  }
  // The runtime child's own memory trace (WK_CHILD_MEMORY_STEPS=1), start-up steps first.
  for (const line of rt.child.stderr().split("\n")) if (line.startsWith("STEP ")) process.stdout.write(`${line}\n`);
  if (PROFILE === "snapshot") {
    for (let i = 0; i < SNAPSHOTS; i++) {
      if (i > 0) await sleep(SNAPSHOT_GAP * 1000);
      const before = await snapshotsIn(PROFILE_DIR);
      rt.child.proc.kill("SIGHUP");
      // Writing a snapshot of this heap takes a few seconds, the runtime held meanwhile: the next
      // signal (or the stop) waits until the file has stopped growing.
      await snapshotWritten(PROFILE_DIR, before);
    }
  }
  await rt.stop();
  await sleep(100);
  if (PROFILE === "gc" && GC_FILE) await writeFile(GC_FILE, rt.child.stdout());
  if (PROFILE === "gc") process.stdout.write(gcSummary(rt.child.stdout(), (Date.now() - started) / 1000));
  if (PROFILE !== "none") process.stdout.write(`profile written to ${PROFILE_DIR}\n`);
} finally {
  if (rt?.child.proc.exitCode === null) rt.child.proc.kill("SIGKILL");
  target.proc.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}

/** `--trace-gc` lines (`[pid:addr] 1234 ms: Scavenge 40.1 (45.2) -> 38.0 (46.1) MB, 1.23 / 0.00 ms ...`) summed by kind. */
function gcSummary(out: string, seconds: number): string {
  const kinds = new Map<string, { count: number; ms: number }>();
  for (const m of out.matchAll(/ms: ([A-Za-z-]+(?: \(reduce\))?) [^,]*, ([\d.]+) \/ ([\d.]+) ms/g)) {
    const k = kinds.get(m[1]!) ?? kinds.set(m[1]!, { count: 0, ms: 0 }).get(m[1]!)!;
    k.count++;
    k.ms += Number(m[2]);
  }
  const lines = [...kinds].map(([kind, k]) => `${kind}: ${k.count} (${(k.count / seconds).toFixed(2)}/s), ${k.ms.toFixed(0)} ms on the main thread (${((k.ms / seconds / 10)).toFixed(1)} % of it)`);
  return `GC over the whole run (start-up included):\n${lines.join("\n")}\n`;
}

async function snapshotsIn(folder: string): Promise<string[]> {
  return (await readdir(folder)).filter((f) => f.endsWith(".heapsnapshot"));
}

async function snapshotWritten(folder: string, before: string[], timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  let last = -1;
  while (Date.now() - started < timeoutMs) {
    await sleep(250);
    const added = (await snapshotsIn(folder)).filter((f) => !before.includes(f));
    if (added.length === 0) continue;
    const size = (await stat(join(folder, added[0]!))).size;
    if (size > 0 && size === last) return;
    last = size;
  }
  throw new Error(`no heap snapshot finished in ${folder} within ${timeoutMs / 1000} s`);
}
