import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealManifest } from "../../sdk/manifest/index.js";
import { Router } from "../../runtime/http/router.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

const TOKEN = "badge-flood-token";

/**
 * A public badge is, like the public status page, something anyone may ask for as often as they
 * like (a README on a busy site, or a loop of curl): each ask reads the monitor's state, and an
 * uptime badge 90 days of its history. A flood must cost renders of the badge, not one render
 * (and its store reads) per ask, or it takes the event loop from the probes and the pages.
 */
describe("views attack: a flood of badge requests", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let url: string;
  let storeCalls = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-badge-flood-"));
    store = SqliteStore.open(dir, Date.now());
    const counted = new Proxy(store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          storeCalls++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const monitors = [monitorSpec({ id: "shop", name: "Shop" }), monitorSpec({ id: "ledger", name: "Ledger" })];
    const { hash: _hash, ...base } = manifestOf(monitors, ["WATCHKEEPER_API_TOKEN"]);
    const manifest = sealManifest({ ...base, statusPages: [{ id: "public", title: "Status", description: null, groups: [{ name: "Shop", monitors: ["shop"] }], source: "status.ts" }] });
    const router = new Router();
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest, store: counted, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (n) => (n === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined) });
    server = createHttpServer(router, logger);
    url = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
  });
  afterAll(async () => {
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("200 anonymous asks for a public status or uptime badge cost about one render's reads each, and every one gets the badge", async () => {
    for (const path of ["/badge/shop.svg", "/badge/shop.svg?type=uptime&window=90d"]) {
      const before = storeCalls;
      const first = await fetch(`${url}${path}`);
      expect(first.status, path).toBe(200);
      const svg = await first.text();
      const oneRender = storeCalls - before;
      expect(oneRender, path).toBeGreaterThan(0);
      const flooded = storeCalls;
      const answers = await Promise.all(Array.from({ length: 200 }, async () => (await fetch(`${url}${path}`)).text()));
      for (const answer of answers) expect(answer).toBe(svg);
      expect(storeCalls - flooded, path).toBeLessThanOrEqual(oneRender);
    }
  });

  it("keeps the team's badge and the public's apart, and reads a badge afresh once its render is a few seconds old", async () => {
    const anonymous = await (await fetch(`${url}/badge/shop.svg`)).text();
    const team = await (await fetch(`${url}/badge/shop.svg`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(anonymous).toContain("Operational");
    expect(team).not.toContain("Operational");
    // A private monitor's badge is still refused to the public after the team asked for it.
    expect((await fetch(`${url}/badge/ledger.svg`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${url}/badge/ledger.svg`)).status).toBe(403);
    await new Promise((r) => setTimeout(r, 5_200));
    const again = storeCalls;
    await (await fetch(`${url}/badge/shop.svg`)).text();
    expect(storeCalls - again).toBeGreaterThan(0);
  }, 20_000);
});
