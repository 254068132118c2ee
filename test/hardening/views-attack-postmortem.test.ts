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
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";

const TOKEN = "postmortem-attack-token";
const rules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };

/**
 * The postmortem draft is pasted into a team's document. CommonMark ends a line at CR, LF or CRLF:
 * a lone CR in a name, an acknowledging agent's name or a silence comment (the silences API takes
 * any text) would start a new block there: a heading under a setext line, a list, a code block, or
 * the end of a table row.
 */
describe("views attack: the postmortem draft", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let base: string;
  const now = Date.parse("2026-12-01T12:00:00Z");

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-postmortem-attack-"));
    store = SqliteStore.open(dir, now);
  });
  afterEach(async () => {
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps text with lone carriage returns on its line: no heading, list or broken table row in the pasted document", async () => {
    const name = "Checkout\r===\r\r    indented code\r- a list item";
    const manifest = testManifest({ monitors: [testMonitor("checkout", { name })], secrets: ["WATCHKEEPER_API_TOKEN"] });
    const key = alertKey("checkout", {});
    const t = evaluate(newAlert("checkout", {}, key, now), { kind: "failing", value: 1, summary: "down", details: {} }, now, rules);
    store.recordEvaluation({ monitorId: "checkout", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, events: t.events, at: now });
    store.addSilence({ comment: "failover\r---\r1. first", createdBy: "Mallory\r\r    code", startsAt: now - 60_000, endsAt: now + 3_600_000, matchers: { monitors: ["checkout"], services: [], labels: {} } }, now - 60_000);

    const router = new Router();
    const logger = pino({ level: "silent" });
    views = registerViewRoutes(router, { manifest, store, clock: { now: () => now, setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (n) => (n === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined) });
    server = createHttpServer(router, logger);
    base = `http://127.0.0.1:${(await listen(server, 0, "127.0.0.1")).port}`;

    const res = await fetch(`${base}/alerts/${encodeURIComponent(key)}/postmortem.md`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const draft = await res.text();
    expect(draft).not.toMatch(/\r/);
    expect(draft.split("\n")[0]).toBe("# Postmortem draft: Checkout === indented code - a list item");
    expect(draft).toContain("by Mallory code: failover --- 1. first");
  });
});
