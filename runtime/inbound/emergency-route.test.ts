import type { Server } from "node:http";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { InboundEvents } from "../checks/types.js";
import type { NotificationIntent } from "../alerts/intent.js";
import { Router } from "../http/router.js";
import { createHttpServer, listen } from "../server/http-server.js";
import { monitorSpec, manifestOf } from "../../test/runtime/support/manifest.js";
import { registerEmergencyRoutes } from "./emergency-route.js";

const PASSWORD = "emergency-password-4c1e";

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** The emergency routes alone, over stand-in ports, on loopback. */
async function start(): Promise<{ base: string; queued: NotificationIntent[]; recorded: string[] }> {
  const manifest = manifestOf([monitorSpec({ id: "shop-down", check: { kind: "manual", password: { secret: "EMERGENCY_PASSWORD" }, title: "Shop is down" } })], ["EMERGENCY_PASSWORD"]);
  const queued: NotificationIntent[] = [];
  const recorded: string[] = [];
  const inbound = { recordEmergency: (_id: string, _at: number, message: string) => void recorded.push(message) } as unknown as InboundEvents;
  const router = new Router();
  registerEmergencyRoutes(router, {
    manifest,
    outbox: { enqueue: (intent) => queued.push(intent) },
    inbound,
    secret: (name) => (name === "EMERGENCY_PASSWORD" ? PASSWORD : undefined),
    diagnose: async () => "",
    logger: pino({ level: "silent" }),
    clock: () => Date.now(),
    attemptsPerMinute: 3,
    diagnosticsTimeoutMs: 1_000,
    trustProxy: false,
    publicUrl: null,
  });
  server = createHttpServer(router, pino({ level: "silent" }));
  const { port } = await listen(server, 0, "127.0.0.1");
  return { base: `http://127.0.0.1:${port}`, queued, recorded };
}

const post = (base: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${base}/emergency`, { method: "POST", body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded", ...headers } });

async function formToken(base: string): Promise<string> {
  return /name="form_token" value="([^"]+)"/.exec(await (await fetch(`${base}/emergency`)).text())![1]!;
}

describe("emergency page answers", () => {
  it("forbid framing and caching on every answer to a post, not only on the first form: each carries a fresh form token", async () => {
    const { base, queued } = await start();
    const fields = { monitor: "shop-down", message: "checkout shows an error page", form_token: await formToken(base) };
    const answers = [
      // A foreign page posts into a frame it controls: the form comes back with a fresh token.
      await post(base, { ...fields, password: PASSWORD }, { origin: "https://evil.example" }),
      await post(base, { ...fields, form_token: "forged", password: PASSWORD }),
      await post(base, { ...fields, password: "wrong" }),
      await post(base, { ...fields, password: PASSWORD }),
      await post(base, { ...fields, password: PASSWORD }),
    ];
    expect(answers.map((r) => r.status)).toEqual([403, 403, 401, 202, 429]);
    expect(queued).toHaveLength(1);
    for (const res of answers) {
      expect(res.headers.get("x-frame-options"), String(res.status)).toBe("DENY");
      expect(res.headers.get("content-security-policy"), String(res.status)).toContain("frame-ancestors 'none'");
      expect(res.headers.get("cache-control"), String(res.status)).toBe("no-store");
    }
  });
});

describe("an emergency report", () => {
  it("that quotes the password (typed into the wrong box, or pasted with it) pages and is stored without it", async () => {
    const { base, queued, recorded } = await start();
    const message = `checkout is down. pw: ${PASSWORD} (${encodeURIComponent(PASSWORD)})`;
    const res = await post(base, { monitor: "shop-down", message, password: PASSWORD, form_token: await formToken(base) });
    expect(res.status).toBe(202);
    expect(queued).toHaveLength(1);
    expect(JSON.stringify(queued)).not.toContain("4c1e");
    expect(JSON.stringify(recorded)).not.toContain("4c1e");
    expect(queued[0]!.details["message"]).toBe("checkout is down. pw: [redacted] ([redacted])");
    expect(queued[0]!.summary).toBe("Shop is down: checkout is down. pw: [redacted] ([redacted])");
  });
});
