import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Manifest } from "../../sdk/manifest/index.js";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { newAlert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { Router } from "../../runtime/http/router.js";
import { createHttpServer, listen } from "../../runtime/server/http-server.js";
import type { RetentionMs } from "../../runtime/store/retention.js";
import { SqliteStore } from "../../runtime/store/sqlite/sqlite-store.js";
import { registerViewRoutes, type Views } from "../../runtime/views/routes.js";
import { testManifest, testMonitor } from "../delivery/support/manifest.js";

const TOKEN = "views-routes-token";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const rules = { forMs: 0, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };

/** The views over a real SQLite store, served on loopback, with a clock the test moves. */
describe("views over the real store", () => {
  let dir: string;
  let store: SqliteStore;
  let server: Server;
  let views: Views;
  let base: string;
  let now = Date.parse("2026-12-01T12:00:00Z");
  const logger = pino({ level: "silent" });

  const start = async (manifest: Manifest, events: { pollMs?: number } = {}) => {
    const router = new Router();
    views = registerViewRoutes(router, { manifest, store, clock: { now: () => now, setTimer: () => ({ cancel: () => undefined }) }, logger, secret: (name) => (name === "WATCHKEEPER_API_TOKEN" ? TOKEN : undefined), events });
    server = createHttpServer(router, logger);
    const addr = await listen(server, 0, "127.0.0.1");
    base = `http://127.0.0.1:${addr.port}`;
  };
  const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-views-routes-"));
    store = SqliteStore.open(dir, now);
  });
  afterEach(async () => {
    views?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists in the postmortem a silence that was in force, who expired it, after the silence itself was pruned", async () => {
    const manifest = testManifest({ monitors: [testMonitor("checkout", { name: "Checkout" })], secrets: ["WATCHKEEPER_API_TOKEN"] });
    const key = alertKey("checkout", {});
    const firedAt = now;
    const t = evaluate(newAlert("checkout", {}, key, firedAt), { kind: "failing", value: 1, summary: "down", details: {} }, firedAt, rules);
    store.recordEvaluation({ monitorId: "checkout", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, events: t.events, at: firedAt });
    const silence = store.addSilence({ comment: "db failover", createdBy: "Alan", startsAt: firedAt + 60_000, endsAt: firedAt + 2 * HOUR, matchers: { monitors: ["checkout"], services: [], labels: {} } }, firedAt + 60_000);
    store.expireSilence(silence.id, firedAt + 10 * 60_000, "Grace");
    const r = evaluate(t.alert, { kind: "ok", value: 0, summary: "up", details: {} }, firedAt + HOUR, rules);
    store.recordEvaluation({ monitorId: "checkout", alerts: [r.alert], readVersions: {}, results: [], intents: r.intents, events: r.events, at: firedAt + HOUR });
    // Two days on: past `retention.silences` (1 day here), within alert history (30 days).
    now = firedAt + 2 * DAY;
    const retention: RetentionMs = { results: DAY, notifications: 30 * DAY, silences: DAY, inbound: DAY, resolvedAlerts: 30 * DAY, rollups: 90 * DAY, minuteRollups: 7 * DAY };
    while (store.prune(now, retention, 100) > 0);
    expect(store.silenceById(silence.id)).toBeNull();
    await start(manifest);
    const draft = await (await get(`/alerts/${key}/postmortem.md`)).text();
    expect(draft).toContain(`- Silence \`${silence.id}\` from 2026-12-01 12:01:00 UTC to 2026-12-01 12:10:00 UTC by Alan: db failover; created 2026-12-01 12:01:00 UTC, matching monitors checkout; expired early at 2026-12-01 12:10:00 UTC by Grace`);
  });
});
