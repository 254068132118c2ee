import { Queue, Worker } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { schedulerConnection } from "../../runtime/scale-out/bullmq-scheduler.js";
import { parseRedisUrl } from "../../runtime/scale-out/redis-connection.js";
import { OwnRedis } from "../support/redis-server.js";

/**
 * After a Redis outage longer than a few seconds, BullMQ's own reconnect waits grow to 20 s: a
 * replica's ticks resumed up to 20 s after Redis was back. The scheduler's workers and queues
 * reconnect every second at most, whatever the outage's length.
 */
describe("scale-out attack: a long Redis outage", () => {
  const redis = new OwnRedis(["--save", "", "--appendonly", "no"]);
  let worker: Worker | undefined;
  let queue: Queue | undefined;
  afterAll(async () => {
    await worker?.close(true).catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await redis.stop();
  });

  it("the scheduler's worker takes jobs again within about a second of Redis coming back after 11 s away", async () => {
    await redis.start();
    const options = parseRedisUrl(redis.url).options;
    const ran: number[] = [];
    worker = new Worker("ticks", async () => void ran.push(Date.now()), { connection: { ...schedulerConnection(options), maxRetriesPerRequest: null }, prefix: "wk-test" });
    worker.on("error", () => undefined);
    queue = new Queue("ticks", { connection: { ...schedulerConnection(options), enableOfflineQueue: false }, prefix: "wk-test" });
    queue.on("error", () => undefined);
    await worker.waitUntilReady();
    await queue.add("t", {});
    await expect.poll(() => ran.length, { timeout: 10_000 }).toBe(1);

    await redis.kill();
    await new Promise((r) => setTimeout(r, 11_000));
    await redis.start();
    const back = Date.now();
    await expect.poll(async () => {
      try {
        await queue!.add("t", {});
        return true;
      } catch {
        return false;
      }
    }, { timeout: 10_000, interval: 100 }).toBe(true);
    await expect.poll(() => ran.length, { timeout: 15_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    // BullMQ's default would wait up to 20 s here (about 7 s after an 11 s outage).
    const late = ran[1]! - back;
    expect(late).toBeLessThan(3_000);
  }, 60_000);
});
