import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { OwnRedis } from "../support/redis-server.js";

const T = 1_000_000;

function intent(type: "trigger" | "resolve", seq: number): NotificationIntent {
  return { id: `wk-api:${seq}`, type, monitorId: "api", dedupKey: "wk-api", labels: {}, severity: "critical", summary: "api down", value: null, details: {}, at: T, firedAt: T };
}

/**
 * Replica A claims a delivery, freezes (SIGSTOP, a VM pause) past its lease, and replica B claims
 * it and starts sending. When A wakes, its outcome must not end B's claim: only the current
 * claimant writes an outcome (a claim token fences the others out).
 */
describe("a paused replica's outcome on a delivery another replica is sending", () => {
  const redis = new OwnRedis();
  let a: RedisStore;
  let b: RedisStore;
  let c: RedisStore;
  let n = 0;

  beforeAll(async () => {
    await redis.start();
  });

  afterAll(async () => {
    for (const s of [a, b, c]) await s?.close();
    await redis.stop();
  });

  /** Three replicas on a fresh prefix, and one trigger (and optionally its resolve) dispatched. */
  async function replicas(withResolve = false): Promise<number> {
    for (const s of [a, b, c]) await s?.close();
    const prefix = `fence${++n}`;
    [a, b, c] = [0, 1, 2].map(() => new RedisStore(new Redis(redis.url, { maxRetriesPerRequest: 1 }), { prefix })) as [RedisStore, RedisStore, RedisStore];
    for (const [i, type] of (withResolve ? (["trigger", "resolve"] as const) : (["trigger"] as const)).entries()) {
      const it = intent(type, i + 1);
      const seq = await a.enqueue(it);
      await a.dispatchIntent({ seq, intent: it, createdAt: T }, [{ destination: "pd", status: "pending", due: T, reason: null }], T);
    }
    const [head] = await a.dueHeads(T, 10);
    return head!.id;
  }

  it("a stale retry from A leaves B's claim in place: no third replica can claim and send it again", async () => {
    const id = await replicas();
    expect(await a.claim([id], T, 10)).toEqual([id]);
    expect(await b.claim([id], T + 20, 40_000)).toEqual([id]);
    await a.recordOutcome({ id, attemptsBefore: 0, now: T + 30, outcome: { kind: "retry", at: T + 31, reason: "timed out", status: null, answer: "" } });

    const state = await c.deliveryState(id);
    expect(state?.claimedUntil).toBe(T + 20 + 40_000);
    // A's attempt counts once, when B took over its lapsed claim; its stale retry adds nothing.
    expect(state?.row.attempts).toBe(1);
    expect(await c.claim([id], T + 1_000, 40_000)).toEqual([]);
    expect(await c.dueHeads(T + 1_000, 10)).toEqual([]);
  });

  it("a stale 'sent' from A does not finish the delivery B is sending; B's outcome is the one recorded", async () => {
    const id = await replicas();
    expect(await a.claim([id], T, 10)).toEqual([id]);
    expect(await b.claim([id], T + 20, 40_000)).toEqual([id]);
    await a.recordOutcome({ id, attemptsBefore: 0, now: T + 30, outcome: { kind: "sent", status: 202, answer: "", ref: null, at: T + 30 }, logged: { dedupKey: "wk-api", destination: "pd", state: "trigger" } });
    expect((await c.deliveriesForAlert("wk-api")).map((d) => d.status)).toEqual(["pending"]);

    await b.recordOutcome({ id, attemptsBefore: 0, now: T + 40, outcome: { kind: "retry", at: T + 1_040, reason: "HTTP 500", status: 500, answer: "down" } });
    const [d] = await c.deliveriesForAlert("wk-api");
    // A's lapsed attempt (counted at B's takeover) and B's.
    expect([d?.status, d?.attempts, d?.lastError]).toEqual(["pending", 2, "HTTP 500"]);
  });

  it("a stale outcome after B recorded its own does not move the lane on or make it claimable early", async () => {
    const id = await replicas(true);
    expect(await a.claim([id], T, 10)).toEqual([id]);
    expect(await b.claim([id], T + 20, 40_000)).toEqual([id]);
    // B's attempt failed with a retry an hour away (a long Retry-After).
    await b.recordOutcome({ id, attemptsBefore: 0, now: T + 30, outcome: { kind: "retry", at: T + 3_600_000, reason: "HTTP 429", status: 429, answer: "" } });
    // A wakes: its old attempt "timed out" and asks for a retry in 1 s; that must not override B's.
    await a.recordOutcome({ id, attemptsBefore: 0, now: T + 40, outcome: { kind: "retry", at: T + 1_040, reason: "timed out", status: null, answer: "" } });
    expect(await c.claim([id], T + 2_000, 40_000)).toEqual([]);
    const [d] = await c.deliveriesForAlert("wk-api");
    expect([d?.attempts, d?.lastError, d?.nextAttemptAt]).toEqual([2, "HTTP 429", T + 3_600_000]);
  });

  it("a stale skip from A does not finish what B is sending", async () => {
    const id = await replicas();
    expect(await a.claim([id], T, 10)).toEqual([id]);
    expect(await b.claim([id], T + 20, 40_000)).toEqual([id]);
    await a.markSkipped(id, 0, "destination pd is no longer in the manifest", T + 30);
    expect((await c.deliveriesForAlert("wk-api")).map((d) => d.status)).toEqual(["pending"]);
  });

  it("the claimant records its outcome after its lease ended while nobody else claimed it", async () => {
    const id = await replicas();
    expect(await a.claim([id], T, 10)).toEqual([id]);
    await a.recordOutcome({ id, attemptsBefore: 0, now: T + 30, outcome: { kind: "sent", status: 202, answer: "", ref: null, at: T + 30 }, logged: { dedupKey: "wk-api", destination: "pd", state: "trigger" } });
    expect((await c.deliveriesForAlert("wk-api")).map((d) => d.status)).toEqual(["sent"]);
    expect(await c.lastSent("wk-api", "pd")).toEqual({ state: "trigger", ref: null });
  });
});
