import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import { createLogger } from "../../runtime/logger.js";
import { openScaleOut } from "../../runtime/scale-out/index.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";
import { waitUntil } from "../support/process.js";
import { OwnRedis } from "../support/redis-server.js";

/** A Redis that stops answering for a while (DEBUG SLEEP: a slow command, a fork on a big dataset). */
describe("a Redis that stalls", () => {
  let redis: OwnRedis | null = null;
  let runtime: Runtime | null = null;
  let dir = "";

  afterEach(async () => {
    await runtime?.stop();
    runtime = null;
    await redis?.stop();
    redis = null;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("/readyz answers 503 within a few seconds while Redis does not answer, and 200 once it does; checks resume", async () => {
    redis = new OwnRedis(["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--enable-debug-command", "yes"]);
    await redis.start();
    dir = await mkdtemp(join(tmpdir(), "wk-slow-"));
    const manifest = testManifest({ monitors: [testMonitor("api", { schedule: { kind: "every", every: "1s" } })] });
    const scaleOut = await openScaleOut(manifest, { url: redis.url, prefix: "wk", location: "local" });
    const ticks: number[] = [];
    runtime = await createRuntime({
      manifest,
      bundle: {},
      stateDir: join(dir, "state"),
      ...scaleOut,
      logger: createLogger({ secretValues: () => [], destination: new Writable({ write: (_c, _e, done) => done() }) }),
      secrets: createSecretSource({ declared: [], env: {}, now: () => Date.now() }),
      runCheck: async () => {
        ticks.push(Date.now());
        return { kind: "results", results: [{ ok: true, value: null, message: "ok", labels: {}, details: {}, durationMs: 1 }] };
      },
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
      drainTimeoutMs: 1_000,
    });
    const base = await runtime.start();
    await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, "ready", 10_000);
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const sleeping = admin.call("DEBUG", "SLEEP", "10");
      await new Promise((r) => setTimeout(r, 200));
      const asked = Date.now();
      const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(9_000) });
      const body = (await res.json()) as Record<string, unknown>;
      // The scheduler's 2 s, and at most the store's 5 s command timeout for the page's other reads.
      expect(Date.now() - asked).toBeLessThan(8_000);
      expect(res.status).toBe(503);
      expect(String(body["reason"])).toMatch(/did not answer/);
      await sleeping;
      await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, "ready after the stall", 15_000);
      const after = ticks.length;
      await waitUntil(async () => ticks.length >= after + 2, "checks after the stall", 10_000);
    } finally {
      admin.disconnect();
    }
  }, 60_000);
});
