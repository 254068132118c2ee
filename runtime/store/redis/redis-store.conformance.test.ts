import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { describeStoreConformance } from "../conformance.js";
import type { Store } from "../port.js";
import { RedisStore } from "./redis-store.js";

// Compile-time check that the adapter implements the whole port.
const _implementsPort: (redis: Redis) => Store = (redis) => new RedisStore(redis);
void _implementsPort;

const URL = process.env["WK_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0";

async function reachable(): Promise<boolean> {
  const probe = new Redis(URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Deletes every key under the prefix (SCAN + DEL), so tests sharing one Redis never see each other. */
async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

const up = await reachable();

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
