import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import type { CheckRunner } from "../../runtime/evaluate/run-check.js";
import { createLogger } from "../../runtime/logger.js";
import { openScaleOut } from "../../runtime/scale-out/index.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";
import { waitUntil } from "../support/process.js";
import { OwnRedis } from "../support/redis-server.js";

const PREFIX = "wk";

/** One replica in this process over its own Redis, its checks counted. */
const TOKEN = "oom-api-token-0123456789";

async function replica(url: string, dir: string, logs: Array<Record<string, unknown>>, runCheck: CheckRunner): Promise<Runtime> {
  const manifest = testManifest({ monitors: ["api", "db"].map((id) => testMonitor(id, { schedule: { kind: "every", every: "1s" } })) });
  const scaleOut = await openScaleOut(manifest, { url, prefix: PREFIX, location: "local" });
  const sink = new Writable({
    write: (chunk: Buffer, _e, done) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const runtime = await createRuntime({
    manifest,
    bundle: {},
    stateDir: join(dir, "state"),
    ...scaleOut,
    logger: createLogger({ secretValues: () => [], destination: sink }),
    secrets: createSecretSource({ declared: [], env: { WATCHKEEPER_API_TOKEN: TOKEN }, now: () => Date.now() }),
    runCheck,
    port: 0,
    host: "127.0.0.1",
    spreadMs: 0,
    drainTimeoutMs: 1_000,
  });
  return runtime;
}

/** /readyz as the team reads it (the token): the reasons in full. */
async function readyz(base: string, token: string | null = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/readyz`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("Redis out of memory", () => {
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

  it("with noeviction, /readyz says Redis is full (not unreachable) while writes are refused, and ready again once it has room", async () => {
    redis = new OwnRedis();
    await redis.start();
    dir = await mkdtemp(join(tmpdir(), "wk-oom-"));
    const logs: Array<Record<string, unknown>> = [];
    let failing = false;
    const runCheck: CheckRunner = async () => ({ kind: "results", results: [{ ok: !failing, value: null, message: failing ? "down" : "ok", labels: {}, details: {}, durationMs: 1 }] });
    runtime = await replica(redis.url, dir, logs, runCheck);
    const base = await runtime.start();
    await waitUntil(async () => (await readyz(base)).status === 200, "ready", 10_000);
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const used = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))![1]);
      // Well below what is in use, so a dip in Redis's own usage cannot give it room again mid-test.
      await admin.config("SET", "maxmemory", String(Math.floor(used / 2)));
      failing = true;
      await waitUntil(async () => (await readyz(base)).status === 503, "not ready while Redis is full", 20_000);
      // Past the heartbeat's 10 s TTL: the beats fail too, and the reason must still say why.
      await new Promise((r) => setTimeout(r, 11_000));
      const full = await readyz(base);
      expect(full.status).toBe(503);
      expect(full.body["redis"]).not.toBe("unreachable");
      expect(String(full.body["reason"])).toMatch(/maxmemory/);
      expect(String(full.body["reason"])).not.toMatch(/unreachable/);
      // Anyone's probe learns what is wrong, not where Redis is or what it said.
      const seen = await readyz(base, null);
      expect(seen.status).toBe(503);
      expect(seen.body["reason"]).toBe("Redis refuses writes");
      expect(JSON.stringify(seen.body)).not.toContain(redis.url.replace(/^redis:\/\//, ""));
      expect(JSON.stringify(seen.body)).not.toContain("127.0.0.1");
      expect(seen.body["replica"]).toBeUndefined();

      await admin.config("SET", "maxmemory", "0");
      await waitUntil(async () => (await readyz(base)).status === 200, "ready again once Redis has room", 20_000);
      // Ticks resumed: the failing check now fires its alerts.
      await waitUntil(async () => (await runtime!.store.allAlerts()).filter((a) => a.state === "firing").length === 2, "alerts firing after Redis has room", 20_000);
    } finally {
      admin.disconnect();
    }
  }, 90_000);

  it("with an evicting maxmemory-policy, the replica warns at start and /readyz lists the warning", async () => {
    redis = new OwnRedis(["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--maxmemory-policy", "allkeys-lru"]);
    await redis.start();
    dir = await mkdtemp(join(tmpdir(), "wk-lru-"));
    const logs: Array<Record<string, unknown>> = [];
    const ok: CheckRunner = async () => ({ kind: "results", results: [{ ok: true, value: null, message: "ok", labels: {}, details: {}, durationMs: 1 }] });
    runtime = await replica(redis.url, dir, logs, ok);
    const base = await runtime.start();
    expect(logs.filter((l) => Number(l["level"]) === 40).map((l) => String(l["msg"])).join("\n")).toMatch(/maxmemory-policy is allkeys-lru: .*set maxmemory-policy noeviction/);
    const ready = await readyz(base);
    expect(ready.status).toBe(200);
    expect(ready.body["redisWarnings"]).toEqual([expect.stringMatching(/^maxmemory-policy is allkeys-lru/)]);
    // Redis's settings are for the team.
    expect((await readyz(base, null)).body["redisWarnings"]).toBeUndefined();
  }, 30_000);
});
