import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { sealManifest, type Manifest } from "../../sdk/manifest/index.js";
import { newAlert } from "../../runtime/alerts/state.js";
import { evaluate } from "../../runtime/alerts/transition.js";
import { issueSession, verifySession, sessionCookie, SESSION_TTL_MS } from "../../runtime/http/session.js";
import { refuseRead, refuseWrite, type ApiAccess } from "../../runtime/http/api-auth.js";
import { Silences } from "../../runtime/notify/silences.js";
import { readAlertRecord } from "../../runtime/views/alert-record.js";
import { renderAlertPage } from "../../runtime/views/alert-page.js";
import { EventHub } from "../../runtime/views/events.js";
import { esc, html } from "../../runtime/views/html.js";
import { percent, summarize } from "../../runtime/views/history-view.js";
import { historyBars } from "../../runtime/views/charts.js";
import { customerState, displayState } from "../../runtime/views/monitor-state.js";
import { renderOverview } from "../../runtime/views/overview.js";
import { renderPostmortem } from "../../runtime/views/postmortem.js";
import { renderPublicStatus } from "../../runtime/views/public-status.js";
import { safeNext } from "../../runtime/views/login-page.js";
import type { ViewDeps } from "../../runtime/views/view-model.js";
import { testManifest, testMonitor, testService } from "../delivery/support/manifest.js";
import { MemoryViewStore } from "./support/memory-history.js";
import { XSS } from "./support/project.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse("2026-12-01T12:00:00Z");
const clock = { now: () => NOW, setTimer: () => ({ cancel: () => undefined }) };

function project(): Manifest {
  const base = testManifest({
    monitors: [
      testMonitor("checkout", { name: `Checkout ${XSS}`, service: "shop", labels: { env: "prod" } }),
      testMonitor("website", { name: "Website", service: "shop" }),
    ],
    services: [testService("shop", { name: "Shop API", escalationPolicy: "shop-policy", team: "shop-team" })],
  });
  const { hash: _hash, ...rest } = base;
  return sealManifest({
    ...rest,
    users: [
      { id: "grace", name: "Grace Hopper", email: "grace@example.com", role: "user", timeZone: null, existing: false, source: "policies/oncall.ts:1" },
      { id: "alan", name: "Alan Turing", email: "alan@example.com", role: "user", timeZone: null, existing: false, source: "policies/oncall.ts:2" },
    ],
    teams: [{ id: "shop-team", name: "Shop team", description: null, members: [], source: "policies/oncall.ts:3" }],
    // Weekly turns from Monday 2026-11-23 00:00 UTC: Grace that week, Alan the next (from 2026-11-30).
    schedules: [{ id: "rotation", name: "Shop rotation", description: null, timeZone: "UTC", layers: [{ name: "Layer 1", start: "2026-11-23T00:00:00", end: null, rotationTurnLength: "1w", rotationVirtualStart: "2026-11-23T00:00:00", users: ["grace", "alan"], restrictions: [] }], teams: [], source: "policies/oncall.ts:4" }],
    escalationPolicies: [{ id: "shop-policy", name: "Shop escalation", description: null, loops: 0, rules: [{ escalationDelay: "10m", targets: [{ type: "schedule", id: "rotation" }] }], teams: [], source: "policies/oncall.ts:5" }],
    statusPages: [{ id: "public", title: "Acme status", description: null, groups: [{ name: "Checkout", monitors: ["checkout"] }], source: "monitors/status.ts:1" }],
  });
}

function deps(store: MemoryViewStore, manifest = project()): ViewDeps {
  return { manifest, store, silences: new Silences(store, manifest), clock, access: { token: () => "t", openReads: false, publicUrl: null } };
}

function firingCheckout(store: MemoryViewStore, firedAt: number): void {
  const alert = { ...newAlert("checkout", {}, "wk-checkout", firedAt), state: "firing" as const, activeAt: firedAt - 60_000, firedAt, summary: `Checkout ${XSS}: expected 2xx, got 500` };
  store.alerts.push(alert);
  store.events.push(
    { dedupKey: "wk-checkout", monitorId: "checkout", at: firedAt - 60_000, kind: "pending", by: null, summary: alert.summary },
    { dedupKey: "wk-checkout", monitorId: "checkout", at: firedAt, kind: "firing", by: null, summary: alert.summary },
  );
  store.attempts.push(
    { dedupKey: "wk-checkout", intentId: "wk-checkout:1", type: "trigger", destination: "service:shop", at: firedAt + 1000, attempt: 1, outcome: "retrying", vendorStatus: 429, detail: `throttled ${XSS}` },
    { dedupKey: "wk-checkout", intentId: "wk-checkout:1", type: "trigger", destination: "service:shop", at: firedAt + 5000, attempt: 2, outcome: "sent", vendorStatus: 202, detail: "Event processed" },
  );
}

describe("html escaping", () => {
  it("escapes every interpolated value and keeps markup the code wrote", () => {
    const inner = html`<b>${"<i>"}</b>`;
    expect(html`<p title="${'"x'}">${inner}${["<a>", 1]}${null}${false}</p>`.text).toBe('<p title="&quot;x"><b>&lt;i&gt;</b>&lt;a&gt;1</p>');
    expect(esc(`'&`)).toBe("&#39;&amp;");
  });
});

describe("browser sessions", () => {
  it("accept a fresh session for the same token only, and expire after 12 hours", () => {
    const value = issueSession("token-a", NOW);
    expect(value).not.toContain("token-a");
    expect(verifySession(value, "token-a", NOW + 1000)).toBe(true);
    expect(verifySession(value, "token-b", NOW + 1000)).toBe(false);
    expect(verifySession(value, "token-a", NOW + SESSION_TTL_MS + 1)).toBe(false);
    expect(verifySession(value.replace(/.$/, (c) => (c === "A" ? "B" : "A")), "token-a", NOW)).toBe(false);
    expect(sessionCookie(value, true)).toBe(`wk_session=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure`);
  });

  it("let a session read, and write only with an Origin of the runtime's own", () => {
    const access: ApiAccess = { token: () => "token-a", openReads: false, publicUrl: null, now: () => NOW };
    const req = (headers: Record<string, string>) => ({ headers: { host: "wk.local:8080", ...headers } }) as unknown as IncomingMessage;
    const cookie = `wk_session=${issueSession("token-a", NOW)}`;
    expect(refuseRead(req({ cookie }), access)).toBeNull();
    expect(refuseRead(req({}), access)?.status).toBe(401);
    const json = { "content-type": "application/json" };
    expect(refuseWrite(req({ cookie, ...json, origin: "http://wk.local:8080" }), access, Buffer.from("{}"))).toBeNull();
    expect(refuseWrite(req({ cookie, ...json }), access, Buffer.from("{}"))?.status).toBe(401);
    expect(refuseWrite(req({ cookie, ...json, origin: "https://evil.example" }), access, Buffer.from("{}"))?.status).toBe(403);
  });

  it("take the runtime's own origin however a proxy writes the Host: with the scheme's default port, in capitals", () => {
    const access: ApiAccess = { token: () => "token-a", openReads: false, publicUrl: null, now: () => NOW };
    const cookie = `wk_session=${issueSession("token-a", NOW)}`;
    const write = (host: string, origin: string) =>
      refuseWrite({ headers: { host, origin, cookie, "content-type": "application/json" } } as unknown as IncomingMessage, access, Buffer.from("{}"));
    // nginx's `proxy_set_header Host $host:$server_port` sends the port the browser left out.
    expect(write("wk.example.com:443", "https://wk.example.com")).toBeNull();
    expect(write("wk.example.com:80", "http://wk.example.com")).toBeNull();
    expect(write("WK.Example.com", "https://wk.example.com")).toBeNull();
    // Still only the runtime's own.
    expect(write("wk.example.com:443", "https://evil.example")?.status).toBe(403);
    expect(write("wk.example.com:443", "https://wk.example.com:8443")?.status).toBe(403);
    expect(write("wk.example.com:80", "http://wk.example.com:8080")?.status).toBe(403);
    expect(write("wk.example.com", "null")?.status).toBe(403);
  });

  it("return only to paths on this site after sign-in", () => {
    expect(safeNext("/alerts/x")).toBe("/alerts/x");
    for (const bad of ["//evil.example/", "https://evil.example/", "/\\evil", "", null]) expect(safeNext(bad)).toBe("/");
  });
});

describe("history", () => {
  it("makes 90 daily bars and uptime that ignores results that could not be evaluated", () => {
    const bucket = (start: number, count: number, failures: number, errors = 0) => ({ start, count, failures, errors, p50: 40, p95: 80, p99: 90, max: 100 });
    const today = Math.floor(NOW / DAY) * DAY;
    const h = summarize([bucket(today - 3 * DAY, 60, 6), bucket(today - DAY, 60, 0, 30), bucket(today, 60, 0)], NOW);
    expect(h.days).toHaveLength(90);
    expect(h.days[86]).toMatchObject({ count: 60, failures: 6, uptime: 0.9 });
    expect(h.days[88]!.uptime).toBe(1);
    expect(h.days[0]!.uptime).toBeNull();
    expect(h.uptime.d7).toBeCloseTo(144 / 150);
    expect(percent(0.99999)).toBe("99.99%");
    expect(percent(1)).toBe("100%");
    expect(percent(null)).toBe("—");
  });

  it("tells screen readers of every day with a failure, also one whose uptime still draws it green", () => {
    const bucket = (start: number, count: number, failures: number) => ({ start, count, failures, errors: 0, p50: 40, p95: 80, p99: 90, max: 100 });
    const today = Math.floor(NOW / DAY) * DAY;
    // One failing check of 1,440 (99.93 %): green, but not a day without failures.
    const h = summarize([bucket(today - 2 * DAY, 1440, 1), bucket(today - DAY, 1440, 0)], NOW);
    const svg = historyBars(h.days).text;
    expect(svg).toContain('class="bar-ok"');
    expect(svg).toContain("90-day history: 2 days with results, 1 with failures");
  });
});

describe("monitor state", () => {
  it("says acknowledged, silenced and in maintenance over firing, and customers see an outage either way", () => {
    const m = project().monitors[0]!;
    const firing = { ...newAlert("checkout", {}, "wk-checkout", NOW), state: "firing" as const, firedAt: NOW - HOUR };
    expect(displayState(m, [firing], null, []).state).toBe("firing");
    const acked = { ...firing, acknowledgedAt: NOW - 60_000, acknowledgedBy: "Grace" };
    expect(displayState(m, [acked], null, [])).toMatchObject({ state: "acknowledged", since: NOW - 60_000, detail: "by Grace" });
    const silence = { id: "s1", kind: "silence" as const, origin: "api" as const, comment: "deploy", createdBy: "alan", startsAt: NOW - 1000, endsAt: NOW + HOUR, matchers: { monitors: [], services: [], labels: { env: "prod" } } };
    const silenced = displayState(m, [firing], null, [silence]);
    expect(silenced).toMatchObject({ state: "silenced", detail: "1 alert firing underneath" });
    expect(customerState(silenced)).toBe("outage");
    expect(displayState(m, [], null, [{ ...silence, kind: "maintenance" }]).state).toBe("maintenance");
    const erroring = { monitorId: "checkout", at: NOW, ok: false, firing: null, value: null, message: "", labels: {}, durationMs: 1, error: "boom" };
    expect(displayState(m, [], erroring, [], [erroring, { ...erroring, at: NOW - 5000 }]).since).toBe(NOW - 5000);
    expect(displayState(m, [], null, []).state).toBe("no-data");
  });

  it("reads OK since a pending alert cleared without firing, not since a resolve before it", () => {
    const m = project().monitors[0]!;
    const rules = { forMs: 5 * 60_000, keepFiringForMs: 0, failureThreshold: 1, successThreshold: 1, repeatEveryMs: null, severity: "critical" as const, labels: {} };
    const resolved = { ...newAlert("checkout", {}, "wk-checkout", NOW - DAY), firedAt: NOW - DAY, resolvedAt: NOW - DAY + HOUR };
    // Failing for two minutes from an hour ago (short of its 5 min `for`), then passing again.
    const pending = evaluate(resolved, { kind: "failing", value: 1, summary: "down", details: {} }, NOW - HOUR, rules).alert;
    const stillPending = evaluate(pending, { kind: "failing", value: 1, summary: "down", details: {} }, NOW - HOUR + 60_000, rules).alert;
    const cleared = evaluate(stillPending, { kind: "ok", value: 0, summary: "up", details: {} }, NOW - HOUR + 120_000, rules).alert;
    const latest = { monitorId: "checkout", at: NOW, ok: true, firing: false, value: 0, message: "", labels: {}, durationMs: 1, error: null };
    expect(displayState(m, [pending], latest, []).state).toBe("pending");
    expect(displayState(m, [cleared], latest, [])).toMatchObject({ state: "ok", since: NOW - HOUR + 120_000 });
  });

  it("reads acknowledged since the last firing alert was acknowledged, not the first: until then one fired unacknowledged", () => {
    const m = project().monitors[0]!;
    const fired = (key: string, firedAt: number, acknowledgedAt: number, acknowledgedBy: string) => ({ ...newAlert("checkout", { key }, key, firedAt), state: "firing" as const, firedAt, acknowledgedAt, acknowledgedBy });
    // eu fired 2 h ago and Grace took it at once; us fired 30 min ago and Alan took it 10 min ago.
    const alerts = [fired("wk-eu", NOW - 2 * HOUR, NOW - 2 * HOUR + 60_000, "Grace"), fired("wk-us", NOW - 30 * 60_000, NOW - 10 * 60_000, "Alan")];
    expect(displayState(m, alerts, null, [])).toMatchObject({ state: "acknowledged", since: NOW - 10 * 60_000, detail: "by Alan" });
    expect(displayState(m, [...alerts].reverse(), null, [])).toMatchObject({ state: "acknowledged", since: NOW - 10 * 60_000, detail: "by Alan" });
  });
});

describe("pages from the history port", () => {
  it("tells an alert's story with every attempt and the vendor's answer, escaped", async () => {
    const store = new MemoryViewStore();
    firingCheckout(store, NOW - 30 * 60_000);
    const record = (await readAlertRecord(deps(store), "wk-checkout"))!;
    const page = renderAlertPage(record, NOW, true);
    expect(page).toContain("HTTP 429");
    expect(page).toContain("failed, will retry (attempt 1, HTTP 429)");
    expect(page).toContain("sent (attempt 2, HTTP 202)");
    expect(page).not.toContain("<img src=x");
    expect(page).toContain("&lt;img src=x");
    expect(await readAlertRecord(deps(store), "wk-nope")).toBeNull();
  });

  it("drafts a postmortem naming who was on call when it fired and who acknowledged", async () => {
    const store = new MemoryViewStore();
    const firedAt = Date.parse("2026-11-25T03:00:00Z"); // Grace's week
    firingCheckout(store, firedAt);
    store.events.push({ dedupKey: "wk-checkout", monitorId: "checkout", at: firedAt + 4 * 60_000, kind: "acknowledged", by: `Ada ${XSS}`, summary: "" });
    store.events.push({ dedupKey: "wk-checkout", monitorId: "checkout", at: firedAt + HOUR, kind: "resolved", by: null, summary: "" });
    const record = (await readAlertRecord(deps(store), "wk-checkout"))!;
    const md = renderPostmortem(record, project(), [], NOW, "https://wk.example.com/");
    expect(md).toContain("## Impact window");
    expect(md).toContain("- Fired (paged): 2026-11-25 03:00:00 UTC (1 min after the first failure)");
    expect(md).toContain("- Resolved: 2026-11-25 04:00:00 UTC");
    expect(md).toContain("- Step 1: Grace Hopper (grace@example.com) (schedule Shop rotation)");
    expect(md).toContain("- Acknowledged: 2026-11-25 03:04:00 UTC by Ada &lt;img src=x onerror=");
    expect(md).toContain("| 2026-11-25 03:00:05 UTC | trigger | service:shop | sent, attempt 2 | HTTP 202 Event processed |");
    expect(md).toContain("Alert page: https://wk.example.com/alerts/wk-checkout");
    expect(md).not.toMatch(/<img|<script/);
  });

  it("keeps an acknowledging agent's name from opening a list or a code block at the start of its line in the draft", async () => {
    const store = new MemoryViewStore();
    const firedAt = Date.parse("2026-11-25T03:00:00Z");
    firingCheckout(store, firedAt);
    // PagerDuty's agent names are whatever each user of the account typed.
    const names = ["1. Nobody acknowledged the alert", "2) Mallory", "- Mallory", "   -  Mallory", "      Mallory in a code block", "+ Mallory", "= Mallory"];
    names.forEach((by, i) => store.events.push({ dedupKey: "wk-checkout", monitorId: "checkout", at: firedAt + (i + 1) * 60_000, kind: "acknowledged", by, summary: "" }));
    const record = (await readAlertRecord(deps(store), "wk-checkout"))!;
    const md = renderPostmortem(record, project(), [], NOW, null);
    const section = md.split("## Who acknowledged\n\n")[1]!.split("\n\n")[0]!.split("\n");
    expect(section).toHaveLength(names.length);
    for (const line of section) {
      // Each line is one list item whose text starts with no list marker, no indent for a code block.
      expect(line).toMatch(/^- \S/);
      expect(line.slice(2)).not.toMatch(/^(?:\d{1,9}[.)]|[-+*=])(?:\s|$)/);
    }
    expect(section[0]).toContain("Nobody acknowledged the alert");
    expect(section[4]).toContain("Mallory in a code block");
  });

  it("shows the overview with history bars, uptime and a sparkline", async () => {
    const store = new MemoryViewStore();
    for (let t = NOW - 3 * DAY; t < NOW; t += 10 * 60_000) store.results.push({ monitorId: "website", at: t, ok: true, firing: false, value: 1, message: "200", labels: {}, durationMs: 40 + (t % 7), error: null });
    const page = await renderOverview(deps(store), true);
    expect(page).toMatch(/<li class="monitor" data-id="website" data-state="ok"/);
    expect((page.match(/class="bar-ok"/g) ?? []).length).toBe(4);
    expect(page).toContain("7 d <strong>100%</strong>");
    expect(page).toContain('<svg class="spark"');
    expect(page).not.toContain("<img src=x");
  });

  it("keeps everything but names and customer words off the public status page", async () => {
    const store = new MemoryViewStore();
    firingCheckout(store, NOW - 60_000);
    store.results.push({ monitorId: "checkout", at: NOW, ok: false, firing: true, value: 500, message: "expected 2xx from http://10.1.2.3/api", labels: {}, durationMs: 5, error: null });
    const page = await renderPublicStatus(deps(store), project().statusPages![0]!);
    expect(page).toContain("Outage");
    expect(page).not.toContain("10.1.2.3");
    expect(page).not.toContain("expected 2xx");
    expect(page).not.toContain("Website");
    expect(page).toContain('data-live="/events?status=public"');
  });
});

/** A response that records what was written to it. */
function fakeStream(): { req: IncomingMessage; res: ServerResponse; written: () => string; ended: () => boolean; status: () => number } {
  const req = new EventEmitter() as IncomingMessage;
  const emitter = new EventEmitter();
  let out = "";
  let ended = false;
  let status = 0;
  const res = Object.assign(emitter, {
    writeHead: (s: number) => ((status = s), res),
    write: (chunk: string) => ((out += chunk), true),
    end: (chunk?: string) => {
      out += chunk ?? "";
      ended = true;
      emitter.emit("close");
    },
  }) as unknown as ServerResponse;
  return { req, res, written: () => out, ended: () => ended, status: () => status };
}

describe("the event stream hub", () => {
  it("tells team pages which monitors changed, public pages only that theirs did, and refuses past its bound", async () => {
    let snapshot = new Map([["checkout", "ok|"], ["status:public", "operational"]]);
    const hub = new EventHub({ snapshot: async () => snapshot, logger: pino({ level: "silent" }), maxClients: 1, maxPublicClients: 1, pollMs: 3_600_000, heartbeatMs: 3_600_000 });
    const team = fakeStream();
    const visitor = fakeStream();
    const third = fakeStream();
    hub.open(team.req, team.res, null);
    hub.open(visitor.req, visitor.res, "status:public");
    hub.open(third.req, third.res, null);
    expect(third.status()).toBe(503);
    const fourth = fakeStream();
    hub.open(fourth.req, fourth.res, "status:public");
    expect(fourth.status()).toBe(503);
    expect(team.written()).toContain(": connected");
    await hub.poll();
    snapshot = new Map([["checkout", "firing|123"], ["status:public", "outage"]]);
    await hub.poll();
    // A whole comparison (no feed here) may change more than rows: the page refreshes whole.
    expect(team.written()).toContain('event: change\ndata: {"changed":[{"id":"checkout","state":"firing"}],"full":true}');
    expect(visitor.written()).toContain('event: change\ndata: {"changed":[]}');
    expect(visitor.written()).not.toContain("checkout");
    hub.close();
    expect(team.ended() && visitor.ended()).toBe(true);
    expect(hub.size).toBe(0);
  });

  it("with a change feed, reads only the monitors a change touched, and lets go of the feed when the last page closes", async () => {
    const state = new Map([["checkout", "ok|"], ["website", "ok|"], ["status:public", "operational"]]);
    const reads: Array<string[] | null> = [];
    let onChange: ((m: string[] | null) => void) | null = null;
    let stopped = 0;
    const hub = new EventHub({
      snapshot: async (touched) => {
        reads.push(touched);
        return touched === null ? new Map(state) : new Map(touched.map((id) => [id, state.get(id)!]));
      },
      watch: async (listener) => ((onChange = listener), () => void stopped++),
      logger: pino({ level: "silent" }),
      batchMs: 1,
      pollMs: 3_600_000,
      heartbeatMs: 3_600_000,
    });
    const team = fakeStream();
    hub.open(team.req, team.res, null);
    await vi.waitFor(() => expect(reads).toEqual([null]));
    state.set("website", "firing|1");
    onChange!(["website"]);
    onChange!(["website"]);
    await vi.waitFor(() => expect(team.written()).toContain('data: {"changed":[{"id":"website","state":"firing"}]}\n'));
    expect(reads).toEqual([null, ["website"]]);
    // A silence changed: everything is read again, and pages refresh whole (the silences they list changed too).
    state.set("checkout", "silenced|2");
    onChange!(null);
    await vi.waitFor(() => expect(team.written()).toContain('data: {"changed":[{"id":"checkout","state":"silenced"}],"full":true}'));
    expect(hub.current()?.snapshot.get("checkout")).toBe("silenced|2");
    expect(reads).toEqual([null, ["website"], null]);
    team.req.emit("close");
    expect(stopped).toBe(1);
    hub.close();
  });

  it("falls back to comparing when the change feed cannot be followed", async () => {
    let snapshot = new Map([["checkout", "ok|"]]);
    const hub = new EventHub({ snapshot: async () => snapshot, watch: () => Promise.reject(new Error("redis down")), logger: pino({ level: "silent" }), pollMs: 5, heartbeatMs: 3_600_000 });
    const team = fakeStream();
    hub.open(team.req, team.res, null);
    await new Promise((resolve) => setTimeout(resolve, 30));
    snapshot = new Map([["checkout", "firing|1"]]);
    await vi.waitFor(() => expect(team.written()).toContain('{"id":"checkout","state":"firing"}'));
    hub.close();
  });

  it("forgets a client whose connection closed", async () => {
    const hub = new EventHub({ snapshot: async () => new Map(), logger: pino({ level: "silent" }), pollMs: 3_600_000, heartbeatMs: 3_600_000 });
    const one = fakeStream();
    hub.open(one.req, one.res, null);
    expect(hub.size).toBe(1);
    one.req.emit("close");
    expect(hub.size).toBe(0);
    hub.close();
  });
});

describe("a silence over a check that cannot run", () => {
  it("still tells customers and the team that nobody can vouch for it: Degraded on the status page, erroring underneath on the overview", async () => {
    const store = new MemoryViewStore();
    const erroring = { monitorId: "checkout", at: NOW, ok: false, firing: null, value: null, message: "", labels: {}, durationMs: 1, error: "connect ECONNREFUSED" };
    store.results.push({ ...erroring, at: NOW - 60_000 }, erroring);
    store.silences.push({ id: "s1", kind: "silence", origin: "api", comment: "noisy", createdBy: "alan", startsAt: NOW - HOUR, endsAt: NOW + HOUR, matchers: { monitors: ["checkout"], services: [], labels: {} } });
    const d = deps(store);
    const m = d.manifest.monitors.find((x) => x.id === "checkout")!;
    const shown = displayState(m, [], erroring, await d.silences.active(NOW), [erroring]);
    expect(shown).toMatchObject({ state: "silenced", detail: "erroring underneath" });
    // A silence mutes notifications; it does not make a check that cannot run look operational.
    expect(customerState(shown)).toBe("degraded");
    const page = await renderPublicStatus(d, d.manifest.statusPages![0]!);
    expect(page).toContain("Some systems are degraded");
    expect(page).not.toContain("All systems operational");
  });
});
