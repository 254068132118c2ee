import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PagerDutyServer } from "../support/vendors/index.js";
import { intentFor, routingKey } from "./support/harness.js";
import { testChannel, testManifest, testMonitor, testService } from "./support/manifest.js";
import { dropPrefix, queuedReplica, redisAnswers, testPrefix, TEST_REDIS_URL, type QueuedReplica } from "./support/queued.js";

const KEY = routingKey("payments");
const NEW_KEY = routingKey("pd-new");
const up = await redisAnswers();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A rolling deploy: v1 replicas still deliver while v2 replicas start. v2 adds a monitor and a
 * channel. An old replica that meets either leaves the work (up to a minute) to a replica whose
 * manifest knows it, instead of dropping it, skipping it or sending it with the wrong routing.
 */
describe.skipIf(!up)("delivery during a rollout (old and new manifests on one Redis)", { timeout: 60_000 }, () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let replicas: QueuedReplica[] = [];
  const secrets = { PD_ROUTING_PAYMENTS: KEY, PD_NEW: NEW_KEY };
  const v1 = () =>
    testManifest({
      monitors: [testMonitor("api", { service: "payments" })],
      services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
      secrets: ["PD_ROUTING_PAYMENTS"],
    });
  const v2 = () =>
    testManifest({
      monitors: [testMonitor("api", { service: "payments", channels: ["pd-new"] }), testMonitor("checkout", { service: "payments" })],
      services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
      channels: [testChannel("pd-new", "pagerduty", { routingKey: { secret: "PD_NEW" }, baseUrl: pd.url })],
      secrets: ["PD_ROUTING_PAYMENTS", "PD_NEW"],
    });
  const replica = async (manifest: ReturnType<typeof v1>) => {
    const r = await queuedReplica({ prefix, manifest, secrets, options: { settings: { pagerDutyEventsUrl: pd.url }, sweepMs: 100, sweepGraceMs: 200 } });
    replicas.push(r);
    r.delivery.start();
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

  it("an old replica leaves a trigger of a monitor only the new manifest has; a new replica pages it", async () => {
    prefix = testPrefix();
    const old = await replica(v1());
    await old.enqueue(intentFor("checkout", "trigger", { dedupKey: "wk-checkout" }));
    await sleep(1_500);
    // Not dropped as "not in the manifest": still waiting in the outbox.
    expect((await old.store.undispatched(10)).map((s) => s.intent.dedupKey)).toEqual(["wk-checkout"]);
    expect(pd.events()).toEqual([]);
    await replica(v2());
    await pd.waitFor(() => pd.events().length >= 1, 30_000);
    await sleep(500);
    expect(pd.events().map((e) => [e["dedup_key"], e["routing_key"]])).toEqual([["wk-checkout", KEY]]);
  });

  it("an old replica leaves a delivery to a channel only the new manifest has; a new replica sends it", async () => {
    prefix = testPrefix();
    const old = await replica(v1());
    // A v2 replica dispatched the trigger to the new channel and stopped before sending it.
    await old.enqueue(intentFor("api", "trigger", { dedupKey: "wk-api-new" }));
    const [stored] = await old.store.undispatched(1);
    const heads = await old.store.dispatchIntentHeads(stored!, [{ destination: "channel:pd-new", status: "pending", due: Date.now(), reason: null }], Date.now());
    expect(heads).toHaveLength(1);
    await sleep(1_500);
    const [delivery] = await old.store.deliveriesForAlert("wk-api-new");
    expect([delivery!.destination, delivery!.status]).toEqual(["channel:pd-new", "pending"]);
    expect(pd.events()).toEqual([]);
    await replica(v2());
    // The old replica hands the job back once a second and either replica may take it next: the
    // new one gets it after a few rounds, more on a loaded machine.
    await pd.waitFor(() => pd.events().length >= 1, 30_000);
    await sleep(500);
    expect(pd.events().map((e) => [e["dedup_key"], e["routing_key"]])).toEqual([["wk-api-new", NEW_KEY]]);
  });

  it("past the wait, the old replica does what its manifest says (nobody else knows the monitor)", async () => {
    prefix = testPrefix();
    const old = await queuedReplica({ prefix, manifest: v1(), secrets, options: { settings: { pagerDutyEventsUrl: pd.url }, foreignWaitMs: 300 } });
    replicas.push(old);
    old.delivery.start();
    await old.enqueue(intentFor("gone", "trigger", { dedupKey: "wk-gone" }));
    await sleep(1_000);
    expect(await old.store.undispatched(10)).toEqual([]);
    expect(pd.events()).toEqual([]);
  });
});
