import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Router } from "../../runtime/http/router.js";
import { registerEmergencyRoutes } from "../../runtime/inbound/emergency-route.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { RedisStore } from "../../runtime/store/redis/redis-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";
import { redisAnswers, TEST_REDIS_URL } from "../scale-out/support.js";

// Scale-out replicas stand behind one load balancer, which spreads one client's requests over all
// of them. A limit each replica counts on its own allows N replicas N times the password guesses:
// the emergency page's 5 a minute and the sign-in page's 10 a minute are counted in Redis.

const URL = TEST_REDIS_URL;
const PASSWORD = "emergency-password-rate-replicas";
const TOKEN = "api-token-rate-replicas";
const manifest = manifestOf(
  [monitorSpec({ id: "shop-down", check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Shop is down" } as never })],
  ["EMERGENCY_PASSWORD", "WATCHKEEPER_API_TOKEN"],
);
const secret = (name: string) => (name === "EMERGENCY_PASSWORD" ? PASSWORD : name === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined);

const up = await redisAnswers();

const servers: Server[] = [];
const stores: RedisStore[] = [];
const views: Views[] = [];
afterEach(async () => {
  for (const v of views.splice(0)) v.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const store of stores.splice(0)) {
    if (store.redis.status === "ready") {
      const keys = await store.redis.keys(`${store.prefix}:*`);
      if (keys.length > 0) await store.redis.del(...keys);
    }
    await store.close();
  }
});

/** One replica: its own process state (routes, limiters), the shared Redis. */
async function replica(prefix: string): Promise<{ base: string; store: RedisStore }> {
  const store = await RedisStore.connect(URL, { prefix, webhookReplayWindowMs: 0 });
  stores.push(store);
  const logger = pino({ level: "silent" });
  const router = new Router();
  registerEmergencyRoutes(router, {
    manifest,
    outbox: { enqueue: () => 1 },
    inbound: store,
    secret,
    diagnose: async () => "",
    logger,
    clock: () => Date.now(),
    attemptsPerMinute: 5,
    diagnosticsTimeoutMs: 1_000,
    trustProxy: false,
    publicUrl: null,
  });
  views.push(registerViewRoutes(router, { manifest, store, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret }));
  const server = createHttpServer(router, logger);
  servers.push(server);
  return { base: `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`, store };
}

const formToken = async (base: string) => /name="form_token" value="([^"]+)"/.exec(await (await fetch(`${base}/emergency`)).text())![1]!;
const form = (base: string, path: string, fields: Record<string, string>) =>
  fetch(`${base}${path}`, { method: "POST", body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" });

describe.skipIf(!up)("password limits behind a load balancer", () => {
  it("the emergency page allows 5 guesses a minute across two replicas, not 5 on each", async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const [a, b] = [await replica(prefix), await replica(prefix)];
    const token = await formToken(a.base);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await form(i % 2 === 0 ? a.base : b.base, "/emergency", { monitor: "shop-down", message: "checkout is down", password: `guess-${i}`, form_token: token });
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  });

  it("the sign-in page allows 10 guesses a minute across two replicas, not 10 on each", async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const [a, b] = [await replica(prefix), await replica(prefix)];
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await form(i % 2 === 0 ? a.base : b.base, "/login", { token: `guess-${i}`, next: "/" })).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
  });

  it("runtimes on other prefixes (other projects) keep their own counts", async () => {
    const a = await replica(`wk-test-${randomBytes(6).toString("hex")}`);
    const other = await replica(`wk-test-${randomBytes(6).toString("hex")}`);
    for (let i = 0; i < 10; i++) expect((await form(a.base, "/login", { token: `guess-${i}`, next: "/" })).status).toBe(401);
    expect((await form(other.base, "/login", { token: "guess", next: "/" })).status).toBe(401);
    expect((await form(other.base, "/login", { token: TOKEN, next: "/" })).status).toBe(303);
  });

  it("when Redis does not answer, passwords are not checked at all: 503, never unlimited guesses", async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const a = await replica(prefix);
    const token = await formToken(a.base);
    a.store.redis.disconnect();
    const emergency = await form(a.base, "/emergency", { monitor: "shop-down", message: "checkout is down", password: PASSWORD, form_token: token });
    expect(emergency.status).toBe(503);
    expect(await emergency.text()).toContain("Call the on-call engineer directly");
    const login = await form(a.base, "/login", { token: TOKEN, next: "/" });
    expect(login.status).toBe(503);
    expect(login.headers.get("set-cookie")).toBeNull();
    expect(await login.text()).toContain("cannot be checked");
  });
});
