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

/**
 * The public status page is the one page anyone may load as often as they like. A flood of
 * visitors must cost renders of the page, not one render (and its history reads) per visitor,
 * or it takes the event loop from the probes and the pages that page people.
 */
describe("views attack: a flood of visitors on the public status page", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let url: string;
  let storeCalls = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-status-flood-"));
    store = SqliteStore.open(dir, Date.now());
    // Every read the views make of the store, counted.
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
    const monitors = Array.from({ length: 20 }, (_, i) => monitorSpec({ id: `shop-${i}`, name: `Shop ${i}` }));
    const { hash: _hash, ...base } = manifestOf(monitors, []);
    const manifest = sealManifest({ ...base, statusPages: [{ id: "public", title: "Status", description: null, groups: [{ name: "Shop", monitors: monitors.map((m) => m.id) }], source: "status.ts" }] });
    const router = new Router();
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest, store: counted, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: () => undefined });
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

  it("200 visitors at once cost about one render's reads, every one gets the page, and a later visitor gets a fresh render", async () => {
    const before = storeCalls;
    const first = await (await fetch(`${url}/status/public`)).text();
    const oneRender = storeCalls - before;
    expect(oneRender).toBeGreaterThan(0);
    const flooded = storeCalls;
    const pages = await Promise.all(Array.from({ length: 200 }, async () => (await fetch(`${url}/status/public`)).text()));
    for (const page of pages) expect(page).toBe(first);
    expect(storeCalls - flooded).toBeLessThanOrEqual(oneRender);
    // Past the few seconds a render is kept, the page is read again.
    await new Promise((r) => setTimeout(r, 5_200));
    const again = storeCalls;
    await (await fetch(`${url}/status/public`)).text();
    expect(storeCalls - again).toBe(oneRender);
  }, 20_000);
});
