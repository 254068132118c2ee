import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { newAlert, rulesOf } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { Router } from "../../runtime/http/router.js";
import { StoreAlertControl } from "../../runtime/inbound/alert-control.js";
import { pagerDutyWebhookHandler } from "../../runtime/inbound/pagerduty-webhook.js";
import { pagerDutySignature } from "../../runtime/inbound/signature.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { redisAnswers, TEST_REDIS_URL } from "../scale-out/support.js";

// PagerDuty does not promise to deliver webhooks in order, and retries one the runtime answered
// 5xx. An acknowledgement-state event that happened before one the alert already took must not
// undo it when it arrives late: an acknowledged alert taken back by a stale retry pages again.

const SECRET = "pd-webhook-secret-order";
const MINUTE = 60_000;
const KEY = "wk-checkout";
const URL = TEST_REDIS_URL;
const manifest = testManifest({ monitors: [testMonitor("checkout", { service: "shop", repeatEvery: "5m" })], services: [testService("shop")], secrets: ["PAGERDUTY_WEBHOOK_SECRET"] });
const rules = rulesOf(manifest.monitors[0]!);

const up = await redisAnswers();

type EventType = "incident.acknowledged" | "incident.unacknowledged" | "incident.resolved" | "incident.reopened";

/** A PagerDuty v3 incident event as PagerDuty signs it. */
function signedEvent(id: string, type: EventType, occurredAt: number, incidentCreatedAt: number) {
  const body = JSON.stringify({
    event: {
      id,
      event_type: type,
      resource_type: "incident",
      occurred_at: new Date(occurredAt).toISOString(),
      agent: { id: "PUSER01", summary: "Ada Lovelace", type: "user_reference" },
      client: null,
      data: {
        id: `PINC-${incidentCreatedAt}`,
        type: "incident",
        status: type.split(".")[1],
        incident_key: KEY,
        created_at: new Date(incidentCreatedAt).toISOString(),
        title: "checkout is failing",
      },
    },
  });
  return { body, signature: pagerDutySignature(body, SECRET) };
}

type Store = SqliteStore | RedisStore;

/** A store the tests can reopen, as a restarted runtime (or another replica) would. */
interface Backend {
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "wk-pd-order-"));
  let held: SqliteStore | null = null;
  return {
    async open() {
      held?.close();
      held = SqliteStore.open(dir, Date.now(), { webhookReplayWindowMs: 11 * MINUTE });
      return held;
    },
    async cleanup() {
      held?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function redisBackend(): Backend {
  const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
  const opened: RedisStore[] = [];
  return {
    async open() {
      const store = await RedisStore.connect(URL, { prefix, webhookReplayWindowMs: 11 * MINUTE });
      opened.push(store);
      return store;
    },
    async cleanup() {
      const keys = await opened[0]!.redis.keys(`${prefix}:*`);
      if (keys.length > 0) await opened[0]!.redis.del(...keys);
      for (const s of opened) await s.close();
    },
  };
}

/** What the next alert commit does: fail (a store error, answered 500) or never finish (the process died). */
type Fault = "error" | "die" | null;

const servers: Server[] = [];
const backends: Backend[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const b of backends.splice(0)) await b.cleanup();
});

/** One runtime's webhook route over the store, with a fault that can be armed for its next alert commit. */
async function runtime(store: Store, now: number) {
  let fault: Fault = null;
  let reached = () => undefined as void;
  const faulty = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (prop === "commitAlerts" && fault) {
        const f = fault;
        fault = null;
        reached();
        return () => (f === "error" ? Promise.reject(new Error("store unavailable")) : new Promise(() => undefined));
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const router = new Router();
  router.add(
    "POST",
    "/webhooks/pagerduty",
    pagerDutyWebhookHandler({
      alerts: new StoreAlertControl(faulty as never, manifest),
      ids: store,
      secret: (name) => (name === "PAGERDUTY_WEBHOOK_SECRET" ? SECRET : undefined),
      logger: pino({ level: "silent" }),
      clock: () => now,
      maxAgeMs: 10 * MINUTE,
    }),
  );
  const server = createHttpServer(router, pino({ level: "silent" }));
  servers.push(server);
  const base = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
  return {
    /** Arms the fault; the promise settles when a commit reaches it. */
    arm(f: Fault): Promise<void> {
      fault = f;
      return new Promise((resolve) => (reached = resolve));
    },
    async post(e: { body: string; signature: string }, wait = true) {
      const sent = fetch(`${base}/webhooks/pagerduty`, { method: "POST", body: e.body, headers: { "content-type": "application/json", "x-pagerduty-signature": e.signature } });
      if (!wait) {
        sent.catch(() => undefined);
        return { status: 0, body: {} as { status?: string } };
      }
      const res = await sent;
      return { status: res.status, body: (await res.json()) as { status?: string } };
    },
  };
}

async function fire(store: Store, at: number): Promise<void> {
  const read = await store.readAlert(KEY);
  const t = evaluate(read?.alert ?? newAlert("checkout", {}, KEY, at), { kind: "failing", value: 503, summary: "checkout is failing", details: {} }, at, rules);
  expect(t.alert.state).toBe("firing");
  expect(await store.commitAlerts({ alerts: [t.alert], readVersions: { [KEY]: read?.version ?? 0 }, intents: t.intents, events: t.events, at })).toEqual({ kind: "committed" });
}

const alertOf = async (store: Store) => (await store.readAlert(KEY))!.alert;

for (const [name, make, skip] of [
  ["SQLite", sqliteBackend, false],
  ["Redis", redisBackend, !up],
] as const) {
  describe.skipIf(skip)(`PagerDuty webhooks out of order (${name})`, () => {
    it("a late retry of an unacknowledge does not undo a newer acknowledgement", async () => {
      const backend = make();
      backends.push(backend);
      const store = await backend.open();
      const now = Date.now();
      const created = now - 9 * MINUTE + 1_000;
      await fire(store, now - 9 * MINUTE);
      const rt = await runtime(store, now);
      expect((await rt.post(signedEvent("E-1", "incident.acknowledged", now - 8 * MINUTE, created))).body.status).toBe("acknowledged");
      void rt.arm("error");
      expect((await rt.post(signedEvent("E-2", "incident.unacknowledged", now - 7 * MINUTE, created))).status).toBe(500);
      // Acknowledged again in PagerDuty: the alert already is, so nothing changes but the order.
      expect((await rt.post(signedEvent("E-3", "incident.acknowledged", now - 6 * MINUTE, created))).status).toBe(200);
      const retry = await rt.post(signedEvent("E-2", "incident.unacknowledged", now - 7 * MINUTE, created));
      expect(retry).toEqual({ status: 200, body: { status: "out-of-order" } });
      expect((await alertOf(store)).acknowledgedBy).toBe("Ada Lovelace");
      // The order is kept durably: a restarted runtime refuses the stale event too.
      const reopened = await backend.open();
      const again = await runtime(reopened, now);
      expect((await again.post(signedEvent("E-2b", "incident.unacknowledged", now - 7 * MINUTE + 1, created))).body.status).toBe("out-of-order");
      expect((await alertOf(reopened)).acknowledgedAt).not.toBeNull();
    });

    it("an acknowledgement that happened before the incident was resolved does not acknowledge the next firing", async () => {
      const backend = make();
      backends.push(backend);
      const store = await backend.open();
      const now = Date.now();
      const created = now - 5 * MINUTE + 1_000;
      await fire(store, now - 5 * MINUTE);
      const rt = await runtime(store, now);
      expect((await rt.post(signedEvent("E-res", "incident.resolved", now - 5 * MINUTE + 10_000, created))).body.status).toBe("resolved");
      // Still failing: it fires again within the clock-skew allowance of the old incident's creation.
      await fire(store, now - 5 * MINUTE + 20_000);
      const late = await rt.post(signedEvent("E-ack", "incident.acknowledged", now - 5 * MINUTE + 5_000, created));
      expect(late).toEqual({ status: 200, body: { status: "out-of-order" } });
      expect(await alertOf(store)).toMatchObject({ state: "firing", acknowledgedAt: null });
      const reopened = await rt.post(signedEvent("E-reopen", "incident.reopened", now - 5 * MINUTE + 8_000, created));
      expect(reopened.status).toBe(200);
      expect(await alertOf(store)).toMatchObject({ state: "firing", acknowledgedAt: null });
    });

    it("signals in order still apply: acknowledge, unacknowledge, acknowledge, resolve", async () => {
      const backend = make();
      backends.push(backend);
      const store = await backend.open();
      const now = Date.now();
      const created = now - 9 * MINUTE + 1_000;
      await fire(store, now - 9 * MINUTE);
      const rt = await runtime(store, now);
      expect((await rt.post(signedEvent("E-1", "incident.acknowledged", now - 8 * MINUTE, created))).body.status).toBe("acknowledged");
      expect((await rt.post(signedEvent("E-2", "incident.unacknowledged", now - 7 * MINUTE, created))).body.status).toBe("unacknowledged");
      expect((await alertOf(store)).acknowledgedAt).toBeNull();
      expect((await rt.post(signedEvent("E-3", "incident.acknowledged", now - 6 * MINUTE, created))).body.status).toBe("acknowledged");
      expect((await alertOf(store)).acknowledgedAt).toBe(now - 6 * MINUTE);
      expect((await rt.post(signedEvent("E-4", "incident.resolved", now - 5 * MINUTE, created))).body.status).toBe("resolved");
      expect((await alertOf(store)).state).toBe("inactive");
    });
  });
}

for (const [name, make, skip] of [
  ["SQLite", sqliteBackend, false],
  ["Redis", redisBackend, !up],
] as const) {
  describe.skipIf(skip)(`a runtime that dies while handling a PagerDuty webhook (${name})`, () => {
    it("takes PagerDuty's retry of the event it never finished, after the restart", async () => {
      const backend = make();
      backends.push(backend);
      const store = await backend.open();
      const now = Date.now();
      const created = now - 9 * MINUTE + 1_000;
      await fire(store, now - 9 * MINUTE);
      const rt = await runtime(store, now);
      // The process dies as the alert change is about to commit: the commit never happens.
      const dying = rt.arm("die");
      await rt.post(signedEvent("E-ack", "incident.acknowledged", now - 2 * MINUTE, created), false);
      await dying;
      const restarted = await backend.open();
      const retry = await (await runtime(restarted, now)).post(signedEvent("E-ack", "incident.acknowledged", now - 2 * MINUTE, created));
      expect(retry).toEqual({ status: 200, body: { status: "acknowledged" } });
      expect(await alertOf(restarted)).toMatchObject({ acknowledgedAt: now - 2 * MINUTE, acknowledgedBy: "Ada Lovelace" });
      // Done now, and remembered: a replay of it is a duplicate.
      const replay = await (await runtime(restarted, now)).post(signedEvent("E-ack", "incident.acknowledged", now - 2 * MINUTE, created));
      expect(replay.body.status).toBe("duplicate");
    });

    it("a resolve lost to the crash is applied by the retry", async () => {
      const backend = make();
      backends.push(backend);
      const store = await backend.open();
      const now = Date.now();
      const created = now - 9 * MINUTE + 1_000;
      await fire(store, now - 9 * MINUTE);
      const rt = await runtime(store, now);
      const dying = rt.arm("die");
      await rt.post(signedEvent("E-res", "incident.resolved", now - MINUTE, created), false);
      await dying;
      const restarted = await backend.open();
      expect((await (await runtime(restarted, now)).post(signedEvent("E-res", "incident.resolved", now - MINUTE, created))).body.status).toBe("resolved");
      expect((await alertOf(restarted)).state).toBe("inactive");
    });
  });
}
