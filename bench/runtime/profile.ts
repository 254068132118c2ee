/**
 * Profiles the runtime under the benchmark's load: N HTTP monitors every 10 s against the loopback
 * target, with node's --cpu-prof or --heap-prof when asked, printing where resident memory sits
 * (V8 heap, external, anonymous native, the node binary, files) every few seconds.
 *   node bench/run-ts.mjs bench/runtime/profile.ts
 * Env: WK_BENCH_MONITORS (10000), WK_BENCH_SECONDS (40), WK_PROFILE (cpu | heap | snapshot | none),
 * WK_PROFILE_DIR (where profiles go), WK_BENCH_NODE_OPTIONS, WK_BENCH_CPUS (e.g. "0"; the target
 * then runs on the other CPU).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleChild } from "../../test/runtime/support/child-process.js";
import { measure, sleep, startRuntime, startTarget, writeFleet } from "./fleet.js";
import { peakRssMb, residentBreakdownMb, rssMb } from "./proc-stats.js";
import { runtimeNodeOptions } from "./settings.js";

const MONITORS = Number(process.env.WK_BENCH_MONITORS ?? 10_000);
const SECONDS = Number(process.env.WK_BENCH_SECONDS ?? 40);
const PROFILE = process.env.WK_PROFILE ?? "none";
const PROFILE_DIR = process.env.WK_PROFILE_DIR ?? join(process.cwd(), "node_modules/.cache/watchkeeper-profiles");
const CPUS = process.env.WK_BENCH_CPUS ?? null;
const nodeOptions = [
  ...(process.env.WK_BENCH_NODE_OPTIONS ?? runtimeNodeOptions(MONITORS)).split(" ").filter(Boolean),
  ...(PROFILE === "cpu" ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : []),
  ...(PROFILE === "heap" ? ["--heap-prof", `--heap-prof-dir=${PROFILE_DIR}`] : []),
  ...(PROFILE === "snapshot" ? ["--heapsnapshot-signal=SIGHUP", `--diagnostic-dir=${PROFILE_DIR}`] : []),
];

const dir = await mkdtemp(join(tmpdir(), "wk-profile-"));
const target = await startTarget(CPUS === null ? null : CPUS === "0" ? "1" : "0");
let rt: Awaited<ReturnType<typeof startRuntime>> | null = null;
try {
  await writeFleet(join(dir, "artifact"), MONITORS, target.url);
  const script = await bundleChild("profile");
  rt = await startRuntime(script, { artifact: join(dir, "artifact"), state: join(dir, "state"), statsFile: join(dir, "stats.json"), cpus: CPUS, nodeOptions });
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  const every = 5;
  for (let t = 0; t < SECONDS; t += every) {
    const w = await measure(rt, every);
    const m = w.memory;
    const parts = Object.entries(residentBreakdownMb(rt.pid)).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
    process.stdout.write(
      `t=${t + every}s ${w.checksPerSecond.toFixed(0)}/s cpu/1000 ${w.cpuPer1000.toFixed(3)} lag p99 ${w.lagP99} ms skipped ${w.skipped} | ` +
        `rss ${rssMb(rt.pid).toFixed(1)} (hwm ${peakRssMb(rt.pid).toFixed(1)}) heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)} (buffers ${mb(m.arrayBuffers)}) | ${parts}\n`,
    );
  }
  if (PROFILE === "snapshot") {
    rt.child.proc.kill("SIGHUP");
    await sleep(15_000);
  }
  await rt.stop();
  await sleep(100);
  if (PROFILE !== "none") process.stdout.write(`profile written to ${PROFILE_DIR}\n`);
} finally {
  if (rt?.child.proc.exitCode === null) rt.child.proc.kill("SIGKILL");
  target.proc.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}
