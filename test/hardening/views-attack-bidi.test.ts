import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { newAlert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { Router } from "../../runtime/http/router.js";
import { escapeHtml } from "../../runtime/notify/render.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";

const TOKEN = "bidi-attack-token";
const rules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };
/** Every directional embedding, override and isolate: none may reach a page, an email or the draft. */
const CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/**
 * A right-to-left override in a monitor name, a summary, an agent's name or a silence comment
 * reorders what is shown after it on the same line: "Checkout \u202Ekcabdeef" reads as
 * "Checkout feedback", and a name can flip the state written beside it. Pages, emails and the
 * postmortem draft show the text in the order it is stored.
 */
describe("views attack: directional controls in user text", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  const now = Date.parse("2026-12-01T12:00:00Z");

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-bidi-attack-"));
    store = SqliteStore.open(dir, now);
  });
  afterEach(async () => {
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps overrides and isolates out of the overview, the alert page, the badge and the postmortem draft", async () => {
    const name = "Checkout \u202Ekcabdeef\u2066 \u2067x\u2068y\u2069\u202A\u202B\u202C\u202D";
    const manifest = testManifest({ monitors: [testMonitor("checkout", { name })], secrets: ["WATCHKEEPER_API_TOKEN"] });
    const key = alertKey("checkout", {});
    const t = evaluate(newAlert("checkout", {}, key, now), { kind: "failing", value: 1, summary: "down \u202Eecnanetniam", details: {} }, now, rules);
    store.recordEvaluation({ monitorId: "checkout", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, events: t.events, at: now });
    store.addSilence({ comment: "\u202Edeppots", createdBy: "Mallory \u202E", startsAt: now - 60_000, endsAt: now + 3_600_000, matchers: { monitors: ["checkout"], services: [], labels: {} } }, now - 60_000);

    const router = new Router();
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest, store, clock: { now: () => now, setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (n) => (n === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined) });
    server = createHttpServer(router, logger);
    const base = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of ["/", "/monitors/checkout", `/alerts/${encodeURIComponent(key)}`, `/alerts/${encodeURIComponent(key)}/postmortem.md`, "/silences", "/badge/checkout.svg"]) {
      const res = await fetch(`${base}${path}`, { headers: auth });
      expect(res.status, path).toBe(200);
      const text = await res.text();
      expect(CONTROLS.test(text), `${path} holds a directional control`).toBe(false);
    }
    const page = await (await fetch(`${base}/monitors/checkout`, { headers: auth })).text();
    // The name itself is still there, in its stored order.
    expect(page).toContain("Checkout kcabdeef xy");
  });

  it("keeps them out of emails' HTML", () => {
    expect(escapeHtml("db \u202E<b>KO</b>")).toBe("db &lt;b&gt;KO&lt;/b&gt;");
  });
});
