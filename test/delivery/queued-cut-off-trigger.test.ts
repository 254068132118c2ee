import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PagerDutyServer } from "../support/vendors/index.js";
import { intentFor, routingKey } from "./support/harness.js";
import { testManifest, testMonitor, testService } from "./support/manifest.js";
import { dropPrefix, queuedReplica, redisAnswers, testPrefix, TEST_REDIS_URL, type QueuedReplica } from "./support/queued.js";

const KEY = routingKey("cut-off-queued");
const up = await redisAnswers();
/** The dead sender's lease, short so the survivor takes the trigger over within the test. */
const LEASE_MS = 1_500;

/**
 * Scale-out's counterpart of cut-off-trigger.test.ts: a replica killed while its trigger was at
 * PagerDuty leaves the delivery claimed, with no outcome. The rollout that killed it removes the
 * monitor, and a new replica resolves the alert: the resolve still goes to PagerDuty, where the
 * trigger may have opened an incident that nothing else would close.
 */
describe.skipIf(!up)("a trigger whose replica died mid-send, then its monitor removed (Redis)", { timeout: 30_000 }, () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let replicas: QueuedReplica[] = [];
  const services = [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })];
  const before = testManifest({ monitors: [testMonitor("api", { service: "payments" }), testMonitor("gone", { service: "payments" })], services, secrets: ["PD_ROUTING_PAYMENTS"] });
  const after = testManifest({ monitors: [testMonitor("api", { service: "payments" })], services, secrets: ["PD_ROUTING_PAYMENTS"] });
  const replica = async (manifest: typeof before, foreignWaitMs = 500) => {
    const r = await queuedReplica({
      prefix,
      manifest,
      secrets: { PD_ROUTING_PAYMENTS: KEY },
      options: { settings: { pagerDutyEventsUrl: pd.url }, leaseMs: LEASE_MS, sweepMs: 100, sweepGraceMs: 200, foreignWaitMs },
    });
    replicas.push(r);
    return r;
  };

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    for (const r of replicas) await r.close();
    replicas = [];
    await dropPrefix(TEST_REDIS_URL, prefix);
    pd.received.length = 0;
  });
  afterAll(async () => pd.stop());

  it("sends the resolve of a trigger whose sender was killed before it recorded an answer", async () => {
    prefix = testPrefix();
    // What the killed replica got done: the trigger dispatched and claimed for its send, and no outcome.
    const killed = await replica(before);
    await killed.enqueue(intentFor("gone", "trigger"));
    const [stored] = await killed.store.undispatched(1);
    const [head] = (await killed.store.dispatchIntentHeads(stored!, [{ destination: "service:payments", status: "pending", due: Date.now(), reason: null }], Date.now()))!;
    expect(await killed.store.claim([head!.id], Date.now(), LEASE_MS)).toEqual([head!.id]);
    await killed.close();

    const survivor = await replica(after);
    // The rollout resolves the removed monitor's alert (runtime/evaluate/rollout.ts), within the dead lease.
    await survivor.enqueue(intentFor("gone", "resolve"));
    survivor.delivery.start();
    await pd.waitFor(() => pd.events().some((e) => e["dedup_key"] === "wk-gone" && e["event_action"] === "resolve"), 15_000);
    // The cut-off trigger is not sent again (its monitor is gone); its attempt is on record.
    const deliveries = async () => (await survivor.store.deliveriesForAlert("wk-gone")).map((d) => [d.type, d.status, d.attempts]);
    await vi.waitFor(async () => expect(await deliveries()).toEqual([["trigger", "skipped", 1], ["resolve", "sent", 1]]), { timeout: 5_000 });
    expect(pd.events().map((e) => e["event_action"])).toEqual(["resolve"]);
  });

  it("routes the resolve behind a trigger still waiting to be retried, which an old replica then sends", async () => {
    prefix = testPrefix();
    // An old replica's first attempt got a 429 (refused: no incident), and the trigger waits out its Retry-After.
    const old = await replica(before);
    await old.enqueue(intentFor("gone", "trigger"));
    const [stored] = await old.store.undispatched(1);
    const now = Date.now();
    const [head] = (await old.store.dispatchIntentHeads(stored!, [{ destination: "service:payments", status: "pending", due: now, reason: null }], now))!;
    expect(await old.store.claim([head!.id], now, LEASE_MS)).toEqual([head!.id]);
    await old.store.recordOutcome({ id: head!.id, attemptsBefore: 0, now, outcome: { kind: "retry", at: now + 1_500, reason: "HTTP 429", status: 429, answer: "" } });

    // A new replica (the monitor removed) resolves the alert meanwhile and leaves the trigger to the old one.
    const fresh = await replica(after, 60_000);
    await fresh.enqueue(intentFor("gone", "resolve"));
    fresh.delivery.start();
    await vi.waitFor(async () => expect(await fresh.store.undispatched(10)).toEqual([]), { timeout: 5_000 });
    expect((await fresh.store.deliveriesForAlert("wk-gone")).map((d) => [d.type, d.status])).toEqual([["trigger", "pending"], ["resolve", "pending"]]);

    // The old replica, whose manifest still has the monitor, sends the trigger: its resolve follows.
    old.delivery.start();
    await pd.waitFor(() => pd.events().some((e) => e["dedup_key"] === "wk-gone" && e["event_action"] === "resolve"), 15_000);
    expect(pd.events().map((e) => e["event_action"])).toEqual(["trigger", "resolve"]);
  });
});
