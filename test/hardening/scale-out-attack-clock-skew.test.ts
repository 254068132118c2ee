import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReplicaRegistry, type ReplicaInfo } from "../../runtime/scale-out/replica-registry.js";
import { OwnRedis } from "../support/redis-server.js";

const TEN_MINUTES = 10 * 60_000;

function info(id: string, manifest: string): ReplicaInfo {
  return { id, location: id, manifest, host: "host", pid: 1, startedAt: "2026-01-01T00:00:00.000Z" };
}

/**
 * One replica's clock is 10 minutes off (no NTP, a VM resumed from a snapshot). Liveness and
 * schedule ownership must not depend on it: its beats must not make the others look dead (or the
 * others make it look dead), and the owner of the schedules must not flip with each beat.
 */
describe("a replica whose clock is 10 minutes off", () => {
  const redis = new OwnRedis();
  let connection: Redis;

  beforeAll(async () => {
    await redis.start();
    connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    connection?.disconnect();
    await redis.stop();
  });

  for (const [name, offset] of [["ahead", TEN_MINUTES], ["behind", -TEN_MINUTES]] as const) {
    it(`${name}: every replica sees every other alive, and the newer manifest keeps the schedules`, async () => {
      const prefix = `skew-${name}`;
      const v1 = new ReplicaRegistry(connection, prefix, info("old", "sha256:v1"), 10_000);
      const v2 = new ReplicaRegistry(connection, prefix, info("new", "sha256:v2"), 10_000);
      const skewed = new ReplicaRegistry(connection, prefix, info("skewed", "sha256:v1"), 10_000);
      const owners: Array<string | null> = [];
      await v1.beat(Date.now());
      await new Promise((r) => setTimeout(r, 5));
      for (let round = 0; round < 3; round++) {
        owners.push((await v2.beat(Date.now())).owner);
        owners.push((await skewed.beat(Date.now() + offset)).owner);
        owners.push((await v1.beat(Date.now())).owner);
      }
      expect(new Set(owners)).toEqual(new Set(["sha256:v2"]));
      for (const [registry, now] of [[v1, Date.now()], [v2, Date.now()], [skewed, Date.now() + offset]] as const) {
        expect((await registry.replicas(now)).map((r) => r.id)).toEqual(["new", "old", "skewed"]);
        expect(await registry.unserved(["old", "new", "skewed"], now)).toEqual([]);
        expect(await registry.manifestAlive("sha256:v2", now)).toBe(true);
      }
    });
  }
});
