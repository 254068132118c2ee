import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { DeliveryService } from "../../runtime/notify/contract.js";
import { createQueuedDelivery } from "../../runtime/notify/queued-delivery.js";
import { RedisRateGate } from "../../runtime/store/redis/rate-gate.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { versionsOf } from "../../runtime/alerts/alert-store.js";
import { newAlert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { captureLogger, intentFor, routingKey, secretsOf, until } from "../delivery/support/harness.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { dropPrefix, redisAnswers, testPrefix, TEST_REDIS_URL } from "../delivery/support/queued.js";
import { PagerDutyServer } from "../support/vendors/index.js";

const KEY = routingKey("payments");

const plants: Array<[string, string]> = [
  ["an intent that is not JSON", "{not json"],
  ["an intent that is JSON but not an object", "42"],
  ["an intent without its id, dedup key or type", JSON.stringify({ summary: "hand-written" })],
];
const up = await redisAnswers();

/**
 * Someone writes into an outbox item by hand (or another tool writes there): the item can no
 * longer be read as the intent Watchkeeper wrote. Every replica reads the outbox oldest first, so
 * one such item must not hold back the pages queued after it, for every monitor, on every replica.
 */
describe.skipIf(!up)("a garbage outbox item in Redis", () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let raw: Redis;
  let store: RedisStore | null = null;
  let delivery: DeliveryService | null = null;
  const notices: string[] = [];

  beforeAll(async () => {
    await pd.start();
    raw = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    await delivery?.stop(2_000);
    await store?.close();
    delivery = null;
    store = null;
    notices.length = 0;
    await dropPrefix(TEST_REDIS_URL, prefix);
    pd.received.length = 0;
  });
  afterAll(async () => {
    raw.disconnect();
    await pd.stop();
  });

  for (const [what, garbage] of plants) {
    it(`${what}: the pages queued after it are still sent, and the item is named once`, async () => {
      prefix = testPrefix();
      store = await RedisStore.connect(TEST_REDIS_URL, { prefix, onNotice: (_level, message) => notices.push(message) });
      const manifest = testManifest({
        monitors: [testMonitor("api", { service: "payments" }), testMonitor("db", { service: "payments" })],
        services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
        secrets: ["PD_ROUTING_PAYMENTS"],
      });
      const first = await store.enqueue(intentFor("api", "trigger"));
      await store.enqueue(intentFor("db", "trigger"));
      await raw.hset(`${prefix}:outbox:item:${first}`, "i", garbage);

      const { logger, lines } = captureLogger();
      delivery = createQueuedDelivery(
        { manifest, store, secrets: secretsOf({ PD_ROUTING_PAYMENTS: KEY }), logger, clock: () => Date.now(), registry: new Registry() },
        {
          redisUrl: TEST_REDIS_URL,
          prefix,
          lanes: store,
          limiter: new RedisRateGate(store.redis, { prefix }),
          pollMs: 10,
          backoff: { initialMs: 50, maxMs: 400 },
          settings: { pagerDutyEventsUrl: pd.url },
        },
      );
      delivery.start();

      await until(() => pd.events().some((e) => e["dedup_key"] === "wk-db"), 10_000, "the page queued after the garbage item");
      expect(pd.events().map((e) => e["dedup_key"])).toEqual(["wk-db"]);
      // Set aside, not read again on every poll: the outbox is empty once the good intent went.
      await until(() => notices.length > 0, 10_000, "the notice");
      expect(await store.depth()).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(`${prefix}:outbox:item:${first}`);
      expect(lines.filter((l) => /dispatching from the outbox failed/.test(l))).toEqual([]);
    });
  }
});

describe.skipIf(!up)("outbox places whose items are gone (evicted, deleted by hand)", () => {
  it("are dropped from the outbox, so however many there are the intents after them are read", async () => {
    const prefix = testPrefix();
    const raw = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const store = await RedisStore.connect(TEST_REDIS_URL, { prefix });
    try {
      for (let n = 1; n <= 150; n++) await raw.zadd(`${prefix}:outbox:pending`, -n, `-${n}`);
      const intent = intentFor("api", "trigger");
      await store.enqueue(intent);
      const read: string[] = [];
      for (let round = 0; round < 3 && read.length === 0; round++) read.push(...(await store.undispatched(100)).map((s) => s.intent.id));
      expect(read).toEqual([intent.id]);
      expect(await store.depth()).toBe(1);
    } finally {
      await store.close();
      raw.disconnect();
      await dropPrefix(TEST_REDIS_URL, prefix);
    }
  });
});

/** The same for a delivery key: its lane moves on, and the look for due deliveries goes on past it. */
describe.skipIf(!up)("a garbage delivery key in Redis", () => {
  const pd = new PagerDutyServer();
  let prefix = "";
  let raw: Redis;
  let store: RedisStore | null = null;
  let delivery: DeliveryService | null = null;
  const notices: string[] = [];

  beforeAll(async () => {
    await pd.start();
    raw = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  afterEach(async () => {
    await delivery?.stop(2_000);
    await store?.close();
    delivery = null;
    store = null;
    notices.length = 0;
    await dropPrefix(TEST_REDIS_URL, prefix);
    pd.received.length = 0;
  });
  afterAll(async () => {
    raw.disconnect();
    await pd.stop();
  });

  for (const [what, garbage] of plants) {
    it(`${what}: the delivery fails with the reason, named once, and the others are sent`, async () => {
      prefix = testPrefix();
      store = await RedisStore.connect(TEST_REDIS_URL, { prefix, onNotice: (_level, message) => notices.push(message) });
      const manifest = testManifest({
        monitors: [testMonitor("api", { service: "payments" }), testMonitor("db", { service: "payments" })],
        services: [testService("payments", { routingKey: { secret: "PD_ROUTING_PAYMENTS" } })],
        secrets: ["PD_ROUTING_PAYMENTS"],
      });
      // Recorded as deliveries already, their jobs not yet added (a replica died between the two).
      const now = Date.now();
      for (const intent of [intentFor("api", "trigger"), intentFor("api", "resolve"), intentFor("db", "trigger")]) {
        const seq = await store.enqueue(intent);
        await store.dispatchIntentHeads({ seq, intent, createdAt: now }, [{ destination: "service:payments", status: "pending", due: now, reason: null }], now);
      }
      const [apiTrigger] = await store.deliveriesForAlert("wk-api");
      await raw.hset(`${prefix}:delivery:${apiTrigger!.id}`, "intent", garbage);

      const { logger } = captureLogger();
      delivery = createQueuedDelivery(
        { manifest, store, secrets: secretsOf({ PD_ROUTING_PAYMENTS: KEY }), logger, clock: () => Date.now(), registry: new Registry() },
        {
          redisUrl: TEST_REDIS_URL,
          prefix,
          lanes: store,
          limiter: new RedisRateGate(store.redis, { prefix }),
          pollMs: 10,
          sweepMs: 100,
          sweepGraceMs: 0,
          backoff: { initialMs: 50, maxMs: 400 },
          settings: { pagerDutyEventsUrl: pd.url },
        },
      );
      delivery.start();

      await until(() => pd.events().some((e) => e["dedup_key"] === "wk-db"), 10_000, "the other alert's page");
      await expect.poll(async () => (await store!.deliveriesForAlert("wk-api")).map((d) => [d.type, d.status]), { timeout: 5_000 }).toEqual([["trigger", "failed"], ["resolve", "skipped"]]);
      expect((await store.deliveriesForAlert("wk-api"))[0]!.lastError).toMatch(/^its stored intent is not what Watchkeeper wrote/);
      expect(pd.events().map((e) => e["dedup_key"])).toEqual(["wk-db"]);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain(`${prefix}:delivery:${apiTrigger!.id}`);
      // A job that reads it finds nothing to send, and it is not named again.
      expect(await store.deliveryState(apiTrigger!.id)).toBeNull();
      expect(notices).toHaveLength(1);
    });
  }
});

/** The same in state.db, edited with the sqlite3 shell: the outbox goes on past the row. */
describe("a garbage outbox row in state.db", () => {
  for (const [what, garbage] of plants) {
    it(`${what}: the intents after it are read, the row is named once and not read again`, () => {
      const dir = mkdtempSync(join(tmpdir(), "wk-garbage-outbox-"));
      const notices: string[] = [];
      const store = SqliteStore.open(dir, Date.now(), { onNotice: (_level, message) => notices.push(message) });
      try {
        const first = store.enqueue(intentFor("api", "trigger"));
        const second = intentFor("db", "trigger");
        store.enqueue(second);
        store.db.prepare("UPDATE outbox SET intent = ? WHERE seq = ?").run(garbage, first);

        expect(store.undispatched(100).map((s) => s.intent)).toEqual([second]);
        expect(notices).toHaveLength(1);
        expect(notices[0]).toContain(`outbox row ${first}`);
        expect(notices[0]).toContain("wk-api");
        expect(store.undispatched(100).map((s) => s.intent.id)).toEqual([second.id]);
        expect(notices).toHaveLength(1);
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  for (const [what, garbage] of plants) {
    it(`${what} in a delivery row: it fails with the reason, named once, and the other due deliveries are read`, () => {
      const dir = mkdtempSync(join(tmpdir(), "wk-garbage-outbox-"));
      const notices: string[] = [];
      const store = SqliteStore.open(dir, Date.now(), { onNotice: (_level, message) => notices.push(message) });
      try {
        const now = Date.now();
        for (const intent of [intentFor("api", "trigger"), intentFor("api", "resolve"), intentFor("db", "trigger")]) {
          const seq = store.enqueue(intent);
          store.dispatchIntent({ seq, intent, createdAt: now }, [{ destination: "service:payments", status: "pending", due: now, reason: null }], now);
        }
        const [apiTrigger] = store.deliveriesForAlert("wk-api");
        store.db.prepare("UPDATE delivery_deliveries SET intent_json = ? WHERE id = ?").run(garbage, apiTrigger!.id);

        expect(store.dueHeads(now + 1, 100).map((row) => row.intent.dedupKey)).toEqual(["wk-db"]);
        expect(store.deliveriesForAlert("wk-api").map((d) => [d.type, d.status])).toEqual([["trigger", "failed"], ["resolve", "pending"]]);
        expect(store.deliveriesForAlert("wk-api")[0]!.lastError).toMatch(/^its stored intent is not what Watchkeeper wrote/);
        expect(notices).toHaveLength(1);
        expect(notices[0]).toContain(`delivery ${apiTrigger!.id}`);
        // Its lane moved on: the resolve behind it is due now.
        expect(store.dueHeads(now + 1, 100).map((row) => [row.intent.dedupKey, row.intent.type])).toEqual([["wk-api", "resolve"], ["wk-db", "trigger"]]);
        expect(notices).toHaveLength(1);
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("an intent an older build wrote without summary, details or times is still read", () => {
    const dir = mkdtempSync(join(tmpdir(), "wk-garbage-outbox-"));
    const store = SqliteStore.open(dir, Date.now());
    try {
      const intent = intentFor("api", "trigger");
      const seq = store.enqueue(intent);
      const { summary: _s, details: _d, at: _a, firedAt: _f, value: _v, ...bare } = intent;
      store.db.prepare("UPDATE outbox SET intent = ? WHERE seq = ?").run(JSON.stringify(bare), seq);
      expect(store.undispatched(100).map((s) => s.intent)).toEqual([{ ...bare, summary: "", details: {}, at: 0, firedAt: null, value: null }]);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Results are read by every page (the public status page reads each monitor's newest): one entry
 * that is not a result Watchkeeper wrote must be left out, not answer every page with a 500.
 */
describe.skipIf(!up)("a garbage result in Redis", () => {
  let raw: Redis;
  let prefix = "";
  let store: RedisStore | null = null;
  const notices: string[] = [];
  beforeAll(() => void (raw = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 })));
  afterEach(async () => {
    await store?.close();
    store = null;
    notices.length = 0;
    await dropPrefix(TEST_REDIS_URL, prefix);
  });
  afterAll(() => raw.disconnect());

  const results: Array<[string, string]> = [
    ["not JSON", "{not json"],
    ["JSON but not an object", "[1,2]"],
    ["an object without its time or verdict", JSON.stringify({ message: "hand-written" })],
  ];
  for (const [what, garbage] of results) {
    it(`${what}: left out of the monitor's results, the latest results and a window of them, and named once`, async () => {
      prefix = testPrefix();
      store = await RedisStore.connect(TEST_REDIS_URL, { prefix, onNotice: (_level, message) => notices.push(message) });
      const T = Date.parse("2026-03-01T00:00:00Z");
      const good = { monitorId: "api", at: T, ok: true, firing: false, value: 12, message: "HTTP 200", labels: {}, durationMs: 12 };
      await raw.zadd(`${prefix}:results:w:api`, T, JSON.stringify(good));
      await raw.zadd(`${prefix}:results:w:api`, T + 1, garbage);
      await raw.hset(`${prefix}:results:latest`, "api", garbage, "db", JSON.stringify({ ...good, monitorId: "db" }));

      expect(await store.recentResults("api")).toEqual([good]);
      expect(await store.resultsBetween("api", T - 1, T + 10, 10)).toEqual([good]);
      expect([...(await store.latestResults()).keys()]).toEqual(["db"]);
      expect(await store.recentResults("api")).toEqual([good]);
      expect(notices).toHaveLength(2);
      expect(notices.some((n) => n.includes(`${prefix}:results:w:api`))).toBe(true);
      expect(notices.some((n) => n.includes(`${prefix}:results:latest`))).toBe(true);
    });
  }
});

/** A silence row edited with the sqlite3 shell: it mutes nothing, and the others still do. */
describe("a garbage silence row in state.db", () => {
  for (const [what, matchers] of [["not JSON", "{not json"], ["an empty object", "{}"]] as const) {
    it(`matchers that are ${what}: left out and named once, the other silences read`, () => {
      const dir = mkdtempSync(join(tmpdir(), "wk-garbage-silence-"));
      const notices: string[] = [];
      const store = SqliteStore.open(dir, Date.now(), { onNotice: (_level, message) => notices.push(message) });
      try {
        const now = Date.now();
        const input = { comment: "deploy", createdBy: "ada", startsAt: now - 1_000, endsAt: now + 3_600_000 };
        const broken = store.addSilence({ ...input, matchers: { monitors: ["api"], services: [], labels: {} } }, now);
        const kept = store.addSilence({ ...input, matchers: { monitors: ["db"], services: [], labels: {} } }, now);
        store.db.prepare("UPDATE delivery_silences SET matchers_json = ? WHERE id = ?").run(matchers, broken.id);

        expect(store.currentSilences(now).map((s) => s.id)).toEqual([kept.id]);
        expect(store.silenceById(broken.id)).toBeNull();
        expect(store.currentSilences(now).map((s) => s.id)).toEqual([kept.id]);
        expect(notices).toHaveLength(1);
        expect(notices[0]).toContain(broken.id);
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/**
 * An alert row of state.db edited by hand: as in Redis (scale-out-attack-garbage-alert), its state
 * is lost, said once, and the monitor keeps being evaluated: still failing, it fires again under its
 * dedup key with an intent id the outbox has not seen, so it pages.
 */
describe("a garbage alert row in state.db", () => {
  const rows: Array<[string, string]> = [
    ["alert data that is not JSON", "{not json"],
    ["alert data that is JSON but not an object", "42"],
    ["alert data missing its fields", JSON.stringify({ state: "firing" })],
  ];
  for (const [what, garbage] of rows) {
    it(`${what}: named once, replaced by an inactive alert that keeps its intent sequence, other alerts untouched`, () => {
      const dir = mkdtempSync(join(tmpdir(), "wk-garbage-alert-"));
      const notices: string[] = [];
      const store = SqliteStore.open(dir, Date.now(), { onNotice: (_level, message) => notices.push(message) });
      try {
        const T = Date.now();
        const rules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };
        const fire = (monitorId: string, at: number) => {
          const read = store.readAlerts(monitorId);
          const key = alertKey(monitorId, {});
          const alert = read[0]?.alert ?? newAlert(monitorId, {}, key, at);
          const t = evaluate(alert, { kind: "failing", value: 503, summary: "down", details: {} }, at, rules);
          store.commitAlerts({ alerts: [t.alert], readVersions: { [key]: 0, ...versionsOf(read) }, intents: t.intents, at });
        };
        fire("api", T);
        fire("db", T);
        const before = store.readAlerts("api")[0]!.alert;
        expect(before.state).toBe("firing");
        store.db.prepare("UPDATE alerts SET data = ? WHERE dedup_key = ?").run(garbage, alertKey("api", {}));

        const [replaced] = store.readAlerts("api");
        expect(replaced!.alert).toMatchObject({ dedupKey: alertKey("api", {}), monitorId: "api", state: "inactive", sequence: before.sequence });
        expect(notices).toHaveLength(1);
        expect(notices[0]).toContain(alertKey("api", {}));
        expect(store.allAlerts().map((a) => [a.monitorId, a.state])).toEqual([["api", "inactive"], ["db", "firing"]]);
        // Still failing: it fires again, and the new trigger is a new intent that is sent.
        fire("api", T + 1_000);
        const ids = store.undispatched(100).map((s) => s.intent.id);
        expect(ids).toContain(`${alertKey("api", {})}:${before.sequence + 1}`);
        expect(notices).toHaveLength(1);
      } finally {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
