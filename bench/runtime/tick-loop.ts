/**
 * CPU per tick of the runtime's hot path alone (check, evaluation, commit), without the scheduler
 * and without waiting for the clock: 10,000 HTTP monitors ticked back to back, IN_FLIGHT at a time,
 * against the loopback target. On a machine shared with other work, CPU time per tick is steadier
 * than any rate, so this is how changes to the hot path were compared.
 *   node bench/run-ts.mjs bench/runtime/tick-loop.ts   (env: WK_BENCH_MONITORS, WK_TICKS, WK_IN_FLIGHT,
 *   WK_BENCH_STATE: a state folder to tick on, such as one `npm run bench:week` kept; left in place)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadArtifact } from "../../runtime/artifact.js";
import { createRuntime } from "../../runtime/app.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { startTarget, writeFleet } from "./fleet.js";

const MONITORS = Number(process.env.WK_BENCH_MONITORS ?? 10_000);
const TICKS = Number(process.env.WK_TICKS ?? 40_000);
const IN_FLIGHT = Number(process.env.WK_IN_FLIGHT ?? 64);

const dir = await mkdtemp(join(tmpdir(), "wk-tick-loop-"));
const target = await startTarget(process.env.WK_BENCH_CPUS === undefined ? null : "1");
try {
  await writeFleet(join(dir, "artifact"), MONITORS, target.url);
  const artifact = await loadArtifact(join(dir, "artifact"));
  const runtime = await createRuntime({
    manifest: artifact.manifest,
    bundle: artifact.bundle,
    stateDir: process.env.WK_BENCH_STATE ?? join(dir, "state"),
    logger: createLogger({ level: "warn", secretValues: () => [] }),
    secrets: createSecretSource({ declared: [], env: {}, dir: null, now: Date.now }),
    port: 0,
    host: "127.0.0.1",
  });
  let next = 0;
  const ids = artifact.manifest.monitors.map((m) => m.id);
  const run = async (count: number) => {
    const end = next + count;
    const worker = async () => {
      while (next < end) await runtime.tickNow(ids[next++ % ids.length]!);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  };
  await run(TICKS / 2);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run(TICKS);
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  process.stdout.write(
    JSON.stringify({ ticks: TICKS, cpuUsPerTick: (c.user + c.system) / TICKS, systemUsPerTick: c.system / TICKS, ticksPerSecond: TICKS / wall, heapMb: process.memoryUsage().heapUsed / 2 ** 20 }) + "\n",
  );
  await runtime.stop();
} finally {
  target.proc.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}
