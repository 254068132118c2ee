import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PagerDutyServer } from "../support/vendors/index.js";
import { intentFor, routingKey } from "./support/harness.js";
import { testChannel, testManifest, testMonitor, testService } from "./support/manifest.js";
import { dropPrefix, queuedReplica, redisAnswers, testPrefix, TEST_REDIS_URL, type QueuedReplica } from "./support/queued.js";

const KEY = routingKey("payments");
const LIMITED_KEY = routingKey("limited");
const RATE = 5;
const WINDOW_MS = 1_000;

const up = await redisAnswers();

describe.skipIf(!up)("delivery across replicas through BullMQ", () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let replicas: QueuedReplica[] = [];

  const manifest = () =>
    testManifest({
      monitors: [testMonitor("api", { service: "payments" }), testMonitor("limited", { channels: ["pd-limited"] })],
      services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
      channels: [testChannel("pd-limited", "pagerduty", { routingKey: { secret: "PD_LIMITED" }, baseUrl: pd.url, rateLimitPerMinute: RATE })],
      secrets: ["PD_ROUTING_PAYMENTS", "PD_LIMITED"],
    });
  /** The times the replicas' rate gates handed out a token, one entry per request, on the clock they were judged by. */
  let takes: number[] = [];
  /** Two replicas' delivery services on the same Redis and prefix. */
  const twoReplicas = async () => {
    for (let n = 0; n < 2; n++) {
      const replica = await queuedReplica({
        prefix,
        manifest: manifest(),
        secrets: { PD_ROUTING_PAYMENTS: KEY, PD_LIMITED: LIMITED_KEY },
        rateWindowMs: WINDOW_MS,
        options: { settings: { pagerDutyEventsUrl: pd.url } },
        onTake: (_key, now, requests) => takes.push(...Array.from({ length: requests }, () => now)),
      });
      replicas.push(replica);
      replica.delivery.start();
    }
    return replicas as [QueuedReplica, QueuedReplica];
  };
  const byKey = () => {
    const out = new Map<string, string[]>();
    for (const e of pd.events()) out.set(e["dedup_key"] as string, [...(out.get(e["dedup_key"] as string) ?? []), e["event_action"] as string]);
    return out;
  };

  beforeAll(async () => void (await pd.start()));
  afterEach(async () => {
    for (const r of replicas) await r.close();
    replicas = [];
    takes = [];
    await dropPrefix(TEST_REDIS_URL, prefix);
    pd.heal();
    pd.received.length = 0;
  });
  afterAll(async () => pd.stop());

  it("sends each of 50 notifications exactly once when two replicas deliver from one outbox", async () => {
    prefix = testPrefix();
    const [a, b] = await twoReplicas();
    for (let i = 0; i < 50; i++) await (i % 2 === 0 ? a : b).enqueue(intentFor("api", "trigger", { dedupKey: `wk-api-${i}` }));
    await pd.waitFor(() => pd.events().length >= 50, 20_000);
    // Anything sent twice would arrive within the poll and job latency; give it time to.
    await new Promise((r) => setTimeout(r, 500));
    const keys = pd.events().map((e) => e["dedup_key"]);
    expect(keys).toHaveLength(50);
    expect(new Set(keys).size).toBe(50);
    expect(pd.rejections()).toEqual([]);
    // The vendor answers before the store records the outcome: wait for the records.
    await expect.poll(async () => (await a.store.recentDeliveries(100)).filter((d) => d.status === "sent").length, { timeout: 10_000 }).toBe(50);
    expect(await a.store.depth()).toBe(0);
  });

  it("keeps trigger before resolve per dedup key while the vendor fails and deliveries are retried", async () => {
    prefix = testPrefix();
    pd.failNext(3, { status: 500, body: { status: "error" } });
    const [a, b] = await twoReplicas();
    for (let i = 0; i < 10; i++) {
      await a.enqueue(intentFor("api", "trigger", { dedupKey: `wk-order-${i}` }));
      await b.enqueue(intentFor("api", "resolve", { dedupKey: `wk-order-${i}` }));
    }
    await pd.waitFor(() => pd.events().length >= 20, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(pd.received.some((r) => r.status === 500)).toBe(true);
    const keys = byKey();
    expect(keys.size).toBe(10);
    for (const actions of keys.values()) expect(actions).toEqual(["trigger", "resolve"]);
    const retried = (await a.store.recentDeliveries(100)).filter((d) => d.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
  });

  it("a 429 with Retry-After holds every send to that routing key for that long, on both replicas", async () => {
    prefix = testPrefix();
    pd.failNext(1, { status: 429, body: { status: "throttle event" }, headers: { "retry-after": "2" } });
    const [a, b] = await twoReplicas();
    await a.enqueue(intentFor("api", "trigger", { dedupKey: "wk-throttled-0" }));
    const [throttled] = await pd.waitFor((r) => r.some((x) => x.status === 429), 10_000);
    // The fake has answered; the key is held once a replica has read that answer, which it records
    // with the attempt. What is sent before then is a send already under way, not one held.
    await expect.poll(async () => (await a.store.deliveriesForAlert("wk-throttled-0")).some((d) => d.vendorStatus !== null), { timeout: 10_000 }).toBe(true);
    for (let i = 1; i < 10; i++) await (i % 2 === 0 ? a : b).enqueue(intentFor("api", "trigger", { dedupKey: `wk-throttled-${i}` }));
    await pd.waitFor(() => pd.events().length >= 10, 20_000);
    const after = pd.received.slice(1);
    expect(after.length).toBeGreaterThanOrEqual(10);
    // Retry-After: 2 counts from the vendor's answer; nothing reached PagerDuty before then, from either replica.
    for (const r of after) expect(r.at - throttled!.at).toBeGreaterThanOrEqual(2_000);
    expect(new Set(pd.events().map((e) => e["dedup_key"])).size).toBe(10);
  });

  it("a replica whose clock is 5 minutes ahead still honours another replica's Retry-After and claims", async () => {
    prefix = testPrefix();
    pd.failNext(1, { status: 429, body: { status: "throttle event" }, headers: { "retry-after": "2" } });
    const options = { settings: { pagerDutyEventsUrl: pd.url } };
    const on = await queuedReplica({ prefix, manifest: manifest(), secrets: { PD_ROUTING_PAYMENTS: KEY }, options });
    const ahead = await queuedReplica({ prefix, manifest: manifest(), secrets: { PD_ROUTING_PAYMENTS: KEY }, clockSkewMs: 5 * 60_000, options });
    replicas.push(on, ahead);
    on.delivery.start();
    await on.enqueue(intentFor("api", "trigger", { dedupKey: "wk-skew-0" }));
    const [throttled] = await pd.waitFor((r) => r.some((x) => x.status === 429), 10_000);
    // Only now does the skewed replica deliver too: most of what follows is its to send.
    ahead.delivery.start();
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 1; i < 10; i++) await ahead.enqueue(intentFor("api", "trigger", { dedupKey: `wk-skew-${i}` }));
    await pd.waitFor(() => pd.events().length >= 10, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    for (const r of pd.received.slice(1)) expect(r.at - throttled!.at).toBeGreaterThanOrEqual(2_000);
    expect(pd.events().map((e) => e["dedup_key"]).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `wk-skew-${i}`).sort());
  });

  it("a delivery recorded by a replica that died before adding its job is still sent, once", async () => {
    prefix = testPrefix();
    const dying = await queuedReplica({ prefix, manifest: manifest(), secrets: { PD_ROUTING_PAYMENTS: KEY }, options: { settings: { pagerDutyEventsUrl: pd.url } } });
    replicas.push(dying);
    // What the dying replica got done: the intent read and its delivery recorded, but no job added.
    await dying.enqueue(intentFor("api", "trigger", { dedupKey: "wk-orphan" }));
    const [stored] = await dying.store.undispatched(1);
    const heads = await dying.store.dispatchIntentHeads(stored!, [{ destination: "service:payments", status: "pending", due: Date.now(), reason: null }], Date.now());
    expect(heads).toHaveLength(1);
    expect(await dying.store.dispatchIntentHeads(stored!, [], Date.now())).toBeNull();
    await dying.close();

    const survivor = await queuedReplica({
      prefix,
      manifest: manifest(),
      secrets: { PD_ROUTING_PAYMENTS: KEY },
      options: { settings: { pagerDutyEventsUrl: pd.url }, sweepMs: 100, sweepGraceMs: 200 },
    });
    replicas.push(survivor);
    survivor.delivery.start();
    await pd.waitFor(() => pd.events().length >= 1, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(pd.events().map((e) => e["dedup_key"])).toEqual(["wk-orphan"]);
  });

  it("never exceeds a channel's rate limit across both replicas", async () => {
    prefix = testPrefix();
    const [a, b] = await twoReplicas();
    const started = Date.now();
    for (let i = 0; i < 20; i++) await (i % 2 === 0 ? a : b).enqueue(intentFor("limited", "trigger", { dedupKey: `wk-limited-${i}` }));
    await pd.waitFor(() => pd.events().length >= 20, 30_000);
    // The replicas' gates, together, handed out at most RATE tokens in any window.
    const taken = [...takes].sort((x, y) => x - y);
    expect(taken).toHaveLength(20);
    for (let i = 0; i + RATE < taken.length; i++) expect(taken[i + RATE]! - taken[i]!).toBeGreaterThanOrEqual(WINDOW_MS);
    // And the vendor saw as much, less the trip from a gate to the vendor: the body built, the request
    // made and read by the fake, all on one event loop that a loaded machine holds up now and then.
    const times = pd.accepted().map((r) => r.at).sort((x, y) => x - y);
    expect(times).toHaveLength(20);
    for (let i = 0; i + RATE < times.length; i++) expect(times[i + RATE]! - times[i]!).toBeGreaterThanOrEqual(WINDOW_MS - 250);
    expect(times[times.length - 1]! - started).toBeGreaterThanOrEqual(((20 - RATE) / RATE) * WINDOW_MS - 50);
    expect(new Set(pd.events().map((e) => e["dedup_key"])).size).toBe(20);
    // The vendor answers before the store records the outcome (and the attempt): wait for the record.
    await expect.poll(async () => (await b.store.recentDeliveries(100)).filter((d) => d.status === "sent").length, { timeout: 10_000 }).toBe(20);
  });
});
