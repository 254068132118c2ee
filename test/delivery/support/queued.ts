import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import type { NotificationIntent } from "../../../runtime/alerts/intent.js";
import type { DeliveryService } from "../../../runtime/notify/contract.js";
import { createQueuedDelivery, type QueuedDeliveryOptions } from "../../../runtime/notify/queued-delivery.js";
import type { RateGate } from "../../../runtime/notify/rate-limiter.js";
import { RedisRateGate } from "../../../runtime/store/redis/rate-gate.js";
import { RedisStore } from "../../../runtime/store/redis/redis-store.js";
import type { Manifest } from "../../../sdk/manifest/schema.js";
import { captureLogger, secretsOf } from "./harness.js";

export const TEST_REDIS_URL = process.env["WK_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0";

/** True when a Redis answers at the URL (the suites skip, saying why, when none does). */
export async function redisAnswers(url: string = TEST_REDIS_URL): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A fresh key prefix per test, so tests sharing one Redis never see each other. */
export function testPrefix(): string {
  return `wk-test-${randomBytes(6).toString("hex")}`;
}

/** Deletes every key under the prefix (SCAN + DEL): the store's and the queue's. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** One replica's delivery: its own Redis store connection and its own queued delivery service. */
export interface QueuedReplica {
  store: RedisStore;
  delivery: DeliveryService;
  lines: string[];
  enqueue(intent: NotificationIntent): Promise<number>;
  close(): Promise<void>;
}

export async function queuedReplica(o: {
  url?: string;
  prefix: string;
  manifest: Manifest;
  secrets: Record<string, string>;
  /** The rate limit window (ms) the per-minute limits count over; shortened in tests. */
  rateWindowMs?: number;
  /** The replica's clock runs this far off the real one (a replica without NTP). */
  clockSkewMs?: number;
  options?: Partial<Omit<QueuedDeliveryOptions, "redisUrl" | "prefix" | "lanes" | "limiter">>;
  /** Told of every rate-limit token the replica's gate hands out: the time it was judged at, and how many. */
  onTake?: (key: string, now: number, requests: number) => void;
}): Promise<QueuedReplica> {
  const url = o.url ?? TEST_REDIS_URL;
  const store = await RedisStore.connect(url, { prefix: o.prefix });
  const { logger, lines } = captureLogger();
  const delivery = createQueuedDelivery(
    { manifest: o.manifest, store, secrets: secretsOf(o.secrets), logger, clock: () => Date.now() + (o.clockSkewMs ?? 0), registry: new Registry() },
    {
      redisUrl: url,
      prefix: o.prefix,
      lanes: store,
      limiter: observedGate(new RedisRateGate(store.redis, { prefix: o.prefix, windowMs: o.rateWindowMs }), o.onTake),
      pollMs: 10,
      backoff: { initialMs: 50, maxMs: 400 },
      ...o.options,
    },
  );
  let closed = false;
  return {
    store,
    delivery,
    lines,
    enqueue: (intent) => store.enqueue(intent),
    async close() {
      if (closed) return;
      closed = true;
      await delivery.stop(2_000);
      await store.close();
    },
  };
}

/** The gate as it is, telling `onTake` of each token it hands out. */
function observedGate(gate: RateGate, onTake: ((key: string, now: number, requests: number) => void) | undefined): RateGate {
  if (!onTake) return gate;
  return {
    async take(key, perMinute, now, requests = 1) {
      const token = await gate.take(key, perMinute, now, requests);
      if (token.ok) onTake(key, now, requests);
      return token;
    },
    holdOff: (key, until, now) => gate.holdOff(key, until, now),
  };
}
