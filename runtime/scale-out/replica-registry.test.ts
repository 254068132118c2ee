import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropPrefix, redisAnswers, TEST_REDIS_URL, testPrefix } from "../../test/scale-out/support.js";
import { ReplicaRegistry, type ReplicaInfo } from "./replica-registry.js";

const available = await redisAnswers();

function info(id: string, manifest = "sha256:one"): ReplicaInfo {
  return { id, location: "local", manifest, host: "host", pid: 1, startedAt: "2026-01-01T00:00:00.000Z" };
}

describe.skipIf(!available)("replica registry against keys edited by hand", () => {
  let redis: Redis;
  const prefixes: string[] = [];

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    for (const p of prefixes) await dropPrefix(TEST_REDIS_URL, p);
    redis.disconnect();
  });

  it("lists the live replicas when another registration holds garbage", async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const now = Date.now();
    const registry = new ReplicaRegistry(redis, prefix, info("a"), 10_000);
    await registry.beat(now);
    await redis.set(`${prefix}:replica:evil`, "{not json");
    await redis.set(`${prefix}:replica:null`, "null");
    await redis.zadd(`${prefix}:replicas`, now + 10_000, "evil", now + 10_000, "null");
    expect((await registry.replicas(now)).map((r) => r.id)).toEqual(["a"]);
  });

  it("keeps beating and picking the owner when a first-seen time is not a number", async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const now = Date.now();
    const older = new ReplicaRegistry(redis, prefix, info("a", "sha256:one"), 10_000);
    await older.beat(now);
    await redis.hset(`${prefix}:manifest:seen`, "sha256:one", "banana");
    const newer = new ReplicaRegistry(redis, prefix, info("b", "sha256:two"), 10_000);
    expect((await newer.beat(now + 1)).owner).toBe("sha256:two");
    expect((await older.beat(now + 2)).owner).toBe("sha256:two");
  });

  it("tells a replica that missed the beats of another manifest's ownership that its own took the schedules anew", async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const older = new ReplicaRegistry(redis, prefix, info("a", "sha256:one"), 10_000);
    const first = await older.beat(Date.now());
    const newer = new ReplicaRegistry(redis, prefix, info("b", "sha256:two"), 10_000);
    expect((await newer.beat(Date.now())).owner).toBe("sha256:two");
    await newer.leave();
    await new Promise((r) => setTimeout(r, 5));
    // `older` never beat while `two` owned the schedules: the owner is its own again, since later.
    const again = await older.beat(Date.now());
    expect(again.owner).toBe("sha256:one");
    expect(Number(again.ownerSince)).toBeGreaterThan(Number(first.ownerSince));
  });

  it("answers the same epoch until Redis loses its data", async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const registry = new ReplicaRegistry(redis, prefix, info("a"), 10_000);
    const first = (await registry.beat(Date.now())).epoch;
    expect((await registry.beat(Date.now())).epoch).toBe(first);
    await dropPrefix(TEST_REDIS_URL, prefix);
    expect((await registry.beat(Date.now())).epoch).not.toBe(first);
  });
});
