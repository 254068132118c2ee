/**
 * Whether the runtime benchmark's child measures what ships: the same artifact of N HTTP monitors
 * (default 10,000) every 10 s, run for S seconds (default 60) by the benchmark's runtime child
 * (test/runtime/support/runtime-child.ts, bundled by the tests' helper) and then by `wk run` itself
 * (bin/watchkeeper.js, the CLI's start-up bundle), each pinned to CPU 0 with the runtime's node
 * options, the target on CPU 1; two rounds. Prints RSS, peak RSS and the resident breakdown every 5 s.
 *   N=10000 S=60 node bench/run-ts.mjs bench/runtime/beside-wk-run.ts
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleChild } from "../../test/runtime/support/child-process.js";
import { pinned, sleep, startRuntime, startTarget, writeFleet } from "./fleet.js";
import { peakRssMb, residentBreakdownMb, rssMb } from "./proc-stats.js";
import { runtimeNodeOptions, RUNTIME_ENV } from "./settings.js";

const MONITORS = Number(process.env.N ?? 10000), SECONDS = Number(process.env.S ?? 60);
const dir = await mkdtemp(join(tmpdir(), "wk-beside-run-"));
const target = await startTarget("1");
await writeFleet(join(dir, "artifact"), MONITORS, target.url);
const nodeOptions = runtimeNodeOptions(MONITORS).split(" ");
const watch = async (label: string, pid: number) => {
  const start = Date.now();
  while (Date.now() - start < SECONDS * 1000) {
    await sleep(5000);
    const parts = Object.entries(residentBreakdownMb(pid)).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
    console.log(`${label} t=${((Date.now() - start) / 1000).toFixed(0)} rss ${rssMb(pid).toFixed(1)} hwm ${peakRssMb(pid).toFixed(1)} ${parts}`);
  }
};
for (const round of [1, 2]) {
  // The benchmark's runtime child.
  const script = await bundleChild("beside-wk-run");
  const rt = await startRuntime(script, { artifact: join(dir, "artifact"), state: join(dir, `state-child-${round}`), statsFile: join(dir, "stats.json"), cpus: "0", nodeOptions });
  await watch(`child#${round}`, rt.pid);
  await rt.stop();
  // `wk run`, as a user starts it.
  const [cmd, args] = pinned("0", process.execPath, [...nodeOptions, "bin/watchkeeper.js", "run", "--artifact", join(dir, "artifact"), "--state", join(dir, `state-run-${round}`), "--port", "0"]);
  const proc = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...RUNTIME_ENV, WK_LOG_FORMAT: "json", WK_LOG_LEVEL: "warn" } });
  await sleep(2000);
  const pid = proc.pid!;
  await watch(`wk-run#${round}`, pid);
  proc.kill("SIGTERM");
  await new Promise((r) => proc.once("exit", r));
}
target.proc.kill();
await rm(dir, { recursive: true, force: true });
