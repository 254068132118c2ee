import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../alerts/intent.js";
import { dropPrefix, redisAnswers, TEST_REDIS_URL, testPrefix } from "../../../test/scale-out/support.js";
import { RedisStore } from "./redis-store.js";

const available = await redisAnswers();

function intent(type: "trigger" | "resolve", seq: number, at: number): NotificationIntent {
  return { id: `wk-api:${seq}`, type, monitorId: "api", dedupKey: "wk-api", labels: {}, severity: "critical", summary: "api down", value: null, details: {}, at, firedAt: at };
}

/**
 * A replica paused (SIGSTOP, a VM freeze) past its delivery lease wakes up and records the outcome
 * of a send another replica already finished: that stale outcome must not reopen the delivery or
 * make the lane's next head (a resolve another replica holds) claimable twice.
 */
describe.skipIf(!available)("a stale outcome from a replica that outlived its lease", () => {
  const prefix = testPrefix();
  const store = new RedisStore(new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 }), { prefix });

  afterAll(async () => {
    await store.close();
    await dropPrefix(TEST_REDIS_URL, prefix);
  });

  it("is ignored once another replica finished the delivery", async () => {
    const t = 1_000_000;
    for (const [n, type] of (["trigger", "resolve"] as const).entries()) {
      const i = intent(type, n + 1, t);
      const seq = await store.enqueue(i);
      await store.dispatchIntent({ seq, intent: i, createdAt: t }, [{ destination: "pd", status: "pending", due: t, reason: null }], t);
    }
    const [trigger] = await store.dueHeads(t, 10);
    expect(await store.claim([trigger!.id], t, 10)).toEqual([trigger!.id]);
    // Replica A froze; its lease ended and replica B sent the trigger and claimed the resolve.
    expect(await store.claim([trigger!.id], t + 20, 40_000)).toEqual([trigger!.id]);
    await store.recordOutcome({ id: trigger!.id, attemptsBefore: 0, now: t + 25, outcome: { kind: "sent", status: 202, answer: "", ref: null, at: t + 25 }, logged: { dedupKey: "wk-api", destination: "pd", state: "trigger" } });
    const [resolve] = await store.dueHeads(t + 30, 10);
    expect(await store.claim([resolve!.id], t + 30, 40_000)).toEqual([resolve!.id]);
    // A wakes up and records what its own attempt at the trigger saw.
    await store.recordOutcome({ id: trigger!.id, attemptsBefore: 0, now: t + 40, outcome: { kind: "retry", at: t + 41, reason: "timed out", status: null, answer: "" } });

    expect((await store.deliveriesForAlert("wk-api")).map((d) => [d.type, d.status])).toEqual([["trigger", "sent"], ["resolve", "pending"]]);
    expect(await store.pendingCount()).toBe(1);
    expect(await store.claim([resolve!.id], t + 50, 40_000)).toEqual([]);
  });
});
