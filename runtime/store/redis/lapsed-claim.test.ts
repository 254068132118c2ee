import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../alerts/intent.js";
import { triggerMayHaveReached } from "../../notify/trigger-tried.js";
import { dropPrefix, redisAnswers, TEST_REDIS_URL, testPrefix } from "../../../test/scale-out/support.js";
import { RedisStore } from "./redis-store.js";
import { LAPSED_CLAIM } from "./scripts.js";

const available = await redisAnswers();
const T = 1_000_000;

function trigger(seq: number): NotificationIntent {
  return { id: `wk-api:${seq}`, type: "trigger", monitorId: "api", dedupKey: "wk-api", labels: {}, severity: "critical", summary: "api down", value: null, details: {}, at: T, firedAt: T };
}

/**
 * A replica killed mid-send leaves its claim and no outcome; another replica takes the delivery
 * over when the lease ends. The killed attempt may have reached the vendor: it counts, as the
 * SQLite adapter counts a dead process's claims at open, so the alert's resolve is owed there.
 */
describe.skipIf(!available)("a delivery whose claim lapsed without an outcome", () => {
  const prefix = testPrefix();
  const killed = new RedisStore(new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }), { prefix });
  const survivor = new RedisStore(new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }), { prefix });

  afterAll(async () => {
    await Promise.all([killed.close(), survivor.close()]);
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it("counts the dead claimant's attempt when taken over, clearing the vendor's last answer, and a skip keeps it", async () => {
    const i = trigger(1);
    const seq = await killed.enqueue(i);
    await killed.dispatchIntent({ seq, intent: i, createdAt: T }, [{ destination: "pd", status: "pending", due: T, reason: null }], T);
    const [row] = await survivor.dueHeads(T, 10);
    // A first attempt was refused for now (429): on its own it opened nothing.
    expect(await killed.claim([row!.id], T, 10)).toEqual([row!.id]);
    await killed.recordOutcome({ id: row!.id, attemptsBefore: 0, now: T + 5, outcome: { kind: "retry", at: T + 6, reason: "HTTP 429", status: 429, answer: "" } });
    expect(triggerMayHaveReached(await survivor.deliveriesForAlert("wk-api"), "pd")).toBe(false);

    // The second attempt is at the vendor when its replica is killed: under way, it may reach.
    expect(await killed.claim([row!.id], T + 10, 10)).toEqual([row!.id]);
    expect((await survivor.deliveriesForAlert("wk-api")).map((d) => [d.attempts, d.vendorStatus])).toEqual([[2, null]]);
    expect(triggerMayHaveReached(await survivor.deliveriesForAlert("wk-api"), "pd")).toBe(true);

    // The survivor read the row before its claim (1 attempt); the claim counts the lapsed one.
    const [stale] = await survivor.dueHeads(T + 30, 10);
    expect(stale!.attempts).toBe(1);
    expect(await survivor.claim([row!.id], T + 30, 40_000)).toEqual([row!.id]);
    const [taken] = await survivor.deliveriesForAlert("wk-api");
    expect([taken!.attempts, taken!.vendorStatus, taken!.lastError]).toEqual([3, null, LAPSED_CLAIM]);
    expect((await survivor.deliveryState(row!.id))!.row.attempts).toBe(2);

    // Its monitor left the manifest: the survivor skips it, and the killed attempt stays counted.
    await survivor.markSkipped(row!.id, stale!.attempts, "monitor api left the manifest", T + 40);
    const [skipped] = await survivor.deliveriesForAlert("wk-api");
    expect([skipped!.status, skipped!.attempts, skipped!.vendorStatus]).toEqual(["skipped", 2, null]);
    expect(triggerMayHaveReached([skipped!], "pd")).toBe(true);
  });
});
