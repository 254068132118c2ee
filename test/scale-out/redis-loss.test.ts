import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleChild, startChild, waitFor, type RunningChild } from "../runtime/support/child-process.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";
import { OwnRedis } from "../support/redis-server.js";
import { hitBundle, redisAnswers, scriptCheck, testPrefix, TickTarget } from "./support.js";

const available = await redisAnswers();

/**
 * Redis restarted without persistence (or flushed by hand): every key is gone, the BullMQ job
 * schedulers with them. The replicas must notice, say so loudly, and schedule the checks again.
 */
describe.skipIf(!available)("scale-out after Redis lost its data", () => {
  let dir: string;
  let script: string;
  const target = new TickTarget();
  const children: RunningChild[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-scaleout-loss-"));
    script = await bundleChild("scaleout-loss");
    await target.start();
    await writeArtifact(
      join(dir, "artifact"),
      manifestOf(["alpha", "bravo"].map((id) => monitorSpec({ id, schedule: { kind: "every", every: "1s" }, ...scriptCheck }))),
      hitBundle(["alpha", "bravo"], target.port),
    );
  });

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
    await target.stop();
    await rm(dir, { recursive: true, force: true });
    if (script) await rm(script, { force: true });
  });

  it("schedules every monitor again and logs an error when Redis comes back empty", async () => {
    const own = new OwnRedis(["--appendonly", "no", "--save", ""]);
    await own.start();
    const prefix = testPrefix();
    try {
      const replicas = await Promise.all(["a", "b"].map(async (name) => {
        const child = await startChild(script, {
          WK_CHILD_ARTIFACT: join(dir, "artifact"),
          WK_CHILD_STATE: join(dir, `state-${name}`),
          WK_CHILD_REDIS: own.url,
          WK_CHILD_REDIS_PREFIX: prefix,
          WK_CHILD_STALL_MS: "1000",
          WK_CHILD_SPREAD_MS: "0",
          WK_CHILD_DELIVERY: "hold",
          WK_LOG_LEVEL: "warn",
        });
        children.push(child);
        return child;
      }));
      await waitFor(() => (target.hits.get("alpha")?.size ?? 0) >= 2, 15_000, "ticks before the loss");

      await own.kill();
      await own.start();
      const upAt = Date.now();
      for (const child of replicas) await waitFor(async () => (await fetch(`${child.url}/readyz`)).status === 200, 20_000, "ready again");
      for (const id of ["alpha", "bravo"]) {
        await waitFor(() => [...(target.hits.get(id)?.keys() ?? [])].filter((t) => t > upAt).length >= 3, 20_000, `ticks of ${id} after Redis came back empty`).catch((error: unknown) => {
          throw new Error(`${String(error)}\n${replicas.map((c) => c.stdout().slice(-2000) + c.stderr().slice(-2000)).join("\n")}`);
        });
      }
      const said = replicas.map((c) => c.stdout() + c.stderr()).join("\n");
      expect(said).toMatch(/Redis lost its data/);
      for (const child of replicas) {
        child.proc.kill("SIGTERM");
        expect(await child.exited).toBe(0);
      }
    } finally {
      await own.kill();
      await own.stop();
    }
  }, 90_000);
});
