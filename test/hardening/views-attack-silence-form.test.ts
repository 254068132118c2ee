import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Router } from "../../runtime/http/router.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

const TOKEN = "silence-form-attack-token";

/**
 * The silences page's form turns "name=value" pairs into label matchers. A pair it cannot read
 * ("region: eu", "=eu", "__proto__=x") must stop the form with a message: dropped silently, the
 * silence would match every alert of the chosen monitors, muting pages nobody meant to mute.
 */
describe("views attack: the silences form", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-silence-form-"));
    store = SqliteStore.open(dir, Date.now());
    const router = new Router();
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest: manifestOf([monitorSpec({ id: "shop", name: "Shop" })]), store, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (n) => (n === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined) });
    server = createHttpServer(router, logger);
    base = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
    browser = await chromium.launch({ executablePath: process.env["WK_CHROMIUM"] || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses label pairs it cannot read instead of sending a broader silence, and sends the ones it can", async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
    const page = await context.newPage();
    const sent: unknown[] = [];
    await page.route("**/api/silences", async (route) => {
      sent.push(JSON.parse(route.request().postData() ?? "null"));
      await route.fulfill({ status: 201, contentType: "application/json", body: JSON.stringify({ endsAt: "later" }) });
    });
    await page.goto(`${base}/silences`);
    await page.selectOption("#s-monitor", ["shop"]);
    await page.fill("#s-by", "Ada");
    await page.fill("#s-comment", "eu failover");
    for (const labels of ["region: eu", "region=eu, =x", "__proto__=x"]) {
      await page.fill("#s-labels", labels);
      await page.click("#silence-form button[type=submit]");
      await expect.poll(() => page.textContent("#silence-form [role=status]")).toMatch(/name=value/);
      expect(await page.getAttribute("#silence-form [role=status]", "class")).toBe("error");
    }
    expect(sent).toEqual([]);
    await page.fill("#s-labels", "region=eu, tier = gold");
    await page.click("#silence-form button[type=submit]");
    await expect.poll(() => sent.length).toBe(1);
    expect(sent[0]).toMatchObject({ matchers: { monitors: ["shop"], labels: { region: "eu", tier: "gold" } } });
    await context.close();
  }, 60_000);
});
