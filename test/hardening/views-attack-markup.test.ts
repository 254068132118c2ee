import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sealManifest } from "../../sdk/manifest/index.js";
import { DEFAULT_RUNTIME_SETTINGS } from "../../sdk/manifest/schema.js";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { newAlert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { Router } from "../../runtime/http/router.js";
import { StoreAlertControl } from "../../runtime/inbound/alert-control.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/**
 * Markup in every piece of text the pages show, closing every context it could sit in (element,
 * quoted attribute either way, script, style, SVG, CDATA), each element marked so that the test
 * sees an injection in the DOM even where the Content-Security-Policy stops it from running.
 */
const P = `"'></title></textarea></script></style>]]><img src=x data-wk-injected onerror="window.__xss=1"><script data-wk-injected>window.__xss=1</script><svg data-wk-injected onload="window.__xss=1"></svg>`;
/** Characters XML 1.0 does not allow: a badge holding them would not render at all. */
const NOT_XML = "\u0001\u0008\u000b\u001f\ufffe";

describe("views attack: markup in every user-controlled text, in Chromium", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let base: string;
  let browser: Browser;
  let page: Page;
  const key = alertKey("shop", { region: P });
  const now = Date.now();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-markup-"));
    store = SqliteStore.open(dir, now);
    const shop = monitorSpec({ id: "shop", name: `Shop ${P}${NOT_XML}`, description: `desc ${P}`, owner: `owner ${P}`, runbook: `javascript:alert(1)//${P}`, labels: { tier: `gold ${P}` } });
    const { hash: _hash, ...base0 } = manifestOf([shop, monitorSpec({ id: "other", name: "Other" })]);
    const manifest = sealManifest({
      ...base0,
      statusPages: [{ id: "public", title: `Status ${P}`, description: `Public ${P}`, groups: [{ name: `Group ${P}`, monitors: ["shop"] }], source: "status.ts" }],
      settings: { statusPage: { title: `Title ${P}` }, publicUrl: null, runtime: { ...DEFAULT_RUNTIME_SETTINGS, openReads: true } },
    });
    const t = evaluate(newAlert("shop", { region: P }, key, now - 60_000), { kind: "failing", value: 1, summary: `down ${P}`, details: {} }, now - 60_000, { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical", labels: {} });
    store.recordEvaluation({
      monitorId: "shop",
      alerts: [t.alert],
      readVersions: {},
      results: [{ monitorId: "shop", at: now - 60_000, ok: false, firing: true, value: 1, message: `check said ${P}`, labels: { region: P }, durationMs: 12, error: `error ${P}` }],
      intents: t.intents,
      events: t.events,
      at: now - 60_000,
    });
    await new StoreAlertControl(store, manifest).acknowledge(key, `Mallory ${P}`, now - 30_000, { openedAt: now - 60_000 });
    store.addSilence({ comment: `because ${P}`, createdBy: `Eve ${P}`, startsAt: now - 1_000, endsAt: now + 3_600_000, matchers: { monitors: ["other"], services: [], labels: { region: P } } }, now - 1_000);

    const router = new Router();
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest, store, clock: { now: () => Date.now(), setTimer: () => ({ cancel: () => undefined }) }, logger, secret: () => undefined });
    server = createHttpServer(router, logger);
    base = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
    browser = await chromium.launch({ executablePath: process.env["WK_CHROMIUM"] || "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    page = await browser.newPage();
    page.on("dialog", () => {
      throw new Error("a dialog opened: injected script ran");
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const injected = () => page.evaluate<{ marked: number; ran: number }>(`({ marked: document.querySelectorAll("[data-wk-injected]").length, ran: window.__xss ?? 0 })`);

  it("shows the text as text on every page: overview, filters, monitor, alert, silences, status pages, sign-in, not-found", async () => {
    const e = encodeURIComponent(P);
    const paths = ["/", `/?q=${e}`, "/monitors/shop", `/alerts/${encodeURIComponent(key)}`, "/silences", "/status", "/status/public", `/login?next=${e}`, `/monitors/${e}`, `/alerts/${e}`, `/status/${e}`, `/badge/${e}.svg`, `/overview/rows?ids=shop,${e}`];
    for (const path of paths) {
      const res = await page.goto(`${base}${path}`);
      expect(res?.status(), path).toBeLessThan(500);
      await page.waitForTimeout(50);
      expect(await injected(), path).toEqual({ marked: 0, ran: 0 });
    }
    await page.goto(`${base}/monitors/shop`);
    expect(await page.textContent("main")).toContain(`Shop ${P}`);
    expect(await page.locator("a[href^='javascript:']").count()).toBe(0);
  });

  it("serves a badge that is well-formed SVG whatever the monitor's name holds", async () => {
    const res = await page.goto(`${base}/badge/shop.svg`);
    expect(res?.status()).toBe(200);
    const svg = await res!.text();
    const parsed = await page.evaluate<{ error: string | null; marked: number; title: string }>(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, "image/svg+xml");
      return { error: doc.querySelector("parsererror")?.textContent ?? null, marked: doc.querySelectorAll("[data-wk-injected]").length, title: doc.querySelector("title")?.textContent ?? "" };
    })()`);
    expect(parsed.error).toBeNull();
    expect(parsed.marked).toBe(0);
    expect(parsed.title).toContain(`Shop ${P}`);
  });
});
