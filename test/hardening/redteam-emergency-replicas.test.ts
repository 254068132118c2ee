import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { Router } from "../../runtime/http/router.js";
import { registerEmergencyRoutes } from "../../runtime/inbound/emergency-route.js";
import { FormTokens } from "../../runtime/inbound/form-token.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";
import { redisAnswers, TEST_REDIS_URL } from "../scale-out/support.js";

// Scale-out replicas stand behind one load balancer: the emergency form one replica serves is
// often posted to another. Its anti-forgery token must be good on every replica, or a customer
// reporting an outage is told "This form has expired" on most presses, and again on every retry.

const URL = TEST_REDIS_URL;
const PASSWORD = "emergency-password-replicas-5d"; // a person types it: it must not be what keys the form
const manifest = manifestOf([monitorSpec({ id: "shop-down", check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Shop is down" } as never })], ["EMERGENCY_PASSWORD"]);

const up = await redisAnswers();

const servers: Server[] = [];
const stores: RedisStore[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const store of stores.splice(0)) {
    const keys = await store.redis.keys(`${store.prefix}:*`);
    if (keys.length > 0) await store.redis.del(...keys);
    await store.close();
  }
});

/** One replica: its own process state (routes, limiter, form keys), the shared Redis. */
async function replica(prefix: string, queued: NotificationIntent[]): Promise<string> {
  const store = await RedisStore.connect(URL, { prefix, webhookReplayWindowMs: 0 });
  stores.push(store);
  const router = new Router();
  registerEmergencyRoutes(router, {
    manifest,
    outbox: { enqueue: (intent) => queued.push(intent) },
    inbound: store,
    secret: (name) => (name === "EMERGENCY_PASSWORD" ? PASSWORD : undefined),
    diagnose: async () => "",
    logger: pino({ level: "silent" }),
    clock: () => Date.now(),
    attemptsPerMinute: 5,
    diagnosticsTimeoutMs: 1_000,
    trustProxy: false,
    publicUrl: null,
  });
  const server = createHttpServer(router, pino({ level: "silent" }));
  servers.push(server);
  return `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
}

const formToken = async (base: string) => /name="form_token" value="([^"]+)"/.exec(await (await fetch(`${base}/emergency`)).text())![1]!;
const post = (base: string, fields: Record<string, string>) =>
  fetch(`${base}/emergency`, { method: "POST", body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });

describe.skipIf(!up)("the emergency form behind a load balancer", () => {
  it("a form served by one replica is taken by another that shares its Redis", async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const queued: NotificationIntent[] = [];
    const [a, b] = [await replica(prefix, queued), await replica(prefix, queued)];
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const res = await post(to, { monitor: "shop-down", message: "checkout shows an error page", password: PASSWORD, form_token: await formToken(from) });
      expect(res.status).toBe(202);
    }
    expect(queued).toHaveLength(2);
  });

  it("a stored key that is not 32 random bytes is not used: the runtime keeps to its own key and says so", async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const queued: NotificationIntent[] = [];
    const a = await replica(prefix, queued);
    await stores[0]!.redis.set(`${prefix}:emergency-form-key`, "00");
    const guessable = new FormTokens(Buffer.from("00", "hex")).issue(Date.now());
    const fields = { monitor: "shop-down", message: "checkout shows an error page", password: PASSWORD };
    expect((await post(a, { ...fields, form_token: guessable })).status).toBe(403);
    expect((await post(a, { ...fields, form_token: await formToken(a) })).status).toBe(202);
  });

  it("a form from a runtime on another Redis prefix (another project) is refused as forged", async () => {
    const queued: NotificationIntent[] = [];
    const a = await replica(`wk-test-${randomBytes(6).toString("hex")}`, queued);
    const other = await replica(`wk-test-${randomBytes(6).toString("hex")}`, queued);
    const res = await post(a, { monitor: "shop-down", message: "checkout shows an error page", password: PASSWORD, form_token: await formToken(other) });
    expect(res.status).toBe(403);
    expect(queued).toHaveLength(0);
  });
});
