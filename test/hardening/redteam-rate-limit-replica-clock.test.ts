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

// Password attempts shared by replicas were counted at each replica's own time: a replica whose
// clock ran more than a minute ahead dropped the others' attempts as expired (and theirs looked
// like the future), so two replicas behind one load balancer allowed more than the limit. The
// count is kept on Redis's clock (TIME in the script), whatever the replicas' clocks say.

const URL = TEST_REDIS_URL;
const PASSWORD = "emergency-password-replica-clock";
const TOKEN = "api-token-replica-clock";
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

/** One replica whose clock is `skewMs` off: its own routes and limiters, the shared Redis. */
async function replica(prefix: string, skewMs: number): Promise<{ base: string; store: RedisStore }> {
  const store = await RedisStore.connect(URL, { prefix, webhookReplayWindowMs: 0 });
  stores.push(store);
  const logger = pino({ level: "silent" });
  const router = new Router();
  const now = () => Date.now() + skewMs;
  registerEmergencyRoutes(router, {
    manifest,
    outbox: { enqueue: () => 1 },
    inbound: store,
    secret,
    diagnose: async () => "",
    logger,
    clock: now,
    attemptsPerMinute: 5,
    diagnosticsTimeoutMs: 1_000,
    trustProxy: false,
    publicUrl: null,
  });
  views.push(registerViewRoutes(router, { manifest, store, clock: { now, setTimer: () => ({ cancel: () => undefined }) }, logger, secret }));
  const server = createHttpServer(router, logger);
  servers.push(server);
  return { base: `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`, store };
}

const formToken = async (base: string) => /name="form_token" value="([^"]+)"/.exec(await (await fetch(`${base}/emergency`)).text())![1]!;
const form = (base: string, path: string, fields: Record<string, string>) =>
  fetch(`${base}${path}`, { method: "POST", body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" });

// More than the one-minute window in either direction.
const SKEWS = [5 * 60_000, -5 * 60_000];

describe.skipIf(!up)("password limits shared by replicas whose clocks disagree", () => {
  for (const skew of SKEWS) {
    it(`the sign-in page allows 10 guesses a minute across a replica on time and one ${skew / 60_000} min off`, async () => {
      const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
      const [a, b] = [await replica(prefix, 0), await replica(prefix, skew)];
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await form(i % 2 === 0 ? a.base : b.base, "/login", { token: `guess-${i}`, next: "/" })).status);
      expect(statuses.filter((s) => s === 401)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    });

    it(`the emergency page allows 5 guesses a minute across a replica on time and one ${skew / 60_000} min off`, async () => {
      const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
      const [a, b] = [await replica(prefix, 0), await replica(prefix, skew)];
      // Each replica's own form: the form token is judged on the clock of the replica that serves it.
      const tokens = [await formToken(a.base), await formToken(b.base)];
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await form([a, b][i % 2]!.base, "/emergency", { monitor: "shop-down", message: "checkout is down", password: `guess-${i}`, form_token: tokens[i % 2]! });
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    });
  }

  it("a store asked with times far apart keeps one count on Redis's clock, and its wait is at most the window", async () => {
    const prefix = `wk-test-${randomBytes(6).toString("hex")}`;
    const [a, b] = [await RedisStore.connect(URL, { prefix, webhookReplayWindowMs: 0 }), await RedisStore.connect(URL, { prefix, webhookReplayWindowMs: 0 })];
    stores.push(a, b);
    const now = Date.now();
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await (i % 2 === 0 ? a : b).countAttempt("login", "192.0.2.9", 3, i % 2 === 0 ? now : now + 3_600_000));
    expect(answers.map((r) => r.ok)).toEqual([true, true, true, false, false, false]);
    for (const r of answers) if (!r.ok) expect(r.retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});
