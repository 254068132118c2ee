import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sealManifest, type Manifest } from "../../sdk/manifest/index.js";
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
  /** The live stream, read as it comes: `until` waits for a pattern, `text` is all read so far. */
  const openEvents = async () => {
    const reader = (await get("/events")).body!.getReader();
    const decoder = new TextDecoder();
    const stream = {
      text: "",
      until: async (pattern: RegExp) => {
        while (!pattern.test(stream.text)) stream.text += decoder.decode((await reader.read()).value);
      },
      close: () => reader.cancel(),
    };
    return stream;
  };

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

  it("keeps a monitor's history across a rename (previousIds): its bars, uptime and uptime badge read the old id's results too", async () => {
    // Under its old id "api", a result every hour for 10 days, every 4th failing; renamed at the
    // last deploy, a result every hour since under "checkout-api", all passing.
    const renamedAt = now - 2 * DAY;
    const raw: Array<{ at: number; failing: boolean }> = [];
    for (let at = renamedAt - 10 * DAY; at < now; at += HOUR) {
      const id = at < renamedAt ? "api" : "checkout-api";
      const failing = at < renamedAt && raw.length % 4 === 0;
      raw.push({ at, failing });
      store.recordEvaluation({ monitorId: id, alerts: [], readVersions: {}, results: [{ monitorId: id, at, ok: !failing, firing: failing, value: 1, message: "", labels: {}, durationMs: 40, error: null }], intents: [], at });
    }
    await start(testManifest({ monitors: [testMonitor("checkout-api", { name: "Checkout API", previousIds: ["api"] })], secrets: ["WATCHKEEPER_API_TOKEN"] }));
    const shown = (since: number) => {
      const kept = raw.filter((r) => r.at >= since);
      return `${(Math.floor((kept.filter((r) => !r.failing).length / kept.length) * 10000) / 100).toFixed(2)}%`;
    };
    expect(shown(0)).toBe("79.16%");
    const page = await (await get("/monitors/checkout-api")).text();
    expect(page).toContain(`7 d <strong>${shown(now - 7 * DAY)}</strong>`);
    expect(page).toContain(`90 d <strong>${shown(0)}</strong>`);
    // UTC days 19 November to 1 December have results; the 11 up to the rename day have failures.
    expect(page).toContain("90-day history: 13 days with results, 11 with failures");
    const badge = await (await get("/badge/checkout-api.svg?type=uptime&window=30d")).text();
    expect(badge).toContain(`uptime 30d: ${shown(0)}`);
  });

  it("lists a result whose tick could not tell (locations short of a quorum) as unknown among recent results, never as ok", async () => {
    const at = now - 60_000;
    store.recordEvaluation({
      monitorId: "api",
      alerts: [],
      readVersions: {},
      // One location failing, one that could not tell, quorum 2: the tick is unknown, with no error of its own.
      results: [{ monitorId: "api", at, ok: false, firing: null, value: null, message: "HTTP 503", labels: {}, durationMs: 12, error: null }],
      intents: [],
      at,
    });
    await start(testManifest({ monitors: [testMonitor("api")], secrets: ["WATCHKEEPER_API_TOKEN"] }));
    const page = await (await get("/monitors/api")).text();
    const recent = page.slice(page.indexOf('id="res-h"'));
    expect(recent).toContain('<span class="badge s-no-data">unknown</span>');
    expect(recent).not.toContain('<span class="badge s-ok">ok</span>');
  });

  it("pages and filters the overview on the server, with links that work without script", async () => {
    const monitors = Array.from({ length: 230 }, (_, i) => testMonitor(`m-${String(i).padStart(3, "0")}`, { name: `Monitor ${String(i).padStart(3, "0")}`, labels: { tier: i % 2 === 0 ? "gold" : "bronze" } }));
    await start(testManifest({ monitors, secrets: ["WATCHKEEPER_API_TOKEN"] }));
    const fire = (id: string) => {
      const t = evaluate(newAlert(id, {}, alertKey(id, {}), now), { kind: "failing", value: 1, summary: "down", details: {} }, now, rules);
      store.recordEvaluation({ monitorId: id, alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, events: t.events, at: now });
    };
    fire("m-150");
    fire("m-007");
    const first = await (await get("/")).text();
    const ids = (html: string) => [...html.matchAll(/<li class="monitor" data-id="([^"]+)"/g)].map((m) => m[1]);
    // Worst first, then by name; 100 a page; the banner counts every monitor.
    expect(ids(first)).toHaveLength(100);
    expect(ids(first).slice(0, 3)).toEqual(["m-007", "m-150", "m-000"]);
    expect(first).toContain("2 of 230 monitors firing");
    expect(first).toContain("Monitors 1–100 of 230 (page 1 of 3)");
    expect(first).toContain('<a href="/?page=2" rel="next">Next page</a>');
    expect(first).toContain('<form class="filters" role="search" aria-label="Filter monitors" method="get" action="/">');
    const last = await (await get("/?page=3")).text();
    expect(ids(last)).toHaveLength(30);
    expect(last).toContain('<a href="/?page=2" rel="prev">Previous page</a>');
    expect(last).not.toContain('rel="next"');
    // Filters run over every monitor, not just a page, and the pager keeps them.
    const gold = await (await get("/?q=gold&per=50&page=2")).text();
    expect(ids(gold)).toHaveLength(50);
    expect(ids(gold).every((id) => Number(id!.slice(2)) % 2 === 0)).toBe(true);
    expect(gold).toContain('<a href="/?q=gold&amp;per=50&amp;page=3" rel="next">');
    expect(gold).toContain('value="gold"');
    expect(ids(await (await get("/?state=firing")).text())).toEqual(["m-007", "m-150"]);
    expect(await (await get("/?q=no-such-monitor")).text()).toContain("No monitor matches this filter.");
    // A page past the end shows the last one.
    expect(ids(await (await get("/?page=99")).text())).toHaveLength(30);
    for (const [query, field] of [["state=burning", "state must be one of"], ["page=0", "page must be a whole number"], ["per=5000", "per must be a whole number from 1 to 500"], ["team=nope", "team must be one of"]] as const) {
      const res = await get(`/?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.text(), query).toContain(field);
    }
  });

  it("answers HEAD on the live streams with their headers at once and holds no stream open for it", async () => {
    const { hash: _hash, ...unsealed } = testManifest({ monitors: [testMonitor("checkout", { name: "Checkout" })], secrets: ["WATCHKEEPER_API_TOKEN"] });
    await start(sealManifest({ ...unsealed, statusPages: [{ id: "public", title: "Status", description: null, groups: [{ name: "Checkout", monitors: ["checkout"] }], source: "status.ts" }] }));
    for (const path of ["/events", "/events?status=public"]) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 5_000);
      const res = await fetch(`${base}${path}`, { method: "HEAD", headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal });
      clearTimeout(timer);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain("text/event-stream");
      expect(await res.text(), path).toBe("");
      expect(views.events.size, path).toBe(0);
    }
    // And a HEAD that may not read the team's stream is refused as a GET is.
    expect((await fetch(`${base}/events`, { method: "HEAD" })).status).toBe(401);
  });

  it("tells an open page of a transition from the store's change feed, reading only the monitor it touched", async () => {
    const monitors = Array.from({ length: 20 }, (_, i) => testMonitor(`m-${i}`));
    // Polling would take an hour: only the change feed can deliver this in time.
    await start(testManifest({ monitors, secrets: ["WATCHKEEPER_API_TOKEN"] }), { pollMs: 3_600_000 });
    const reads = { all: 0, each: 0 };
    const allAlerts = store.allAlerts.bind(store);
    const alertsOf = store.alertsOf.bind(store);
    store.allAlerts = () => (reads.all++, allAlerts());
    store.alertsOf = (id: string) => (reads.each++, alertsOf(id));
    const events = await openEvents();
    await events.until(/: connected/);
    await expect.poll(() => reads.all).toBe(1); // the baseline
    const t = evaluate(newAlert("m-3", {}, alertKey("m-3", {}), now), { kind: "failing", value: 1, summary: "down", details: {} }, now, rules);
    store.recordEvaluation({ monitorId: "m-3", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, events: t.events, at: now });
    await events.until(/event: change/);
    expect(events.text).toContain('data: {"changed":[{"id":"m-3","state":"firing","was":"no-data","group":"team-a/"}]}');
    expect(reads).toEqual({ all: 1, each: 1 });
    await events.close();
  });
  it("sends an open overview only the rows of the monitors that changed, rendered and escaped as the page renders them", async () => {
    const evil = `<img src=x onerror="alert(1)">`;
    const monitors = Array.from({ length: 230 }, (_, i) => testMonitor(`m-${String(i).padStart(3, "0")}`, { name: `Monitor ${String(i).padStart(3, "0")}${i === 7 ? ` ${evil}` : ""}`, labels: { tier: i % 2 === 0 ? "gold" : "bronze" } }));
    await start(testManifest({ monitors, secrets: ["WATCHKEEPER_API_TOKEN"] }), { pollMs: 3_600_000 });
    const events = await openEvents();
    await events.until(/: connected/);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the baseline
    const t = evaluate(newAlert("m-007", {}, alertKey("m-007", {}), now), { kind: "failing", value: 1, summary: "down", details: {} }, now, rules);
    store.recordEvaluation({ monitorId: "m-007", alerts: [t.alert], readVersions: {}, results: [], intents: t.intents, events: t.events, at: now });
    await events.until(/event: change/);
    expect(events.text).toContain('{"id":"m-007","state":"firing","was":"no-data","group":"team-a/"}');
    expect(events.text).not.toContain('"full"');
    await events.close();

    const page = await (await get("/?q=bronze")).text();
    const rows = await get("/overview/rows?ids=m-007&q=bronze");
    expect(rows.status).toBe(200);
    expect(rows.headers.get("content-security-policy")).toContain("script-src 'self'");
    const body = await rows.text();
    const items = [...body.matchAll(/<li class="monitor" data-id="([^"]+)"/g)].map((m) => m[1]);
    expect(items).toEqual(["m-007"]);
    // The same markup the full page has for it (the same renderer, the same escaping).
    const item = (html: string) => html.slice(html.indexOf('<li class="monitor" data-id="m-007"'), html.indexOf("</li>", html.indexOf('data-id="m-007"')) + 5);
    expect(item(body)).toBe(item(page));
    expect(body).toContain("Monitor 007 &lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(body).not.toContain(evil);
    expect(body).toContain('data-rank="0"');
    expect(body).toContain("1 of 230 monitors firing");
    expect(body).not.toContain("data-refresh");
    // A monitor the page's filter no longer takes (or never took) is not sent: the page refreshes whole instead.
    const gone = await (await get("/overview/rows?ids=m-007&state=ok")).text();
    expect(gone).toContain('data-refresh="1"');
    expect(gone).not.toContain('<li class="monitor"');
    const other = await (await get("/overview/rows?ids=m-008,m-007&q=bronze")).text();
    expect([...other.matchAll(/<li class="monitor" data-id="([^"]+)"/g)].map((m) => m[1])).toEqual(["m-007"]);
    expect(other).toContain('data-refresh="1"');
    expect(await (await get("/overview/rows?ids=nope")).text()).toContain('data-refresh="1"');
    for (const query of ["", "ids=", `ids=${Array.from({ length: 501 }, (_, i) => `x-${i}`).join(",")}`, "ids=m-001&state=burning"]) expect((await get(`/overview/rows?${query}`)).status, query).toBe(400);
    // Only the team reads rows.
    const anonymous = await fetch(`${base}/overview/rows?ids=m-007`, { redirect: "manual" });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login?next=%2Foverview%2Frows%3Fids%3Dm-007");
  });
});
