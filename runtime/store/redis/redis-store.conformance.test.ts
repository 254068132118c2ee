import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { describe, expect, it, vi } from "vitest";
import { describeStoreConformance } from "../conformance.js";
import type { Store } from "../port.js";
import { RedisStore } from "./redis-store.js";
import { newAlert } from "../../alerts/state.js";
import { redisAnswers, TEST_REDIS_URL } from "../../../test/scale-out/support.js";

// Compile-time check that the adapter implements the whole port.
const _implementsPort: (redis: Redis) => Store = (redis) => new RedisStore(redis);
void _implementsPort;

const URL = TEST_REDIS_URL;


/** Deletes every key under the prefix (SCAN + DEL), so tests sharing one Redis never see each other. */
async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

const up = await redisAnswers();

describeStoreConformance(
  "Redis",
  async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const store = await RedisStore.connect(URL, { prefix, webhookReplayWindowMs: 0 });
    return {
      store,
      async cleanup() {
        await dropPrefix(store.redis, prefix);
        await store.close();
      },
    };
  },
  { skip: up ? false : `no Redis answers at ${URL}` },
);

describe.skipIf(!up)("RedisStore across replicas", () => {
  it("a page on replica A hears of a transition replica B commits", async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const a = await RedisStore.connect(URL, { prefix });
    const b = await RedisStore.connect(URL, { prefix });
    const other = await RedisStore.connect(URL, { prefix: `${prefix}-other` });
    try {
      const heard: Array<string[] | null> = [];
      const stop = await a.watchChanges((m) => heard.push(m));
      const alert = { ...newAlert("api", {}, "wk-api", 1000), state: "firing" as const, firedAt: 1000 };
      await other.commitAlerts({ alerts: [alert], readVersions: {}, intents: [], at: 1000 });
      await b.commitAlerts({ alerts: [alert], readVersions: {}, intents: [], at: 1000 });
      await vi.waitFor(() => expect(heard).toEqual([["api"]]), { timeout: 10_000 });
      await b.addSilence({ comment: "c", createdBy: "ada", startsAt: 0, endsAt: 5000, matchers: { monitors: ["api"], services: [], labels: {} } }, 1000);
      await vi.waitFor(() => expect(heard).toEqual([["api"], null]), { timeout: 10_000 });
      stop();
    } finally {
      await dropPrefix(a.redis, prefix);
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });
});
