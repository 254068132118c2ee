import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResultRow } from "../../runtime/evaluate/evaluation-store.js";
import { RedisRateGate } from "../../runtime/store/redis/rate-gate.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import type { RetentionMs } from "../../runtime/store/retention.js";
import { OwnRedis } from "../support/redis-server.js";

const HOUR = 3_600_000;

function row(monitorId: string, at: number): ResultRow {
  return { monitorId, at, ok: true, value: null, message: "ok", labels: {}, durationMs: 1, error: null, firing: false } as unknown as ResultRow;
}

/**
 * Names users choose (monitor ids, channel ids) become parts of Redis keys. A monitor or channel
 * whose id equals one of the adapter's own key names must not read, overwrite or delete that key.
 */
describe("user-chosen ids that match the adapter's own key names", () => {
  const redis = new OwnRedis();
  let store: RedisStore;
  let raw: Redis;

  beforeAll(async () => {
    await redis.start();
    raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    store = new RedisStore(new Redis(redis.url, { maxRetriesPerRequest: 1 }), { prefix: "wk" });
  });

  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
    await redis.stop();
  });

  it("pruning a removed monitor named `latest`, `monitors` or `erroring` keeps every other monitor's latest result and index", async () => {
    const T = 100 * HOUR;
    for (const id of ["latest", "monitors", "erroring"]) {
      await store.recordEvaluation({ monitorId: id, alerts: [], readVersions: {}, results: [row(id, T)], intents: [], at: T });
    }
    await store.recordEvaluation({ monitorId: "api", alerts: [], readVersions: {}, results: [row("api", T + 2 * HOUR)], intents: [], at: T + 2 * HOUR });
    const retention = { notifications: HOUR, silences: HOUR, inbound: HOUR, resolvedAlerts: HOUR, results: HOUR, minuteRollups: HOUR, rollups: HOUR } as RetentionMs;
    await store.prune(T + 2 * HOUR + 1, retention, 1_000);
    expect([...(await store.latestResults()).keys()]).toEqual(["api"]);
    expect(await raw.zrange("wk:results:monitors", 0, -1)).toEqual(["api"]);
  });

  it("a channel whose id is `seq` is rate-limited like any other, and other channels keep working", async () => {
    const gate = new RedisRateGate(store.redis, { prefix: "wk" });
    const now = Date.now();
    expect(await gate.take("seq", 2, now)).toEqual({ ok: true });
    expect(await gate.take("ops", 2, now)).toEqual({ ok: true });
    expect(await gate.take("seq", 2, now + 1)).toEqual({ ok: true });
    expect((await gate.take("seq", 2, now + 2)).ok).toBe(false);
    expect(await gate.take("ops", 2, now + 3)).toEqual({ ok: true });
  });
});
