import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRuntime, type Runtime } from "../../runtime/app.js";
import type { CheckRunner } from "../../runtime/evaluate/run-check.js";
import { createLogger } from "../../runtime/logger.js";
import { createSecretSource } from "../../runtime/secrets.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";
import { OwnRedis } from "../support/redis-server.js";

const PREFIX = "wk";

const failing: CheckRunner = async () => ({
  kind: "results",
  results: [{ ok: false, value: 503, message: "HTTP 503 from /health", labels: {}, details: {}, durationMs: 1 }],
});

/**
 * Someone edits an alert's key by hand (or another tool writes garbage there). The replica must
 * say so once, naming the key, treat that alert's state as lost, and keep checking the monitor
 * (an alert still failing fires again under its dedup key, with a new intent id); other monitors
 * are not affected.
 */
describe("a garbage alert-state key in Redis", () => {
  const redis = new OwnRedis();
  let runtime: Runtime;
  let raw: Redis;
  let dir = "";
  const notices: string[] = [];
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    await redis.start();
    dir = await mkdtemp(join(tmpdir(), "wk-garbage-"));
    raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const store = new RedisStore(new Redis(redis.url, { maxRetriesPerRequest: 1 }), {
      prefix: PREFIX,
      onNotice: (_level, message) => notices.push(message),
    });
    const sink = new Writable({
      write: (chunk: Buffer, _e, done) => {
        for (const line of chunk.toString().split("\n").filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    runtime = await createRuntime({
      manifest: testManifest({ monitors: ["api", "db"].map((id) => testMonitor(id, { schedule: { kind: "every", every: "1h" } })) }),
      bundle: {},
      stateDir: join(dir, "state"),
      openStore: async () => store,
      logger: createLogger({ secretValues: () => [], destination: sink }),
      secrets: createSecretSource({ declared: [], env: {}, now: () => Date.now() }),
      runCheck: failing,
      port: 0,
      host: "127.0.0.1",
      spreadMs: 0,
      drainTimeoutMs: 1_000,
    });
    await runtime.start();
  }, 30_000);

  afterAll(async () => {
    await runtime?.stop();
    raw?.disconnect();
    await redis.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The intent ids the outbox holds for a dedup key. */
  async function intentIds(dedupKey: string): Promise<string[]> {
    return Object.keys(await raw.hgetall(`${PREFIX}:outbox:ids`)).filter((id) => id.startsWith(`${dedupKey}:`)).sort();
  }

  const plants: Array<[string, (key: string) => Promise<unknown>]> = [
    ["a string where a hash belongs", (key) => raw.del(key).then(() => raw.set(key, "garbage"))],
    ["alert data that is not JSON", (key) => raw.hset(key, "d", "{not json")],
    ["alert data missing its fields", (key) => raw.hset(key, "d", JSON.stringify({ state: "firing" }))],
    ["a version that is not a number", (key) => raw.hset(key, "v", "abc")],
    ["alert data that is JSON but not an object", (key) => raw.hset(key, "d", "42")],
    ["a version without alert data", (key) => raw.hdel(key, "d")],
  ];

  it("fires both monitors to start with", async () => {
    await runtime.tickNow("api");
    await runtime.tickNow("db");
    expect((await runtime.store.allAlerts()).map((a) => [a.monitorId, a.state])).toEqual([["api", "firing"], ["db", "firing"]]);
  });

  for (const [what, plant] of plants) {
    it(`${what}: logged once with the key, the monitor keeps being checked and fires again under its dedup key`, async () => {
      const [api] = await runtime.store.alertsOf("api");
      const key = `${PREFIX}:alert:${api!.dedupKey}`;
      const before = await intentIds(api!.dedupKey);
      const dbBefore = (await runtime.store.alertsOf("db"))[0]!;
      notices.length = 0;
      logs.length = 0;
      await plant(key);

      await runtime.tickNow("api");
      await runtime.tickNow("api");
      await runtime.tickNow("db");
      await runtime.tickNow("api");

      expect(logs.filter((l) => Number(l["level"]) >= 50).map((l) => l["msg"])).toEqual([]);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(key);
      const [after] = await runtime.store.alertsOf("api");
      expect(after).toMatchObject({ dedupKey: api!.dedupKey, state: "firing", monitorId: "api" });
      // The state was lost: the alert fired again with a new intent id (never one the outbox already holds).
      const ids = await intentIds(api!.dedupKey);
      expect(ids).toHaveLength(before.length + 1);
      expect((await runtime.store.alertsOf("db"))[0]).toMatchObject({ state: "firing", firedAt: dbBefore.firedAt });
      expect((await runtime.store.allAlerts()).map((a) => a.monitorId)).toEqual(["api", "db"]);
      expect(await runtime.store.alertStates()).toEqual({ firing: 2 });
    });
  }
});
